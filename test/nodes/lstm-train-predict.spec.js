'use strict';
// lstm-train and lstm-predict through the real Node-RED runtime: a real series
// windowed, trained in the worker, forecast on held-out windows; persistence
// across a restart; cancel, close and overlapping requests; streamed training
// windows; tensor counts; and every bad input through done(err).
// Models are tiny and seeded (units 4-8, a few epochs): accuracy at real sizes
// belongs to the benchmarks.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  helper,
  startRuntime,
  stopRuntime,
  nextMessage,
  expectError,
  collect,
  lastStatus,
} = require('../helpers/runtime');
const { co2Series } = require('../helpers/co2-fixture');

const paths = {
  windower: require.resolve('../../nodes/sequence-windower.js'),
  train: require.resolve('../../nodes/lstm-train.js'),
  predict: require.resolve('../../nodes/lstm-predict.js'),
};
const load = () => Object.values(paths).map((p) => require(p));
let modules = load();

const HELD_OUT = 60;
const MONTH_DAYS = [28, 29, 30, 31];
const rows = co2Series(); // [{date, co2}] monthly, oldest first
const trainRows = rows.slice(0, rows.length - HELD_OUT);
const heldRows = rows.slice(rows.length - HELD_OUT);
const small = { units: 4, epochs: 3, patience: 3, batchSize: 32, seed: 7 };

// The test helper spies on Node.prototype: status/warn/error calls of every
// node land in one spy, so pick this node's calls by their `this`.
const callsOf = (node, method) => node[method].getCalls().filter((c) => c.thisValue === node);
const messagesOf = (node, method) => callsOf(node, method).map((c) => String(c.args[0]));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `pred(node's last status)` holds. */
async function statusUntil(node, pred, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = lastStatus(node);
    if (st && pred(st)) return st;
    if (Date.now() > end) throw new Error(`status never matched; last: ${JSON.stringify(st)}`);
    await sleep(20);
  }
}

/** Resolves once a list collected by collect() holds n messages. */
async function count(list, n, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  while (list.length < n) {
    if (Date.now() > end) throw new Error(`expected ${n} messages, got ${list.length} within ${timeoutMs} ms`);
    await sleep(10);
  }
  return list;
}

