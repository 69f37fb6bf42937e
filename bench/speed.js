#!/usr/bin/env node
'use strict';
/**
 * Speed benchmark. Per available backend (tensorflow where tfjs-node loads,
 * wasm, cpu), each measured in its own child process (so peak RSS is per
 * backend), backends interleaved round by round, medians over rounds:
 * - training windows/s (the pack's trainer, synthetic noisy sine + trend windows), through tfjs
 *   (LSTM_FORECAST_KERNEL=tfjs) and (lstm, attention types) through the fused kernel,
 * - single-window predict latency p50 / p99, batch-256 predict throughput, through tfjs
 *   and (lstm, attention types) through the fused wasm kernel (src/kernel/lstm.ts),
 * - tensor count before / after many single-window predictions,
 * - event-loop lag (max and p99 of a 10 ms setInterval probe) while training
 *   runs in the worker (train-runner) and on the main thread,
 * - the same model A in bare tfjs (model.fit, model.predict + dataSync), to
 *   separate the pack's overhead from TensorFlow.js's,
 * - peak RSS,
 * - lstm-predict node throughput in a real Node-RED runtime: N windows sent in one tick, forecasts/s with
 *   batching on and off (maxBatch 1) side by side (--node-messages 0 skips it).
 * Reference model A: window 48, F = 1 and 3, LSTM 64 units, horizon 12, batch 64;
 * model B: the pack's 'attention' type (LSTM 64, all states, + additive temporal attention + Dense(12));
 * GCA N=2 when asked for. The fused kernel serves the 'lstm' and 'attention' types (B through its LSTM
 * encoder, training and forecasts): GCA runs through tfjs whatever LSTM_FORECAST_KERNEL says (the
 * side-by-side table says so).
 * Definitions: bench/anchors/speed-anchors.md (Adam 1e-3, noisy sine + trend windows).
 *
 * Single-thread PyTorch on models A and B (bench/torch-reference.py, the same windows bit for bit) runs
 * in the same rounds as a further "backend", and the side-by-side table gives every runtime's ratio
 * to it. The interpreter: $TORCH_PYTHON, else the first of `python3`, `/usr/bin/python3` that imports
 * torch (Debian: apt-get install python3-torch); none: a note, and the rest runs. Debian's torch links
 * the system libblas.so.3, the reference BLAS unless OpenBLAS is installed (about 40x slower matrix
 * products: the script warns); TORCH_BLAS_DIR=DIR puts DIR (an OpenBLAS libblas.so.3) first on the
 * torch child's LD_LIBRARY_PATH. OPENBLAS/OMP/MKL_NUM_THREADS are 1 in that child.
 * Rounds alternate the order of the runtimes (round 2 runs them last to first), so drift of a shared
 * machine's load hits them alike; medians over rounds. On a shared machine compare ratios, not figures.
 *
 *   npm run bench:speed -- [--rounds 2] [--backends wasm,cpu] [--windows 1024]
 *     [--leak 10000] [--latency 300] [--models lstm,attention,gca]
 *     [--cpu-windows 320] [--node-messages 1024] [--no-torch] [--out FILE]
 *   (or node bench/speed.js ... after npm run build)
 * The cpu backend trains on --cpu-windows windows (rates stay comparable); PyTorch on --windows.
 * Writes bench/results/speed.json and speed.md.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { spawnSync } = require('node:child_process');

const CORE = path.join(__dirname, '..', 'nodes', 'core');

function quantile(xs, q) {
  const s = xs.slice().sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Noisy sine + trend, n windows of L x F with H targets (deterministic). */
