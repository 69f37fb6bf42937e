#!/usr/bin/env node
'use strict';
/**
 * Soak benchmark: SERIES series at one reading per simulated second each, through
 * sequence-windower (stream) -> lstm-predict, for SECONDS of simulated time
 * (msg.timestamp drives the clock; it runs as fast as it goes), in the real
 * Node-RED runtime embedded in this process (require('node-red'): RED.init +
 * RED.start, no HTTP listener, memory context), with the pack's nodes loaded
 * from this repository (settings.nodesDir). One small model, trained first by an
 * lstm-train node on a batch window dataset, serves every series.
 * Readings go in as fast as the runtime takes them, at most IN_FLIGHT unfinished
 * at a time (a reading is finished when lstm-predict, or the windower while it
 * fills, called done): the event-loop delay is that of a Node-RED with that many
 * messages queued.
 * Reports RSS and heap at the start of the steady state (every window full, model
 * loaded) and at the end, RSS every 30 simulated s, event-loop delay p50/p99/max
 * (perf_hooks.monitorEventLoopDelay over the steady state), forecasts per second
 * sustained, failed messages, and tf.memory().numTensors at start and end.
 *
 *   node bench/soak.js [--series 1000] [--seconds 600] [--window 24] [--units 8]
 *     [--in-flight 32] [--out FILE]
 * Shorter: --seconds 120 or --series 200. Needs the compiled nodes (npm run build).
 * Writes bench/results/soak.json.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const ROOT = path.join(__dirname, '..');
const { values: opts } = parseArgs({
  options: {
    series: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '600' },
    window: { type: 'string', default: '24' },
    units: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '32' },
    out: { type: 'string', default: path.join(__dirname, 'results', 'soak.json') },
  },
});
const SERIES = Number(opts.series);
const SECONDS = Number(opts.seconds);
const WINDOW = Number(opts.window);
const IN_FLIGHT = Number(opts['in-flight']);
const T0 = Date.UTC(2024, 0, 1);
const Z = 'soak';

/** A reading of series s at second t: a daily-ish sine with a per-series phase and a little noise. */
const value = (s, t) => 20 + 5 * Math.sin((t + 37 * s) / 60) + 0.1 * Math.sin(t * 1.7 + s);
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
const ms = (ns) => Math.round((ns / 1e6) * 100) / 100;

function flow() {
  return [
    { id: Z, type: 'tab', label: 'soak' },
    { id: 'hist', type: 'sequence-windower', z: Z, mode: 'batch', window: WINDOW, horizon: 1, wires: [[], ['t']] },
    {
      id: 't',
      type: 'lstm-train',
      z: Z,
      model: 'soak',
      units: Number(opts.units),
      epochs: 5,
      patience: 5,
      batchSize: 64,
      seed: 1,
      wires: [[], []],
    },
    {
      id: 'w',
      type: 'sequence-windower',
      z: Z,
      mode: 'stream',
      window: WINDOW,
      horizon: 0,
      maxSeries: SERIES,
      wires: [['p'], []],
    },
    { id: 'p', type: 'lstm-predict', z: Z, model: 'soak', wires: [[]] },
  ];
}