/** Reads a context value through the callback API (any store). */
function ctxGet(node, key, store) {
  return new Promise((resolve, reject) =>
    node.context().flow.get(key, store, (err, v) => (err ? reject(err) : resolve(v))),
  );
}
function ctxSet(node, key, value, store) {
  return new Promise((resolve, reject) =>
    node.context().flow.set(key, value, store, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * Counts live training threads: train-runner constructs them through
 * worker_threads.Worker at call time, so a subclass put there sees each one.
 */
function countThreads() {
  const wt = require('worker_threads');
  const Original = wt.Worker;
  const c = { live: 0, started: 0, restore: () => (wt.Worker = Original) };
  wt.Worker = class extends Original {
    constructor(...args) {
      super(...args);
      c.live++;
      c.started++;
      this.once('exit', () => c.live--);
    }
  };
  return c;
}

// Fresh ids per test: nothing carries from one test to the next through node ids.
let run = 0;
beforeEach(function () {
  run++;
});
const id = (x) => `${x}${run}`;

/**
 * windower (batch, L 24, H 6) -> lstm-train -> report / progress helpers, and a
 * second windower for held-out rows -> lstm-predict -> helper.
 */
function pipeline({ train = {}, predict = {}, windower = {} } = {}) {
  const w = {
    type: 'sequence-windower',
    z: 'f1',
    mode: 'batch',
    window: 24,
    horizon: 6,
    stride: 1,
    features: 'co2',
    target: 'co2',
    timeField: 'date',
    ...windower,
  };
  return [
    { id: 'f1', type: 'tab', label: 'forecast' },
    { id: id('w'), name: 'history', ...w, wires: [[], [id('t')]] },
    {
      id: id('t'),
      type: 'lstm-train',
      z: 'f1',
      model: 'co2',
      scope: 'flow',
      store: '',
      ...small,
      ...train,
      wires: [['report'], ['progress']],
    },
    { id: id('wh'), name: 'held out', ...w, wires: [[], [id('p'), 'held']] },
    {
      id: id('p'),
      type: 'lstm-predict',
      z: 'f1',
      model: 'co2',
      scope: 'flow',
      store: '',
      output: 'forecast',
      ...predict,
      wires: [['fc']],
    },
    { id: 'report', type: 'helper', z: 'f1' },
    { id: 'progress', type: 'helper', z: 'f1' },
    { id: 'held', type: 'helper', z: 'f1' },
    { id: 'fc', type: 'helper', z: 'f1' },
  ];
}

/** Sends the training rows through the windower and resolves with the report message. */
async function trainOn(history, msg = {}) {
  const report = nextMessage(helper.getNode('report'), 60000);
  helper.getNode(id('w')).receive({ topic: 'co2', payload: history, ...msg });
  return report;
}

/** A stored artifact of a small co2 model, trained once through the nodes and reused to seed context. */
let seeded;
async function smallArtifact() {
  if (seeded) return seeded;
  await startRuntime(modules, pipeline());
  await trainOn(trainRows.slice(0, 200));
  seeded = await ctxGet(helper.getNode(id('t')), 'co2');
  await stopRuntime();
  run++;
  return seeded;
}

/** A window message as the windower's first output sends it, from co2 rows. */
function windowMsg(rs) {
  const timestamps = rs.map((r) => Date.parse(r.date + 'T00:00:00Z'));
  return {
    type: 'window',
    series: 'co2',
    features: ['co2'],
    target: 'co2',
    window: rs.length,
    horizon: 0,
    step: 31 * 86400e3,
    inputs: rs.map((r) => [r.co2]),
    timestamps,
  };
}

describe('lstm-train and lstm-predict nodes', function () {
  this.timeout(120000);
  afterEach(async function () {
    await stopRuntime().catch(() => undefined);
  });

  it('windows a real series, trains with a report and per-epoch progress, and beats the last value on held-out windows', async function () {
    await startRuntime(
      modules,
      pipeline({ train: { units: 6, epochs: 6, patience: 6, batchSize: 64, learningRate: 0.01, season: 12 } }),
    );
    const progress = collect(helper.getNode('progress'));
    const t0 = Date.now();
    const msg = await trainOn(trainRows, { site: 'mauna loa' });
    const trainMs = Date.now() - t0;
    const r = msg.payload;

    // The report: validation metrics of the model and both baselines, epochs, backend.
    for (const k of ['model', 'lastValue', 'seasonalNaive']) {
      for (const m of ['mae', 'rmse', 'mase'])
        assert.ok(Number.isFinite(r.validation[k][m]), `validation.${k}.${m} = ${r.validation[k][m]}`);
    }
    assert.ok(r.epochs >= 1 && r.epochs <= 6, `epochs ${r.epochs}`);
    assert.match(r.backend, /^(tensorflow|wasm|cpu)$/);
    assert.strictEqual(
      r.trainWindows + r.valWindows,
      trainRows.length - 24 - 6 + 1,
      'every labelled window of the history',
    );
    assert.strictEqual(msg.site, 'mauna loa', 'other msg properties kept on the report');
    assert.strictEqual(msg.topic, 'co2');
    assert.deepStrictEqual({ name: msg.model.name, version: msg.model.version }, { name: 'co2', version: 1 });
    assert.strictEqual(msg.model.location, "flow context (store 'default')");
    const stored = await ctxGet(helper.getNode(id('t')), 'co2');
    assert.strictEqual(stored.id, msg.model.id, 'the report names the stored artifact');
    assert.ok(
      r.validation.model.mae < r.validation.lastValue.mae,
      `validation MAE ${r.validation.model.mae} vs last value ${r.validation.lastValue.mae}`,
    );
    const st = lastStatus(helper.getNode(id('t')));
    assert.strictEqual(st.fill, 'green');
    assert.match(st.text, /^v1 MASE \d/);

    // Progress: per epoch, in order, one message per line (msg.topic, a number payload) and msg.progress.
    assert.strictEqual(progress.length, 2 * r.epochs);
    progress.forEach((p, i) => {
      const epoch = Math.floor(i / 2) + 1;
      assert.strictEqual(p.progress.epoch, epoch);
      assert.strictEqual(p.progress.model, 'co2');
      assert.strictEqual(p.site, 'mauna loa');
      assert.strictEqual(p.topic, i % 2 ? 'validation loss' : 'loss');
      assert.strictEqual(p.payload, i % 2 ? p.progress.valLoss : p.progress.loss);
    });
    assert.ok(progress[progress.length - 2].progress.loss < progress[0].progress.loss, 'the training loss fell');

    // Held-out: the last 60 rows, never trained on, windowed by a second windower into predict.
    const heldMsg = nextMessage(helper.getNode('held'));
    const fcMsg = nextMessage(helper.getNode('fc'));
    helper.getNode(id('wh')).receive({ topic: 'co2', payload: heldRows, run: 'held-out' });
    const held = (await heldMsg).payload;
    const out = await fcMsg;
    assert.strictEqual(out.run, 'held-out', 'predict keeps other msg properties');
    const forecasts = out.payload;
    assert.strictEqual(forecasts.length, HELD_OUT - 24 - 6 + 1);
    let maeModel = 0;
    let maeLast = 0;
    forecasts.forEach((f, i) => {
      assert.strictEqual(f.model, 'co2');
      assert.strictEqual(f.version, 1);
      assert.strictEqual(f.forecast.length, 6);
      const last = held.inputs[i][23][0];
      assert.strictEqual(f.lastValue, last);
      assert.strictEqual(f.origin, held.timestamps[i][23]);
      f.timestamps.forEach((ts, h) => assert.strictEqual(ts, f.origin + (h + 1) * f.step));
      held.targets[i].forEach(([y], h) => {
        maeModel += Math.abs(f.forecast[h] - y);
        maeLast += Math.abs(last - y);
      });
    });
    const n = forecasts.length * 6;
    maeModel /= n;
    maeLast /= n;
    // The step is the median interval of monthly data: 28-31 days.
    assert.ok(MONTH_DAYS.includes(forecasts[0].step / 86400e3), `step ${forecasts[0].step}`);
    console.log(
      `      held-out MAE (${forecasts.length} windows x 6): model ${maeModel.toFixed(3)} ppm, last value ${maeLast.toFixed(3)} ppm; trained in ${trainMs} ms on ${r.backend}, ${r.epochs} epochs`,
    );
    assert.ok(maeModel < maeLast, `held-out MAE: model ${maeModel} vs last value ${maeLast}`);
    const pn = helper.getNode(id('p'));
    const status = lastStatus(pn).text;
    assert.match(status, /^v1 · [\d.]+ ms$/);
    assert.ok(status.length <= 20, status);
    // Which path forecast (the kernel for an lstm artifact), the steps and the time: the debug log.
    assert.match(messagesOf(pn, 'debug').pop(), /^v1: 6 steps, [\d.]+ ms \(kernel\)$/);
  });

  it('chart output: one message per line (msg.topic, the next step as a number) for a default ui-chart', async function () {
    const artifact = await smallArtifact();
    await startRuntime(modules, pipeline({ predict: { output: 'chart' } }));
    await ctxSet(helper.getNode(id('p')), 'co2', artifact);
    const got = collect(helper.getNode('fc'));
    helper.getNode(id('p')).receive({ payload: windowMsg(heldRows.slice(0, 24)), tag: 'chart' });
    const until = Date.now() + 10000;
    while (got.length < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    // A FlowFuse Dashboard 2 ui-chart at its defaults: the line from msg.topic, y = msg.payload (a number).
    assert.deepStrictEqual(
      got.map((m) => m.topic),
      ['co2 forecast', 'co2 80% lower', 'co2 80% upper', 'co2 95% lower', 'co2 95% upper'],
    );
    const f = got[0].forecast;
    assert.strictEqual(f.forecast.length, 6);
    const { intervals } = f;
    assert.deepStrictEqual(
      got.map((m) => m.payload),
      [
        f.forecast[0],
        intervals['80'].lower[0],
        intervals['80'].upper[0],
        intervals['95'].lower[0],
        intervals['95'].upper[0],
      ],
    );
    for (const m of got) {
      assert.strictEqual(m.tag, 'chart');
      assert.ok(Number.isFinite(m.payload), `${m.topic}: ${m.payload}`);
      assert.deepStrictEqual(m.forecast, f, 'every message carries the whole forecast in msg.forecast');
    }
    assert.strictEqual(f.origin, Date.parse(heldRows[23].date + 'T00:00:00Z'));
  });

  it('restores the model from a localfilesystem store after a restart and forecasts the same', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-ctx-'));
    const settings = {
      contextStorage: {
        default: { module: 'memory' },
        file: { module: 'localfilesystem', config: { dir, flushInterval: 1 } },
      },
    };
    const f = pipeline({ train: { store: 'file' }, predict: { store: 'file' } });
    try {
      await startRuntime(modules, f, settings);
      const rep = await trainOn(trainRows.slice(0, 120));
      assert.strictEqual(rep.model.location, "flow context (store 'file')");
      const win = { payload: windowMsg(heldRows.slice(0, 24)) };
      let fc = nextMessage(helper.getNode('fc'));
      helper.getNode(id('p')).receive(win);
      const before = (await fc).payload;
      await stopRuntime();
      // A new process: fresh node modules, so only the store can bring the model back.
      for (const p of Object.values(paths)) delete require.cache[p];
      modules = load();
      const files = fs.readdirSync(path.join(dir, 'context'), { recursive: true });
      assert.ok(
        files.some((x) => String(x).endsWith('.json')),
        'context written to disk',
      );
      await startRuntime(modules, f, settings);
      fc = nextMessage(helper.getNode('fc'));
      helper.getNode(id('p')).receive(win);
      const after = (await fc).payload;
      assert.strictEqual(after.version, 1);
      assert.deepStrictEqual(after.forecast, before.forecast);
      assert.deepStrictEqual(after.timestamps, before.timestamps);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('msg.stop cancels a run: cancelled status, stored model unchanged, no report', async function () {
    // A small model first, trained through the nodes (smallArtifact), stored in this flow's context.
    const artifact = await smallArtifact();
    await startRuntime(modules, pipeline({ train: { epochs: 500, patience: 500, batchSize: 8 } }));
    const t = helper.getNode(id('t'));
    await ctxSet(t, 'co2', artifact);
    const history = trainRows.slice(0, 100);
    const ds = nextMessage(t);
    const reports = collect(helper.getNode('report'));
    const progress = collect(helper.getNode('progress'));
    helper.getNode(id('w')).receive({ topic: 'co2', payload: history });
    await ds;
    await count(progress, 1);
    const warned = messagesOf(t, 'warn').length;
    t.receive({ stop: true });
    const st = await statusUntil(t, (s) => s.fill === 'yellow');
    assert.match(st.text, /^cancelled \(\d+ s\)$/);
    const w = messagesOf(t, 'warn').slice(warned);
    assert.ok(
      w.some((x) => /training of 'co2' cancelled; the stored model is unchanged/.test(x)),
      w.join('\n'),
    );
    const stored = await ctxGet(t, 'co2');
    assert.deepStrictEqual({ id: stored.id, version: stored.version }, { id: artifact.id, version: artifact.version });
    await sleep(200);
    assert.strictEqual(reports.length, 0, 'no report after a cancel');
    assert.ok(progress.length < 500);
  });

  it('a redeploy or stop during training closes well inside the 15 s limit', async function () {
    await startRuntime(modules, pipeline({ train: { epochs: 500, patience: 500, batchSize: 8 } }));
    const progress = collect(helper.getNode('progress'));
    const reports = collect(helper.getNode('report'));
    helper.getNode(id('w')).receive({ topic: 'co2', payload: trainRows.slice(0, 100) });
    await count(progress, 1);
    const t0 = Date.now();
    await stopRuntime();
    const ms = Date.now() - t0;
    console.log(`      close during training took ${ms} ms`);
    assert.ok(ms < 6000, `close took ${ms} ms`);
    const seen = progress.length;
    await sleep(300);
    assert.strictEqual(progress.length, seen, 'no progress after the close: the worker stopped');
    assert.strictEqual(reports.length, 0);
  });

  it('a close that lands before the worker has started leaves no training thread behind', async function () {
    const threads = countThreads();
    try {
      await startRuntime(modules, pipeline({ train: { epochs: 500, patience: 500, batchSize: 8 } }));
      const t = helper.getNode(id('t'));
      const ds = nextMessage(t);
      helper.getNode(id('w')).receive({ topic: 'co2', payload: trainRows.slice(0, 100) });
      await ds;
      // The node is now reading the stored model (async) and has not started its worker yet.
      await stopRuntime();
      await sleep(3000);
      assert.strictEqual(
        threads.live,
        0,
        `${threads.live} training thread(s) still running 3 s after the close (${threads.started} started)`,
      );
    } finally {
      threads.restore();
    }
  });

  it('msg.stop right after a request, before its worker started, cancels it too', async function () {
    const threads = countThreads();
    try {
      await startRuntime(modules, pipeline({ train: { epochs: 500, patience: 500, batchSize: 8 } }));
      const t = helper.getNode(id('t'));
      const reports = collect(helper.getNode('report'));
      const ds = nextMessage(t);
      helper.getNode(id('w')).receive({ topic: 'co2', payload: trainRows.slice(0, 100) });
      await ds;
      t.receive({ stop: true });
      const st = await statusUntil(t, (x) => x.fill === 'yellow');
      assert.strictEqual(st.text, 'cancelled at start');
      await sleep(500);
      assert.strictEqual(threads.started, 0, 'no worker was started');
      assert.strictEqual(reports.length, 0);
      assert.strictEqual(await ctxGet(t, 'co2'), undefined);
    } finally {
      threads.restore();
    }
  });

  it("overlap 'reject': a second request while training fails with BUSY through done(err)", async function () {
    await startRuntime(modules, pipeline({ train: { epochs: 500, patience: 500, batchSize: 8, overlap: 'reject' } }));
    const t = helper.getNode(id('t'));
    const progress = collect(helper.getNode('progress'));
    const ds = nextMessage(t);
    helper.getNode(id('w')).receive({ topic: 'co2', payload: trainRows.slice(0, 100) });
    const dataset = await ds;
    await count(progress, 1);
    const err = await expectError(t, { payload: dataset.payload });
    assert.match(
      String(err),
      /training of 'co2' is already running; request rejected \(overlap: reject\)\. Send msg.stop to cancel it\./,
    );
    assert.strictEqual(lastStatus(t).fill, 'red');
    assert.strictEqual(lastStatus(t).text, 'busy: rejected');
    t.receive({ stop: true });
    await statusUntil(t, (s) => s.fill === 'yellow');
  });

  it("overlap 'queue': queued runs complete in order; the newest queued request wins", async function () {
    await startRuntime(modules, pipeline());
    const t = helper.getNode(id('t'));
    const reports = collect(helper.getNode('report'));
    const ds = nextMessage(t);
    helper.getNode(id('w')).receive({ topic: 'co2', payload: trainRows.slice(0, 120) });
    const dataset = (await ds).payload;
    t.receive({ payload: dataset, tag: 'b' });
    t.receive({ payload: dataset, tag: 'c' });
    await count(reports, 2);
    await sleep(300);
    assert.deepStrictEqual(
      reports.map((m) => [m.tag, m.model.version]),
      [
        [undefined, 1],
        ['c', 2],
      ],
    );
    assert.ok(messagesOf(t, 'warn').some((x) => /a queued training request was replaced by a newer one/.test(x)));
    const stored = await ctxGet(t, 'co2');
    assert.deepStrictEqual([stored.version, stored.id], [2, reports[1].model.id]);
    // Two in a row: both run, versions 3 then 4.
    t.receive({ payload: dataset, tag: 'd' });
    t.receive({ payload: dataset, tag: 'e' });
    await count(reports, 4);
    assert.deepStrictEqual(
      reports.slice(2).map((m) => [m.tag, m.model.version]),
      [
        ['d', 3],
        ['e', 4],
      ],
    );
  });

  it('collects streamed training windows; trains on msg.train and every N windows; refuses windows without targets', async function () {
    const flow = [
      { id: 'f1', type: 'tab', label: 'stream' },
      {
        id: id('w'),
        type: 'sequence-windower',
        mode: 'stream',
        window: 12,
        horizon: 3,
        stride: 1,
        features: '',
        target: '',
        wires: [['fw'], [id('t')]],
      },
      { id: id('t'), type: 'lstm-train', model: 'stream', ...small, wires: [['report'], ['progress']] },
      { id: id('t2'), type: 'lstm-train', model: 'auto', ...small, trainEvery: 20, wires: [['report2'], []] },
      { id: 'fw', type: 'helper' },
      { id: 'report', type: 'helper' },
      { id: 'report2', type: 'helper' },
      { id: 'progress', type: 'helper' },
    ].map((n) => (n.type === 'tab' ? n : { z: 'f1', ...n }));
    await startRuntime(modules, flow);
    const w = helper.getNode(id('w'));
    const t = helper.getNode(id('t'));
    const t2 = helper.getNode(id('t2'));
    const reports = collect(helper.getNode('report'));
    const auto = collect(helper.getNode('report2'));
    const forecastWindows = collect(helper.getNode('fw'));
    await statusUntil(t, (st) => /ready/.test(st.text));
    const T0 = Date.UTC(2024, 0, 1);
    const n = 50; // 50 readings -> 50 - 12 - 3 + 1 = 36 training windows
    const trainWindows = [];
    helper.getNode(id('t')).on('input', (m) => {
      if (m.payload && m.payload.type === 'window') trainWindows.push(m);
    });
    for (let i = 0; i < n; i++) w.receive({ payload: 400 + Math.sin(i / 3) + i * 0.1, timestamp: T0 + i * 3600e3 });
    await sleep(200);
    assert.strictEqual(trainWindows.length, n - 12 - 3 + 1);
    assert.strictEqual(reports.length, 0, 'nothing trained without msg.train or trainEvery');
    assert.strictEqual(lastStatus(t).text, `${n - 12 - 3 + 1} collected`);
    for (const m of trainWindows) t2.receive({ payload: m.payload });
    const rep = nextMessage(helper.getNode('report'), 60000);
    t.receive({ train: true, tag: 'now' });
    const r = await rep;
    assert.strictEqual(r.tag, 'now');
    assert.strictEqual(r.payload.trainWindows + r.payload.valWindows, n - 12 - 3 + 1);
    assert.strictEqual(r.model.name, 'stream');
    // trainEvery 20: 36 windows -> one automatic run after the 20th.
    await count(auto, 1, 60000);
    await sleep(300);
    assert.strictEqual(auto.length, 1);
    assert.strictEqual(auto[0].payload.trainWindows + auto[0].payload.valWindows, 20);
    // A forecast window (output 1, no targets) is not a training window.
    const err = await expectError(t, { payload: forecastWindows[0].payload });
    assert.match(
      String(err),
      /expected a training window with targets \(the windower's second output, horizon > 0\), got a window without targets/,
    );
    assert.strictEqual(lastStatus(t).fill, 'red');
    // msg.reset forgets the collected windows; msg.train then has nothing to train on.
    t.receive({ reset: true });
    const err2 = await expectError(t, { train: true });
    assert.match(String(err2), /expected collected training windows or a dataset, got none yet/);
  });

  it('frees every tensor: 2000 predictions leave tf.memory().numTensors unchanged', async function () {
    const tf = require('@tensorflow/tfjs-core');
    const artifact = await smallArtifact();
    await startRuntime(modules, pipeline());
    const p = helper.getNode(id('p'));
    await ctxSet(p, 'co2', artifact);
    const out = collect(helper.getNode('fc'));
    const win = windowMsg(heldRows.slice(0, 24));
    p.receive({ payload: win }); // warm-up: builds and caches the live model
    await count(out, 1);
    const before = tf.memory().numTensors;
    const t0 = Date.now();
    for (let i = 0; i < 2000; i++) p.receive({ payload: win, i });
    await count(out, 2001, 60000);
    console.log('      2000 predictions:', Date.now() - t0, 'ms;', lastStatus(p).text);
    assert.strictEqual(tf.memory().numTensors, before);
    assert.deepStrictEqual(out[2000].payload.forecast, out[0].payload.forecast, 'the same window, the same forecast');
  });

  describe('bad inputs: done(err), a red status, and the node keeps working', function () {
    const bad = [
      [
        'a window of the wrong size',
        () => windowMsg(heldRows.slice(0, 23)),
        /expected a window of 24 rows x 1 features \(co2\), got 23 x 1/,
        'wrong shape',
      ],
      [
        'NaN in the window',
        () => {
          const w = windowMsg(heldRows.slice(0, 24));
          w.inputs[5] = [NaN];
          return w;
        },
        /got NaN at row 5, feature co2; expected finite numbers/,
        'bad value',
      ],
      [
        'a value beyond float32 (finite in JavaScript, Infinity in the model)',
        () => {
          const w = windowMsg(heldRows.slice(0, 24));
          w.inputs[9] = [1e39];
          return w;
        },
        /got 1e\+39 at row 9, feature co2; expected finite numbers within float32 range/,
        'bad value',
      ],
      [
        'other feature names',
        () => ({ ...windowMsg(heldRows.slice(0, 24)), features: ['temperature'], target: 'temperature' }),
        /model 'co2' expected features \(co2\), got \(temperature\): missing co2: unknown temperature/,
        'features differ',
      ],
      [
        'a payload that is not a window',
        () => 415.2,
        /expected msg.payload to be a window message from the sequence windower .*got 415.2/,
        'not a window',
      ],
      ['an object that is not a window', () => ({ type: 'reading', value: 3 }), /payload/, 'not a window|bad window'],
    ];
    for (const [what, payload, text, status] of bad) {
      it(`rejects ${what}`, async function () {
        const artifact = await smallArtifact();
        await startRuntime(modules, pipeline());
        const p = helper.getNode(id('p'));
        await ctxSet(p, 'co2', artifact);
        const err = await expectError(p, { payload: payload() });
        assert.match(String(err), text);
        assert.strictEqual(lastStatus(p).fill, 'red');
        assert.match(lastStatus(p).text, new RegExp(status));
        const fc = nextMessage(helper.getNode('fc'));
        p.receive({ payload: windowMsg(heldRows.slice(0, 24)) });
        assert.strictEqual((await fc).payload.forecast.length, 6);
        assert.strictEqual(lastStatus(p).fill, 'green');
      });
    }

    it('says when there is no model yet, and where it looked', async function () {
      await startRuntime(modules, pipeline({ predict: { model: 'x' } }));
      const p = helper.getNode(id('p'));
      const err = await expectError(p, { payload: windowMsg(heldRows.slice(0, 24)) });
      assert.match(String(err), /no model 'x' in flow context \(store 'default'\): train one first/);
      assert.deepStrictEqual(lastStatus(p), { fill: 'red', shape: 'ring', text: 'no model' });
      const err2 = await expectError(p, { payload: windowMsg(heldRows.slice(0, 24)), model: 'bad name!' });
      assert.match(String(err2), /expected a model name of 1-80 letters, digits, '-' or '_', got "bad name!"/);
    });

    it('refuses a corrupt stored artifact and works again once a good one is stored', async function () {
      const artifact = await smallArtifact();
      await startRuntime(modules, pipeline());
      const p = helper.getNode(id('p'));
      await ctxSet(p, 'co2', 'garbage');
      const err = await expectError(p, { payload: windowMsg(heldRows.slice(0, 24)) });
      assert.match(String(err), /expected a model artifact object, got "garbage"/);
      assert.strictEqual(lastStatus(p).fill, 'red');
      const broken = JSON.parse(JSON.stringify(artifact));
      broken.id = 'broken';
      broken.weights = broken.weights.slice(1);
      await ctxSet(p, 'co2', broken);
      const err2 = await expectError(p, { payload: windowMsg(heldRows.slice(0, 24)) });
      assert.match(String(err2), /invalid model artifact|weight arrays/);
      await ctxSet(p, 'co2', artifact);
      const fc = nextMessage(helper.getNode('fc'));
      p.receive({ payload: windowMsg(heldRows.slice(0, 24)) });
      assert.strictEqual((await fc).payload.version, artifact.version);
    });

    it('train rejects a payload that is not a dataset or window, and keeps working', async function () {
      await startRuntime(modules, pipeline());
      const t = helper.getNode(id('t'));
      const err = await expectError(t, { payload: [1, 2, 3] });
      assert.match(String(err), /expected msg.payload to be a dataset or a training window .* got an array/);
      assert.strictEqual(lastStatus(t).fill, 'red');
      const rep = await trainOn(trainRows.slice(0, 120));
      assert.strictEqual(rep.model.version, 1);
    });

    const badConfigs = [
      ['lstm-train', { units: 0 }, /invalid lstm-train config: units/],
      [
        'lstm-train',
        { model: 'my model!' },
        /invalid lstm-train config: model must be a model name of 1-80 letters, digits, '-' or '_', .*got "my model!"/,
      ],
      [
        'lstm-train',
        { overlap: 'sometimes', epochs: 'many' },
        /invalid lstm-train config: .*epochs.*overlap|invalid lstm-train config: .*overlap.*epochs/,
      ],
      ['lstm-predict', { model: 'a/b' }, /invalid lstm-predict config: model must be a model name of 1-80 letters/],
      [
        'lstm-predict',
        { output: 'table' },
        /invalid lstm-predict config: output must be one of 'forecast', 'chart', 'points', got "table"/,
      ],
      [
        'lstm-predict',
        { scope: 'tab', output: 'table' },
        /invalid lstm-predict config: scope must be one of 'flow', 'global', got "tab"; output must be one of/,
      ],
    ];
    for (const [type, cfg, text] of badConfigs) {
      it(`${type} refuses to start on ${JSON.stringify(cfg)}`, async function () {
        const f = type === 'lstm-train' ? pipeline({ train: cfg }) : pipeline({ predict: cfg });
        await startRuntime(modules, f);
        const n = helper.getNode(id(type === 'lstm-train' ? 't' : 'p'));
        await sleep(50);
        const st = lastStatus(n);
        assert.strictEqual(st.fill, 'red');
        assert.ok(
          messagesOf(n, 'error').some((x) => text.test(x)),
          messagesOf(n, 'error').join('\n'),
        );
        const err = await expectError(n, { payload: windowMsg(heldRows.slice(0, 24)) });
        assert.match(String(err), /node not started: /);
        assert.match(String(err), text);
      });
    }
  });
});