function synthetic(n, L, F, H, seed = 1) {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const len = n + L + H;
  const rows = [];
  for (let i = 0; i < len; i++) {
    const y = Math.sin((2 * Math.PI * i) / 24) + 0.001 * i + 0.1 * (rand() - 0.5);
    const r = [y];
    for (let f = 1; f < F; f++) r.push(Math.cos((2 * Math.PI * i) / (12 * f)) + 0.1 * (rand() - 0.5));
    rows.push(r);
  }
  const inputs = [];
  const targets = [];
  for (let o = L - 1; o < L - 1 + n; o++) {
    inputs.push(rows.slice(o - L + 1, o + 1));
    targets.push(rows.slice(o + 1, o + 1 + H).map((r) => [r[0]]));
  }
  return {
    inputs,
    targets,
    features: Array.from({ length: F }, (_, f) => (f ? `x${f}` : 'y')),
    target: 'y',
    window: L,
    horizon: H,
    step: 0,
    series: '',
  };
}

/** Lateness of a 10 ms setInterval while `work` runs: { max, p99 } ms. */
async function lagDuring(work) {
  const lags = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 10));
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
    // A probe that never fired while `work` blocked the loop still counts.
    lags.push(Math.max(0, performance.now() - last - 10));
  }
  return { max: Math.max(0, ...lags), p99: quantile(lags, 0.99), samples: lags.length };
}

/**
 * 1-window forecast latency p50 / p99 and batch-256 throughput of `fc` on its current path;
 * keys prefixed with `prefix` (predict1P50ms or kernelPredict1P50ms, ...).
 */
function measurePredict(fc, data, opts, reps, prefix) {
  const key = (k) => (prefix ? prefix + k[0].toUpperCase() + k.slice(1) : k);
  const one = [data.inputs[0]];
  for (let i = 0; i < 20; i++) fc.predict(one);
  const times = [];
  for (let i = 0; i < opts.latencyN; i++) {
    const t0 = performance.now();
    fc.predict([data.inputs[i % data.inputs.length]]);
    times.push(performance.now() - t0);
  }
  const batch = data.inputs.slice(0, 256);
  fc.predict(batch);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fc.predict(batch);
  return {
    [key('predict1P50ms')]: quantile(times, 0.5),
    [key('predict1P99ms')]: quantile(times, 0.99),
    [key('batch256WindowsPerSecond')]: (256 * reps) / ((performance.now() - t0) / 1000),
  };
}

