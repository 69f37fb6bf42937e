#!/usr/bin/env node
'use strict';
/*
 * What recalibration costs lstm-predict per message: the time of StreamMonitor.next (score the new reading
 * against the kept forecasts, serve the bands of the new forecast) for one stream, with and without recalibrate,
 * interleaved in rounds, after the stream holds its full window of own residuals. A calibration of n = 1,000
 * validation windows (a 200-rank grid) with a backtest grid of 400 ranks, levels 80 and 95 %.
 *
 *   node bench/interval-serve.js [--horizons 1,24,96] [--messages 2000] [--rounds 3]
 *
 * Runs the compiled core (npm run build first).
 */
const { StreamMonitor } = require('../nodes/core/serve/intervals');
const { keptRanks } = require('../nodes/core/data/conformal');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const horizons = String(opt('horizons', '1,24,96')).split(',').map(Number);
const MESSAGES = Number(opt('messages', 2000));
const ROUNDS = Number(opt('rounds', 3));

function calibration(H) {
  const grid = (n, g, scale) => {
    const ranks = keptRanks(n, g);
    return { n, ranks, residuals: Array.from({ length: H }, () => ranks.map((r) => (scale * r) / n)) };
  };
  const cal = { method: 'split-conformal', ...grid(1000, 200, 1), rmse: Array(H).fill(0.5) };
  return { ...cal, backtest: grid(3000, 400, 0.9) };
}

/** ms per message of `messages` messages after as many to fill the stream. */
function time(H, recalibrate) {
  const cal = calibration(H);
  const m = new StreamMonitor({ levels: [0.8, 0.95], adaptRate: 0, threshold: 1.5, maxStreams: 10, recalibrate });
  const forecast = Array(H).fill(10);
  let t0 = 0n;
  for (let t = 0; t < 2 * MESSAGES; t++) {
    if (t === MESSAGES) t0 = process.hrtime.bigint();
    const times = forecast.map((_, h) => t + h + 1);
    m.next('model', 'topic', cal, 0, [[10], [10 + Math.sin(t)]], [t - 1, t], forecast, times, 1);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6 / MESSAGES;
}

const rows = [];
for (const H of horizons) {
  const off = [];
  const on = [];
  for (let r = 0; r < ROUNDS; r++) {
    off.push(time(H, false));
    on.push(time(H, true));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  rows.push([H, median(off), median(on)]);
}
console.log('| horizon | recalibrate off (ms / message) | on (ms / message) | on / off |');
console.log('|---|---|---|---|');
for (const [H, off, on] of rows)
  console.log(`| ${H} | ${off.toFixed(4)} | ${on.toFixed(4)} | ${(on / off).toFixed(1)}x |`);