async function main() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-soak-'));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow()));
  const RED = require('node-red');
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [path.join(ROOT, 'nodes')],
    httpAdminRoot: false,
    httpNodeRoot: false,
    editorTheme: { tours: false },
    logging: { console: { level: 'warn' } },
    contextStorage: { default: { module: 'memory' } },
  });
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await started;
  const types = RED.nodes.getNodeList().map((n) => n.types.join(','));
  if (!types.some((t) => t.includes('lstm-predict'))) throw new Error(`the pack's nodes did not load: ${types}`);
  const tf = require('@tensorflow/tfjs-core');

  // Completions per node, from Node-RED's own message hooks (no spies: nothing here keeps messages).
  const waiting = new Map(); // msgid -> resolve
  let failures = 0;
  let forecasts = 0;
  let firstError;
  let trained;
  RED.hooks.add('onComplete.soak', (ev) => {
    const id = ev.node.id;
    if (ev.error) {
      failures++;
      if (!firstError) firstError = `${id}: ${ev.error}`;
    }
    if (id === 't') trained?.(ev.error);
    const phase = id === 'p' ? 'p' : id === 'w' ? 'w' : undefined;
    if (!phase) return;
    if (phase === 'p' && !ev.error) forecasts++;
    const key = `${phase}:${ev.msg._msgid}`;
    const r = waiting.get(key);
    if (r) {
      waiting.delete(key);
      r();
    }
  });
  const node = (id) => {
    const n = RED.nodes.getNode(id);
    if (!n) throw new Error(`node ${id} did not start`);
    return n;
  };

  // Train the shared model on 2 days of one series.
  const history = Array.from({ length: 2880 }, (_, i) => ({ value: value(0, i * 60), timestamp: T0 + i * 60000 }));
  const trainedP = new Promise((resolve, reject) => (trained = (err) => (err ? reject(new Error(err)) : resolve())));
  node('hist').receive({ payload: history });
  await trainedP;
  console.error(`model trained; streaming ${SERIES} series x ${SECONDS} s (window ${WINDOW})`);

  const w = node('w');
  let seq = 0;
  /** Sends one reading; resolves when its last node finished (the windower while it fills, else predict). */
  const send = (s, t) =>
    new Promise((resolve) => {
      const msgid = `soak${seq++}`;
      waiting.set(`${t < WINDOW - 1 ? 'w' : 'p'}:${msgid}`, resolve);
      w.receive({ _msgid: msgid, topic: `s${s}`, payload: value(s, t), timestamp: T0 + t * 1000 });
    });

  const lag = monitorEventLoopDelay({ resolution: 10 });
  const samples = [];
  let start;
  const inflight = new Set();
  for (let t = 0; t < SECONDS; t++) {
    if (t === WINDOW) {
      // Steady state: every series holds a full window and the model is loaded.
      await Promise.all(inflight);
      if (global.gc) global.gc();
      start = {
        wall: process.hrtime.bigint(),
        forecasts,
        rss: process.memoryUsage().rss,
        heap: process.memoryUsage().heapUsed,
        tensors: tf.memory().numTensors,
      };
      lag.enable();
    }
    for (let s = 0; s < SERIES; s++) {
      const p = send(s, t).then(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    if ((t + 1) % 30 === 0) {
      const m = process.memoryUsage();
      samples.push({ simulatedSeconds: t + 1, rssMB: mb(m.rss), heapMB: mb(m.heapUsed), forecasts });
      console.error(`  simulated ${t + 1} s: rss ${mb(m.rss)} MB, ${forecasts} forecasts, ${failures} failed`);
    }
  }
  await Promise.all(inflight);
  lag.disable();
  const wallS = Number(process.hrtime.bigint() - start.wall) / 1e9;
  if (global.gc) global.gc();
  const end = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, tensors: tf.memory().numTensors };
  const steadyForecasts = forecasts - start.forecasts;
  const result = {
    command: `node bench/soak.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      nproc: os.cpus().length,
      cpu: os.cpus()[0].model,
      node: process.version,
      nodeRed: RED.version(),
      backend: tf.getBackend(),
    },
    series: SERIES,
    simulatedSeconds: SECONDS,
    window: WINDOW,
    readings: SERIES * SECONDS,
    forecasts,
    failures,
    firstError,
    steadyState: {
      simulatedSeconds: SECONDS - WINDOW,
      wallSeconds: Math.round(wallS * 10) / 10,
      forecastsPerSecond: Math.round(steadyForecasts / wallS),
      rssStartMB: mb(start.rss),
      rssEndMB: mb(end.rss),
      rssGrowthMB: mb(end.rss - start.rss),
      heapStartMB: mb(start.heap),
      heapEndMB: mb(end.heap),
      eventLoopDelayMs: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
      tensorsStart: start.tensors,
      tensorsEnd: end.tensors,
    },
    samples,
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  await RED.stop();
  fs.rmSync(userDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack);
    process.exit(1);
  },
);