async function child(backend, opts) {
  const warn = console.warn;
  console.warn = (...a) => (String(a[0]).startsWith('Orthogonal initializer') ? undefined : warn(...a));
  const { initBackend, tf } = require(path.join(CORE, 'base/backend'));
  const { trainForecaster } = require(path.join(CORE, 'train/trainer'));
  const { resolveModelConfig } = require(path.join(CORE, 'settings/model'));
  const { buildGraph } = require(path.join(CORE, 'model/graph'));
  const { Forecaster } = require(path.join(CORE, 'serve/forecaster'));
  const { MODEL_TYPES } = require(path.join(CORE, 'settings/model'));
  const runner = require(path.join(CORE, 'train/runner'));
  const info = await initBackend(backend);
  if (info.name !== backend)
    return { backend, error: `backend ${backend} did not load (${info.fallbacks.join('; ')})` };
  const types = MODEL_TYPES;
  const models = [
    { id: 'A F=1', cfg: { type: 'lstm', units: 64 }, F: 1, full: true },
    { id: 'A F=3', cfg: { type: 'lstm', units: 64 }, F: 3 },
  ];
  if (types.includes('attention')) models.push({ id: 'B attention F=1', cfg: { type: 'attention', units: 64 }, F: 1 });
  if (types.includes('gca')) models.push({ id: 'C gca N=2 F=1', cfg: { type: 'gca', units: 64, iterations: 2 }, F: 1 });
  const out = { backend, models: {} };
  const trainOpts = {
    epochs: 2,
    patience: 10,
    batchSize: 64,
    learningRate: 1e-3,
    validationFraction: 0.2,
    name: 'speed',
  };
  // The pure-JS backend is ~5-50x slower: it trains on fewer windows (a rate is a rate) so a run ends in minutes.
  const nWindows = backend === 'cpu' ? opts.cpuWindows : opts.windows;
  for (const m of models.filter((x) => opts.models.some((t) => x.cfg.type === t))) {
    const data = synthetic(nWindows, 48, m.F, 12);
    // The pack's training and forecasts through tfjs (LSTM_FORECAST_KERNEL=tfjs), then, where the model
    // type has it, through the fused wasm kernel (the default path): same data, seed, Forecaster, windows.
    const kernelEnv = process.env.LSTM_FORECAST_KERNEL;
    const restoreEnv = () => {
      if (kernelEnv === undefined) delete process.env.LSTM_FORECAST_KERNEL;
      else process.env.LSTM_FORECAST_KERNEL = kernelEnv;
    };
    process.env.LSTM_FORECAST_KERNEL = 'tfjs';
    const { artifact, report } = await trainForecaster(data, { ...m.cfg, seed: 0 }, trainOpts);
    restoreEnv();
    const r = {
      trainWindowsPerSecond: report.windowsPerSecond,
      trainSeconds: report.trainSeconds,
      params: report.params,
    };
    const fc = Forecaster.fromArtifact(artifact);
    process.env.LSTM_FORECAST_KERNEL = 'tfjs';
    Object.assign(r, measurePredict(fc, data, opts, backend === 'cpu' ? 3 : 10, ''));
    restoreEnv();
    if (fc.path === 'kernel') {
      Object.assign(r, measurePredict(fc, data, opts, 50, 'kernel'));
      // the kernel trains on as many windows as the wasm backend, whatever the tfjs backend
      const kdata = synthetic(opts.windows, 48, m.F, 12);
      const k = await trainForecaster(kdata, { ...m.cfg, seed: 0 }, trainOpts);
      r.kernelTrainWindowsPerSecond = k.report.windowsPerSecond;
      r.kernelTrainSeconds = k.report.trainSeconds;
    }
    if (m.full && opts.leak > 0) {
      const before = tf().memory().numTensors;
      for (let i = 0; i < opts.leak; i++) fc.predict([data.inputs[i % data.inputs.length]]);
      r.tensorsBefore = before;
      r.tensorsAfter = tf().memory().numTensors;
      r.leakPredictions = opts.leak;
    }
    if (m.full) {
      // The same architecture in bare tfjs (compile + fit, predict + dataSync), to
      // separate the pack's own overhead from TensorFlow.js's.
      const t = tf();
      const g = buildGraph({ window: 48, features: m.F, horizon: 12 }, resolveModelConfig({ ...m.cfg, seed: 0 }));
      const nFit = Math.round(nWindows * (1 - trainOpts.validationFraction));
      const x = t.tensor3d(data.inputs.slice(0, nFit));
      const y = t.tensor2d(data.targets.slice(0, nFit).map((w) => w.map((v) => v[0])));
      g.serve.compile({ optimizer: t.train.adam(trainOpts.learningRate), loss: 'meanSquaredError' });
      const f0 = performance.now();
      await g.serve.fit(x, y, { epochs: trainOpts.epochs, batchSize: trainOpts.batchSize, shuffle: true, verbose: 0 });
      r.bareFitWindowsPerSecond = (trainOpts.epochs * nFit) / ((performance.now() - f0) / 1000);
      const x1 = t.tensor3d([data.inputs[0]]);
      const bare = [];
      for (let i = 0; i < 20 + opts.latencyN; i++) {
        const a = performance.now();
        const o = g.serve.predict(x1);
        o.dataSync();
        o.dispose();
        if (i >= 20) bare.push(performance.now() - a);
      }
      r.barePredict1P50ms = quantile(bare, 0.5);
      t.dispose([x, y, x1]);
      g.serve.optimizer?.dispose?.();
      t.dispose(g.serve.getWeights());
      // Event-loop lag: the same training job on the main thread and in the worker.
      const lagOpts = { ...trainOpts, epochs: 1 };
      r.lagMainThread = await lagDuring(() => trainForecaster(data, { ...m.cfg, seed: 1 }, lagOpts));
      r.lagWorker = await lagDuring(async () => {
        const job = runner.startTraining({ data, model: { ...m.cfg, seed: 1 }, options: lagOpts, backend });
        await job.promise;
      });
    }
    fc.dispose();
    out.models[m.id] = r;
  }
  out.peakRssMB = process.resourceUsage().maxRSS / 1024;
  return out;
}

