#!/usr/bin/env node
'use strict';
/**
 * 'attention' type forecasts through the kernel's LSTM encoder vs tfjs, in one process, alternating
 * (a round of each path in turn, so load changes hit both): 1-window forecast p50 / p99 and batch-256
 * forecasts/s through Forecaster.predict, on model B of bench/speed.js (window 48, F = 1, LSTM-64,
 * attention units as the default, 12-step head, highway). Prints a table and the load average.
 *
 *   npm run build && node bench/attention-forecast.js [--rounds 5] [--latency 200] [--batches 10]
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
  process.env.LSTM_FORECAST_KERNEL = 'tfjs';
  const { artifact } = await trainForecaster(
    data,
    { type: 'attention', units: 64, seed: 0 },
    {
      epochs: 1,
      batchSize: 64,
      name: 'bench',
    },
  );
  const fc = Forecaster.fromArtifact(artifact);
  const setPath = (p) => {
    if (p === 'tfjs') process.env.LSTM_FORECAST_KERNEL = 'tfjs';
    else if (env === undefined || env.toLowerCase() === 'tfjs') delete process.env.LSTM_FORECAST_KERNEL;
    else process.env.LSTM_FORECAST_KERNEL = env;
    if (fc.path !== p) throw new Error(`expected the ${p} path, the forecaster takes ${fc.path}`);
  };
  const load0 = os.loadavg();
  const times = { kernel: [], tfjs: [] };
  const rates = { kernel: [], tfjs: [] };
  const batch = data.inputs.slice(0, 256);
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 ? ['tfjs', 'kernel'] : ['kernel', 'tfjs']) {
      setPath(p);
      for (let i = 0; i < 10; i++) fc.predict([data.inputs[i]]);
      for (let i = 0; i < latencyN; i++) {
        const t0 = performance.now();
        fc.predict([data.inputs[i % data.inputs.length]]);
        times[p].push(performance.now() - t0);
      }
      fc.predict(batch);
      const t0 = performance.now();
      for (let i = 0; i < batches; i++) fc.predict(batch);
      rates[p].push((256 * batches) / ((performance.now() - t0) / 1000));
    }
  }
  const load1 = os.loadavg();
  fc.dispose();
  const med = (xs) => quantile(xs, 0.5);
  console.log(`backend ${info.name}, ${rounds} alternating rounds, ${os.cpus().length} cores`);
  console.log('| path | 1-window p50 ms | 1-window p99 ms | batch-256 forecasts/s (median of rounds) |');
  console.log('|---|---|---|---|');
  for (const p of ['kernel', 'tfjs']) {
    console.log(
      `| ${p} | ${med(times[p]).toFixed(3)} | ${quantile(times[p], 0.99).toFixed(3)} | ${med(rates[p]).toFixed(0)} |`,
    );
  }
  console.log(
    `speed-up: 1-window p50 ${(med(times.tfjs) / med(times.kernel)).toFixed(1)}x, ` +
      `batch-256 ${(med(rates.kernel) / med(rates.tfjs)).toFixed(1)}x`,
  );
  console.log(
    `load average (1 / 5 / 15 min) before ${load0.map((x) => x.toFixed(2)).join(' / ')}, ` +
      `after ${load1.map((x) => x.toFixed(2)).join(' / ')}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
