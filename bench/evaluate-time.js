#!/usr/bin/env node
'use strict';
/**
 * End to end, before and after the fused kernel: `lstm-forecast evaluate` (the default lstm type) on a
 * multi-year daily CSV, once with LSTM_FORECAST_KERNEL=tfjs (before: tfjs trains and forecasts) and once
 * with the kernel (after: the default path), alternating round by round (round 2 runs the kernel first) so
 * that a shared machine's load drifts onto both alike. Each run is its own `node nodes/cli/lstm-forecast.js`
 * process; reported per run: wall time, CPU time of the process (all its threads), epochs, training
 * seconds and seconds per epoch, test MAE / RMSE / MASE; then medians per path and the before / after ratios.
 *
 *   npm run bench:evaluate -- [--dataset seattle|sp500] [--rounds 2] [--seeds 1] [--epochs N]
 *     [--window 56] [--horizon 7] [--backend wasm] [--out FILE]
 *   (or node bench/evaluate-time.js ... after npm run build)
 *
 * Datasets (vega-datasets, a devDependency, in node_modules):
 * - seattle: seattle-weather.csv, daily 2012-01-01 .. 2015-12-31 (1,461 rows); target temp_max, features
 *   temp_max, temp_min, precipitation, wind; season 1 (no weekly cycle in weather; a 365-day season would
 *   leave the seasonal naive too few train rows to be fair).
 * - sp500: sp500-2000.csv, the S&P 500 close on trading days 2000-01-03 .. 2020-04-17 (5,104 rows, 20 years);
 *   target close, features close, volume; season 1. Through tfjs this is the slow case the issue describes
 *   (minutes per epoch on a loaded machine).
 * --epochs: the pack's default (100, early stopping with patience 10) unless given; with a cap, compare the
 * seconds per epoch. Writes bench/results/evaluate-time.json and .md. Needs the compiled pack (npm run build).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'nodes', 'cli', 'lstm-forecast.js');
const DATA = path.join(ROOT, 'node_modules', 'vega-datasets', 'data');
const DATASETS = {
  seattle: {
    csv: path.join(DATA, 'seattle-weather.csv'),
    target: 'temp_max',
    features: 'temp_max,temp_min,precipitation,wind',
    time: 'date',
  },
  sp500: { csv: path.join(DATA, 'sp500-2000.csv'), target: 'close', features: 'close,volume', time: 'date' },
};
// The child writes its CPU seconds (user + system, every thread) to stderr as it exits.
const CPU_PRELOAD =
  "process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\nCPU_SECONDS='+(u.user+u.system)/1e6+'\\n')})";

function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function int(v, name, lo, hi, dflt) {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${name} must be an integer ${lo}..${hi}, got ${v}`);
  return n;
}

/** One evaluate run on `path` ('tfjs' or 'kernel'): its figures, or { error }. */
function runOnce(kernelPath, o, preload) {
  const env = { ...process.env };
  if (kernelPath === 'tfjs') env.LSTM_FORECAST_KERNEL = 'tfjs';
  else delete env.LSTM_FORECAST_KERNEL;
  const d = o.dataset;
  const args = ['--require', preload, CLI, 'evaluate', '--csv', d.csv, '--target', d.target];
  args.push('--features', d.features, '--time', d.time, '--window', String(o.window), '--horizon', String(o.horizon));
  args.push('--season', '1', '--model', 'lstm', '--seeds', String(o.seeds), '--backend', o.backend, '--json');
  args.push('--quiet');
  if (o.epochs !== undefined) args.push('--epochs', String(o.epochs));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: o.timeoutMs, maxBuffer: 1 << 26 });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = /CPU_SECONDS=([\d.]+)/.exec(r.stderr || '');
  let doc;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    const why = r.error ? r.error.code : (r.stderr || '').split('\n').filter(Boolean).slice(-3).join(' | ');
    return { path: kernelPath, error: `evaluate failed (exit ${r.status}): ${why}` };
  }
  const m = doc.models.find((x) => x.label === 'lstm');
  const epochs = m.runs.reduce((a, x) => a + x.epochs, 0);
  const trainSeconds = m.runs.reduce((a, x) => a + x.trainSeconds, 0);
  return {
    path: kernelPath,
    wallSeconds,
    cpuSeconds: cpu ? Number(cpu[1]) : NaN,
    epochs,
    trainSeconds,
    secondsPerEpoch: trainSeconds / epochs,
    mae: m.mae.mean,
    rmse: m.rmse.mean,
    mase: m.mase.mean,
    n: doc.n,
    trainWindows: doc.windows.train,
    testWindows: doc.windows.test,
    backend: doc.backend,
    naiveMase: doc.baselines.lastValue.mase,
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string' },
      rounds: { type: 'string' },
      seeds: { type: 'string' },
      epochs: { type: 'string' },
      window: { type: 'string' },
      horizon: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const name = values.dataset || 'seattle';
  const dataset = DATASETS[name];
  if (!dataset) throw new Error(`--dataset must be ${Object.keys(DATASETS).join(' or ')}, got ${name}`);
  if (!fs.existsSync(dataset.csv)) throw new Error(`${dataset.csv} is missing: npm ci installs vega-datasets`);
  const o = {
    dataset,
    rounds: int(values.rounds, 'rounds', 1, 10, 2),
    seeds: int(values.seeds, 'seeds', 1, 10, 1),
    epochs: int(values.epochs, 'epochs', 1, 1000, undefined),
    window: int(values.window, 'window', 2, 1000, 56),
    horizon: int(values.horizon, 'horizon', 1, 200, 7),
    backend: values.backend || 'wasm',
    timeoutMs: 2 * 60 * 60 * 1000,
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evaluate-time-'));
  const preload = path.join(tmp, 'cpu.js');
  fs.writeFileSync(preload, CPU_PRELOAD + '\n');
  const runs = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 ? ['tfjs', 'kernel'] : ['kernel', 'tfjs'];
      for (const p of order) {
        process.stderr.write(`round ${round}: ${p} ...\n`);
        const r = runOnce(p, o, preload);
        process.stderr.write(`  ${r.error || `${r.wallSeconds.toFixed(1)} s, ${r.epochs} epochs`}\n`);
        runs.push({ round, ...r });
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const first = runs.find((r) => !r.error) || {};
  const lines = [
    `lstm-forecast evaluate --model lstm on ${path.basename(dataset.csv)} (${first.n ?? '?'} rows, target ` +
      `${dataset.target}, features ${dataset.features}), window ${o.window}, horizon ${o.horizon}, ` +
      `${o.seeds} seed(s), epochs ${o.epochs ?? "the pack's default (early stopping)"}, backend ${o.backend}; ` +
      `${first.trainWindows ?? '?'} train windows, ${first.testWindows ?? '?'} test origins. Load average ` +
      `(1 / 5 / 15 min) at the end: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')} on ${os.availableParallelism()} cores.`,
    '',
    '| round | path | wall s | CPU s | epochs | train s | s / epoch | test MAE | RMSE | MASE |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    if (r.error) lines.push(`| ${r.round} | ${r.path} | ${r.error} | | | | | | | |`);
    else {
      lines.push(
        `| ${r.round} | ${r.path === 'tfjs' ? 'before (LSTM_FORECAST_KERNEL=tfjs)' : 'after (fused kernel)'} | ` +
          `${f(r.wallSeconds)} | ${f(r.cpuSeconds)} | ${r.epochs} | ${f(r.trainSeconds)} | ` +
          `${f(r.secondsPerEpoch, 2)} | ${f(r.mae, 3)} | ${f(r.rmse, 3)} | ${f(r.mase, 3)} |`,
      );
    }
  }
  const med = (p, k) => median(runs.filter((r) => r.path === p && !r.error).map((r) => r[k]));
  lines.push('', '| median | before (tfjs) | after (kernel) | before / after |', '|---|---|---|---|');
  for (const [k, label, d] of [
    ['wallSeconds', 'wall s', 1],
    ['cpuSeconds', 'CPU s', 1],
    ['secondsPerEpoch', 's / epoch', 2],
    ['mase', 'test MASE', 3],
  ]) {
    const b = med('tfjs', k);
    const a = med('kernel', k);
    lines.push(`| ${label} | ${f(b, d)} | ${f(a, d)} | ${f(b / a, 2)} |`);
  }
  lines.push('', `Last-value naive test MASE: ${f(first.naiveMase, 3)}.`);
  const text = lines.join('\n');
  process.stdout.write(text + '\n');
  const outFile = values.out || path.join(__dirname, 'results', 'evaluate-time.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const settings = { ...o, dataset: name, csv: dataset.csv };
  fs.writeFileSync(outFile, JSON.stringify({ date: new Date().toISOString(), settings, runs }, null, 1));
  fs.writeFileSync(outFile.replace(/\.json$/, '') + '.md', text + '\n');
  if (runs.some((r) => r.error)) process.exitCode = 1;
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench/evaluate-time.js: ${e.message}\n`);
  process.exitCode = 2;
}