/**
 * lstm-predict node throughput in a real Node-RED runtime (node-red-node-test-helper, as test/nodes do): model A
 * (lstm, F = 1, through the kernel) stored in flow context, `n` window messages sent to the node in one tick,
 * forecasts/s from the first send to the last output; batching on (defaults: batchWait 0, maxBatch 256) and off
 * (maxBatch 1) in the same runtime, alternating, medians over `reps`.
 */
async function nodeThroughput(opts) {
  const { initBackend } = require(path.join(CORE, 'base/backend'));
  const { trainForecaster } = require(path.join(CORE, 'train/trainer'));
  const { helper, startRuntime, stopRuntime } = require(path.join(__dirname, '..', 'test', 'helpers', 'runtime'));
  await initBackend();
  const data = synthetic(Math.max(opts.n, 256), 48, 1, 12);
  const { artifact } = await trainForecaster(
    synthetic(256, 48, 1, 12),
    { type: 'lstm', units: 64, seed: 0 },
    { epochs: 1, batchSize: 64, name: 'A' },
  );
  const stored = JSON.parse(JSON.stringify(artifact));
  const modes = { batched: {}, alone: { maxBatch: 1 } };
  const flow = [{ id: 'z', type: 'tab' }];
  for (const [id, props] of Object.entries(modes)) {
    flow.push({ id, type: 'lstm-predict', z: 'z', model: 'A', levels: '', ...props, wires: [[`${id}-out`], []] });
    flow.push({ id: `${id}-out`, type: 'helper', z: 'z' });
  }
  await startRuntime([require(path.join(__dirname, '..', 'nodes', 'lstm-predict.js'))], flow);
  const t = Date.UTC(2024, 0, 1);
  const msgs = data.inputs.slice(0, opts.n).map((w) => ({
    payload: { type: 'window', features: ['y'], step: 60000, inputs: w, timestamps: w.map((_, j) => t + j * 60000) },
  }));
  const rates = { batched: [], alone: [] };
  try {
    for (const id of Object.keys(modes)) helper.getNode(id).context().flow.set('A', stored);
    const once = (id) =>
      new Promise((resolve, reject) => {
        let left = msgs.length;
        const out = helper.getNode(`${id}-out`);
        const timer = setTimeout(() => reject(new Error(`${id}: ${left} forecasts missing after 120 s`)), 120000);
        const t0 = performance.now();
        const onMsg = () => {
          if (--left > 0) return;
          clearTimeout(timer);
          out.removeListener('input', onMsg);
          resolve(msgs.length / ((performance.now() - t0) / 1000));
        };
        out.on('input', onMsg);
        const node = helper.getNode(id);
        // The helper spies (sinon) on every node call and keeps them: forget them so each rep starts alike.
        helper._sandbox.resetHistory();
        for (const m of msgs) node.receive({ ...m });
      });
    // Warm-up: loads the model in both nodes and the kernel.
    for (const id of Object.keys(modes)) await once(id);
    for (let r = 0; r < opts.reps; r++) for (const id of Object.keys(modes)) rates[id].push(await once(id));
  } finally {
    await stopRuntime();
  }
  return {
    backend: 'node',
    messages: opts.n,
    reps: opts.reps,
    batchedPerSecond: median(rates.batched),
    alonePerSecond: median(rates.alone),
    loadAverage: require('node:os').loadavg(),
  };
}

