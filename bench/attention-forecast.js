#!/usr/bin/env node
'use strict';
/**
 * 'attention' and 'gca' type forecasts through the kernel's LSTM encoder vs tfjs, in one process, alternating
 * (a round of each path in turn, so load changes hit both): 1-window forecast p50 / p99 and batch-256
 * forecasts/s through Forecaster.predict, on model B of bench/speed.js (window 48, F = 1, LSTM-64,
 * attention units as the default, 12-step head, highway); GCA with N = 2 (the default) or as --models
 * names it (gca1..gca3); batch throughput per second of wall time and of this process's CPU time (less moved by a
 * shared machine's load). Before timing, both paths' batch-256 outputs are compared (max |kernel - tfjs|
 * on the forecast in real units and on the attention). Prints a table and the load average.
 *
 *   npm run build && node bench/attention-forecast.js [--models attention,gca] [--rounds 5] [--latency 200]
 *     [--batches 10]
 */
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const CORE = path.join(__dirname, '..', 'nodes', 'core');

function quantile(xs, q) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Noisy daily sine, n windows of 48 x 1 with 12 targets (deterministic). */
function synthetic(n, L = 48, H = 12) {
  const rows = Array.from({ length: n + L + H }, (_, i) => [
    Math.sin((2 * Math.PI * i) / 24) + 0.001 * i + 0.05 * Math.sin(i * 12.9898),
  ]);
  const inputs = [];
  const targets = [];
  for (let o = L - 1; o < L - 1 + n; o++) {
    inputs.push(rows.slice(o - L + 1, o + 1));
    targets.push(rows.slice(o + 1, o + 1 + H));
  }
  return { inputs, targets, features: ['y'], target: 'y', window: L, horizon: H, step: 0, series: '' };
}

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      latency: { type: 'string', default: '200' },
      batches: { type: 'string', default: '10' },
      models: { type: 'string', default: 'attention,gca' },
    },
  });
  const [rounds, latencyN, batches] = [values.rounds, values.latency, values.batches].map(Number);
  const warn = console.warn;
  console.warn = (...a) => (String(a[0]).startsWith('Orthogonal initializer') ? undefined : warn(...a));
  const { initBackend } = require(path.join(CORE, 'base/backend'));
  const { trainForecaster } = require(path.join(CORE, 'train/trainer'));
  const { Forecaster } = require(path.join(CORE, 'serve/forecaster'));
  const info = await initBackend();
  const data = synthetic(600);
  const env = process.env.LSTM_FORECAST_KERNEL;
  const models = values.models.split(',').map((name) => {
    const m = /^(attention|gca)([1-3])?$/.exec(name);
    if (!m) throw new Error(`unknown model "${name}" (expected attention, gca or gca1..gca3)`);
    const config = { type: m[1], units: 64, seed: 0 };
    if (m[2]) config.iterations = Number(m[2]);
    return { name, config };
  });
  const setPath = (fc, p) => {
    if (p === 'tfjs') process.env.LSTM_FORECAST_KERNEL = 'tfjs';
    else if (env === undefined || env.toLowerCase() === 'tfjs') delete process.env.LSTM_FORECAST_KERNEL;
    else process.env.LSTM_FORECAST_KERNEL = env;
    if (fc.path !== p) throw new Error(`expected the ${p} path, the forecaster takes ${fc.path}`);
  };
  const batch = data.inputs.slice(0, 256);
  const rows = [];
  const load0 = os.loadavg();
  for (const { name, config } of models) {
    process.env.LSTM_FORECAST_KERNEL = 'tfjs';
    const { artifact } = await trainForecaster(data, config, { epochs: 1, batchSize: 64, name: 'bench' });
    const fc = Forecaster.fromArtifact(artifact);
    const out = {};
    for (const p of ['kernel', 'tfjs']) {
      setPath(fc, p);
      out[p] = fc.predict(batch);
    }
    const maxDiff = (a, b) => Math.max(...a.flat(3).map((v, i) => Math.abs(v - b.flat(3)[i])));
    const diff = { forecast: maxDiff(out.kernel.forecast, out.tfjs.forecast) };
    diff.attention = maxDiff(out.kernel.attention, out.tfjs.attention);
    const times = { kernel: [], tfjs: [] };
    const rates = { kernel: [], tfjs: [] };
    const cpuRates = { kernel: [], tfjs: [] };
    for (let r = 0; r < rounds; r++) {
      for (const p of r % 2 ? ['tfjs', 'kernel'] : ['kernel', 'tfjs']) {
        setPath(fc, p);
        for (let i = 0; i < 10; i++) fc.predict([data.inputs[i]]);
        for (let i = 0; i < latencyN; i++) {
          const t0 = performance.now();
          fc.predict([data.inputs[i % data.inputs.length]]);
          times[p].push(performance.now() - t0);
        }
        fc.predict(batch);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        for (let i = 0; i < batches; i++) fc.predict(batch);
        rates[p].push((256 * batches) / ((performance.now() - t0) / 1000));
        const c = process.cpuUsage(c0);
        cpuRates[p].push((256 * batches) / ((c.user + c.system) / 1e6));
      }
    }
    fc.dispose();
    rows.push({ name, times, rates, cpuRates, diff });
    // a long run shows each model as it finishes
    console.error(
      `${name} done: p50 kernel ${quantile(times.kernel, 0.5).toFixed(3)} ms, tfjs ${quantile(times.tfjs, 0.5).toFixed(3)} ms`,
    );
  }
  const load1 = os.loadavg();
  const med = (xs) => quantile(xs, 0.5);
  console.log(`backend ${info.name}, ${rounds} alternating rounds, ${os.cpus().length} cores`);
  console.log(
    '| model | path | 1-window p50 ms | 1-window p99 ms | batch-256 forecasts/s (median of rounds) | ' +
      'the same per second of CPU time |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const { name, times, rates, cpuRates } of rows) {
    for (const p of ['kernel', 'tfjs']) {
      const [p50, p99] = [med(times[p]), quantile(times[p], 0.99)];
      console.log(
        `| ${name} | ${p} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${med(rates[p]).toFixed(0)} | ` +
          `${med(cpuRates[p]).toFixed(0)} |`,
      );
    }
  }
  for (const { name, times, rates, diff } of rows) {
    console.log(
      `${name}: speed-up 1-window p50 ${(med(times.tfjs) / med(times.kernel)).toFixed(1)}x, ` +
        `batch-256 ${(med(rates.kernel) / med(rates.tfjs)).toFixed(1)}x; max |kernel - tfjs| ` +
        `forecast ${diff.forecast.toExponential(1)} (real units), attention ${diff.attention.toExponential(1)}`,
    );
  }
  console.log(
    `load average (1 / 5 / 15 min) before ${load0.map((x) => x.toFixed(2)).join(' / ')}, ` +
      `after ${load1.map((x) => x.toFixed(2)).join(' / ')}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