/** The first interpreter that imports torch ($TORCH_PYTHON, python3, /usr/bin/python3), or null + why. */
function findTorchPython() {
  const tried = [];
  const candidates = [process.env.TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60000 });
    if (r.status === 0) return { python: py };
    tried.push(`${py}: ${r.error ? r.error.code : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return { python: null, why: `no python with torch (${tried.join('; ')})` };
}

/** One run of bench/torch-reference.py on the models it has (A, B), single-threaded; its JSON. */
function runTorch(python, values) {
  const kinds = (values.models || 'lstm,attention,gca').split(',').filter((k) => k === 'lstm' || k === 'attention');
  if (!kinds.length) return { error: 'no PyTorch reference for the chosen --models (it has lstm and attention)' };
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  if (process.env.TORCH_BLAS_DIR) {
    env.LD_LIBRARY_PATH = [process.env.TORCH_BLAS_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  const args = [
    path.join(__dirname, 'torch-reference.py'),
    '--models',
    kinds.join(','),
    '--windows',
    String(values.windows || 1024),
    '--latency',
    String(values.latency || 300),
  ];
  const r = spawnSync(python, args, { encoding: 'utf8', env, timeout: 20 * 60 * 1000, maxBuffer: 1 << 24 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    const why = r.error ? r.error.code : (r.stderr || '').split('\n').filter(Boolean).slice(-3).join(' | ');
    return { error: `torch-reference.py failed (exit ${r.status}): ${why}` };
  }
}

/**
 * The side-by-side table: per model, PyTorch (1 thread) and each measured runtime of the pack with its ratio
 * to PyTorch in the same run (train and batch: rate / PyTorch's; 1-window: PyTorch's p50 / its p50; > 1 = faster).
 */
function sideBySide(summary, torch, f) {
  const lines = [
    '| model | runtime | train windows/s | x PyTorch | 1-window predict ms p50 / p99 | x PyTorch | ' +
      'batch-256 predict windows/s | x PyTorch | peak RSS MB (process) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const ids = [...new Set(Object.values(summary).flatMap((s) => Object.keys(s.models)))];
  for (const id of ids) {
    const p = torch && torch.models[id];
    const ratio = (x, ref, inverse) =>
      p && Number.isFinite(x) && Number.isFinite(ref) ? `${f(inverse ? ref / x : x / ref, 2)}x` : '-';
    const row = (runtime, train, p50, p99, batch, rss) =>
      lines.push(
        `| ${id} | ${runtime} | ${f(train)} | ${ratio(train, p && p.trainWindowsPerSecond)} | ` +
          `${f(p50, 2)} / ${f(p99, 2)} | ${ratio(p50, p && p.predict1P50ms, true)} | ${f(batch, 0)} | ` +
          `${ratio(batch, p && p.batch256WindowsPerSecond)} | ${f(rss, 0)} |`,
      );
    if (p) {
      row(
        `${torch.runtime} (${torch.blas})`,
        p.trainWindowsPerSecond,
        p.predict1P50ms,
        p.predict1P99ms,
        p.batch256WindowsPerSecond,
        torch.peakRssMB,
      );
    } else
      lines.push(
        `| ${id} | PyTorch | no reference for this model${torch ? '' : ' (PyTorch not measured)'} | | | | | | |`,
      );
    for (const [b, s] of Object.entries(summary)) {
      const m = s.models[id];
      if (!m) continue;
      row(
        `pack, tfjs-${b}`,
        m.trainWindowsPerSecond,
        m.predict1P50ms,
        m.predict1P99ms,
        m.batch256WindowsPerSecond,
        s.peakRssMB,
      );
      if (m.kernelPredict1P50ms !== undefined) {
        row(
          `pack, fused kernel (${b} process)`,
          m.kernelTrainWindowsPerSecond,
          m.kernelPredict1P50ms,
          m.kernelPredict1P99ms,
          m.kernelBatch256WindowsPerSecond,
          s.peakRssMB,
        );
      } else lines.push(`| ${id} | pack, fused kernel | not used: the kernel serves lstm and attention | | | | | | |`);
      if (m.bareFitWindowsPerSecond !== undefined) {
        row(`bare tfjs-${b} (fit, predict)`, m.bareFitWindowsPerSecond, m.barePredict1P50ms, NaN, NaN, NaN);
      }
    }
  }
  return lines;
}

async function parent(values) {
  const rounds = Number(values.rounds || 2);
  let backends = (values.backends || 'tensorflow,wasm,cpu').split(',');
  const results = {};
  const skipped = {};
  const nodeRuns = [];
  const torchRuns = [];
  let torchPython = null;
  if (values['no-torch']) skipped.torch = 'PyTorch: --no-torch';
  else {
    const found = findTorchPython();
    torchPython = found.python;
    if (!torchPython) skipped.torch = `PyTorch: ${found.why}; skipped`;
  }
  for (let round = 1; round <= rounds; round++) {
    const order = [...backends, ...(torchPython ? ['torch'] : [])];
    if (round % 2 === 0) order.reverse();
    for (const b of order) {
      if (b !== 'torch' && !backends.includes(b)) continue;
      process.stderr.write(`round ${round}: ${b} ...\n`);
      if (b === 'torch') {
        const j = runTorch(torchPython, values);
        if (j.error) {
          skipped.torch = `PyTorch: ${j.error}`;
          torchPython = null;
          process.stderr.write(`  torch: ${j.error}\n`);
        } else {
          if (j.warning) process.stderr.write(`  torch: ${j.warning}\n`);
          torchRuns.push(j);
        }
        continue;
      }
      const args = [
        __filename,
        '--child',
        b,
        '--windows',
        String(values.windows || 1024),
        '--leak',
        String(values.leak ?? 10000),
        '--latency',
        String(values.latency || 300),
      ];
      if (values.models) args.push('--models', values.models);
      if (values['cpu-windows']) args.push('--cpu-windows', values['cpu-windows']);
      const r = spawnSync(process.execPath, args, {
        encoding: 'utf8',
        env: { ...process.env, LSTM_FORECAST_BACKEND: b },
        maxBuffer: 1 << 24,
      });
      let j;
      try {
        j = JSON.parse(r.stdout.trim().split('\n').pop());
      } catch (e) {
        j = {
          backend: b,
          error: `child failed (exit ${r.status}): ${(r.stderr || '').split('\n').filter(Boolean).slice(-3).join(' | ')}`,
        };
      }
      if (j.error) {
        skipped[b] = j.error;
        backends = backends.filter((x) => x !== b);
        process.stderr.write(`  ${b}: ${j.error}\n`);
        continue;
      }
      (results[b] = results[b] || []).push(j);
    }
    if (values['node-messages'] !== '0') {
      process.stderr.write(`round ${round}: lstm-predict node throughput ...\n`);
      const nodeArgs = [__filename, '--child', 'node', '--node-messages', String(values['node-messages'] || 1024)];
      const r = spawnSync(process.execPath, nodeArgs, {
        encoding: 'utf8',
        env: { ...process.env, LSTM_FORECAST_BACKEND: 'wasm' },
        maxBuffer: 1 << 24,
      });
      try {
        const j = JSON.parse(r.stdout.trim().split('\n').pop());
        if (j.error) throw new Error(j.error);
        nodeRuns.push(j);
      } catch (e) {
        skipped['node throughput'] =
          `${e.message} ${(r.stderr || '').split('\n').filter(Boolean).slice(-2).join(' | ')}`;
      }
    }
  }
  // medians over rounds
  const summary = {};
  for (const [b, runs] of Object.entries(results)) {
    summary[b] = { rounds: runs.length, peakRssMB: median(runs.map((r) => r.peakRssMB)), models: {} };
    for (const id of Object.keys(runs[0].models)) {
      const ms = runs.map((r) => r.models[id]);
      const s = {};
      for (const k of Object.keys(ms[0])) {
        if (typeof ms[0][k] === 'number') s[k] = median(ms.map((x) => x[k]));
        else if (ms[0][k] && typeof ms[0][k] === 'object' && !ms[0][k].error) {
          s[k] = { max: median(ms.map((x) => x[k].max)), p99: median(ms.map((x) => x[k].p99)) };
        } else s[k] = ms[0][k];
      }
      summary[b].models[id] = s;
    }
  }
  let torch = null;
  if (torchRuns.length) {
    const last = torchRuns[torchRuns.length - 1];
    torch = { ...last, rounds: torchRuns.length, peakRssMB: median(torchRuns.map((r) => r.peakRssMB)), models: {} };
    for (const id of Object.keys(last.models)) {
      torch.models[id] = {};
      for (const k of Object.keys(last.models[id])) {
        torch.models[id][k] = median(torchRuns.map((r) => r.models[id] && r.models[id][k]));
      }
    }
  }
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const lines = [];
  const load = require('node:os').loadavg();
  lines.push(
    `Load average at the end (1 / 5 / 15 min): ${load.map((x) => x.toFixed(2)).join(' / ')} on ` +
      `${require('node:os').availableParallelism()} cores; ${rounds} round(s), medians.`,
    '',
    ...sideBySide(summary, torch, f),
  );
  if (torch && torch.warning) lines.push('', `PyTorch: ${torch.warning}`);
  lines.push('');
  lines.push(
    '| model | backend | train windows/s | 1-window predict ms p50 / p99 | batch-256 predict windows/s | tensors before / after | peak RSS MB (process) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [b, s] of Object.entries(summary)) {
    for (const [id, m] of Object.entries(s.models)) {
      lines.push(
        `| ${id} | ${b} | ${f(m.trainWindowsPerSecond)} | ${f(m.predict1P50ms, 2)} / ${f(m.predict1P99ms, 2)} | ${f(m.batch256WindowsPerSecond, 0)} | ${m.tensorsBefore !== undefined ? `${m.tensorsBefore} / ${m.tensorsAfter} (${m.leakPredictions} predictions)` : '-'} | ${f(s.peakRssMB, 0)} |`,
      );
    }
  }
  lines.push(
    '',
    '| model | backend | tfjs 1-window ms p50 / p99 | kernel 1-window ms p50 / p99 | tfjs batch-256 windows/s | kernel batch-256 windows/s | kernel / tfjs batch |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [b, s] of Object.entries(summary)) {
    for (const [id, m] of Object.entries(s.models)) {
      if (m.kernelPredict1P50ms === undefined) continue;
      lines.push(
        `| ${id} | ${b} | ${f(m.predict1P50ms, 2)} / ${f(m.predict1P99ms, 2)} | ${f(m.kernelPredict1P50ms, 3)} / ${f(m.kernelPredict1P99ms, 3)} | ${f(m.batch256WindowsPerSecond, 0)} | ${f(m.kernelBatch256WindowsPerSecond, 0)} | ${f(m.kernelBatch256WindowsPerSecond / m.batch256WindowsPerSecond, 1)} |`,
      );
    }
  }
  lines.push(
    '',
    '| model | backend | tfjs train windows/s | kernel train windows/s | kernel / tfjs train |',
    '|---|---|---|---|---|',
  );
  for (const [b, s] of Object.entries(summary)) {
    for (const [id, m] of Object.entries(s.models)) {
      if (m.kernelTrainWindowsPerSecond === undefined) continue;
      lines.push(
        `| ${id} | ${b} | ${f(m.trainWindowsPerSecond)} | ${f(m.kernelTrainWindowsPerSecond)} | ${f(m.kernelTrainWindowsPerSecond / m.trainWindowsPerSecond, 1)} |`,
      );
    }
  }
  lines.push('', '| backend | event-loop lag while training A F=1 (1 epoch) | max ms | p99 ms |', '|---|---|---|---|');
  for (const [b, s] of Object.entries(summary)) {
    const a = s.models['A F=1'];
    lines.push(`| ${b} | main thread | ${f(a.lagMainThread.max)} | ${f(a.lagMainThread.p99)} |`);
    lines.push(
      `| ${b} | worker (train-runner) | ${a.lagWorker.error ? a.lagWorker.error : f(a.lagWorker.max)} | ${a.lagWorker.error ? '-' : f(a.lagWorker.p99)} |`,
    );
  }
  lines.push(
    '',
    '| backend | pack train windows/s | bare tfjs fit windows/s | pack / bare | pack 1-window predict p50 ms | bare predict p50 ms | pack / bare |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [b, s] of Object.entries(summary)) {
    const a = s.models['A F=1'];
    if (!a || a.bareFitWindowsPerSecond === undefined) continue;
    lines.push(
      `| ${b} (A F=1) | ${f(a.trainWindowsPerSecond)} | ${f(a.bareFitWindowsPerSecond)} | ${f(a.trainWindowsPerSecond / a.bareFitWindowsPerSecond, 2)} | ${f(a.predict1P50ms, 2)} | ${f(a.barePredict1P50ms, 2)} | ${f(a.predict1P50ms / a.barePredict1P50ms, 2)} |`,
    );
  }
  if (summary.wasm && summary.cpu) {
    lines.push(
      '',
      '| model | wasm/cpu train | wasm/cpu batch-256 predict | cpu/wasm 1-window latency |',
      '|---|---|---|---|',
    );
    for (const id of Object.keys(summary.wasm.models)) {
      const w = summary.wasm.models[id];
      const c = summary.cpu.models[id];
      if (!c) continue;
      lines.push(
        `| ${id} | ${f(w.trainWindowsPerSecond / c.trainWindowsPerSecond, 2)} | ${f(w.batch256WindowsPerSecond / c.batch256WindowsPerSecond, 2)} | ${f(c.predict1P50ms / w.predict1P50ms, 2)} |`,
      );
    }
  }
  if (nodeRuns.length) {
    const batched = median(nodeRuns.map((r) => r.batchedPerSecond));
    const alone = median(nodeRuns.map((r) => r.alonePerSecond));
    lines.push(
      '',
      `| lstm-predict node throughput (model A F=1, kernel, ${nodeRuns[0].messages} windows sent in one tick) | forecasts/s | batched / alone | load average (1 min) |`,
      '|---|---|---|---|',
      `| batching on (batchWait 0, maxBatch 256) | ${f(batched, 0)} | ${f(batched / alone, 1)} | ${nodeRuns.map((r) => f(r.loadAverage[0], 2)).join(', ')} |`,
      `| batching off (maxBatch 1) | ${f(alone, 0)} | 1.0 | |`,
    );
  }
  if (Object.keys(skipped).length)
    lines.push(
      '',
      `Not measured: ${Object.entries(skipped)
        .map(([b, e]) => `${b} (${e})`)
        .join('; ')}`,
    );
  const text = lines.join('\n');
  process.stdout.write(text + '\n');
  const outFile = values.out || path.join(__dirname, 'results', 'speed.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(
    outFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        settings: { rounds, windows: Number(values.windows || 1024), leak: Number(values.leak ?? 10000) },
        summary,
        nodeThroughput: nodeRuns,
        torch,
        raw: results,
        rawTorch: torchRuns,
        skipped,
      },
      null,
      1,
    ),
  );
  fs.writeFileSync(outFile.replace(/\.json$/, '') + '.md', text + '\n');
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    rounds: { type: 'string' },
    backends: { type: 'string' },
    windows: { type: 'string' },
    leak: { type: 'string' },
    latency: { type: 'string' },
    models: { type: 'string' },
    'cpu-windows': { type: 'string' },
    'node-messages': { type: 'string' },
    'no-torch': { type: 'boolean' },
    out: { type: 'string' },
  },
});

if (values.child === 'node') {
  nodeThroughput({ n: Number(values['node-messages'] || 1024), reps: 5 })
    .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
    .catch((e) => {
      process.stdout.write(JSON.stringify({ backend: 'node', error: String(e && e.message ? e.message : e) }) + '\n');
      process.exitCode = 1;
    });
} else if (values.child) {
  child(values.child, {
    windows: Number(values.windows || 1024),
    cpuWindows: Number(values['cpu-windows'] || 320),
    models: (values.models || 'lstm,attention,gca').split(','),
    leak: Number(values.leak ?? 10000),
    latencyN: Number(values.latency || 300),
  })
    .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
    .catch((e) => {
      process.stdout.write(
        JSON.stringify({ backend: values.child, error: String(e && e.message ? e.message.split('\n')[0] : e) }) + '\n',
      );
      process.exitCode = 1;
    });
} else {
  parent(values).catch((e) => {
    process.stderr.write(`bench/speed.js: ${e.stack || e}\n`);
    process.exit(1);
  });
}
