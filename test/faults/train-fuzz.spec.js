'use strict';
// Fuzz of lstm-train through the real Node-RED runtime (issue 10): 10,000+ generated
// messages (seeded, reproducible: FUZZ_SEED=<n> to vary) to two lstm-train nodes on
// the memory store, with a real catch node and a real complete node counting how each
// message ended. lstm-train calls done() without sending for a collected window, so
// every message must end exactly once as complete or catch; a rejected message must
// leave the collected windows and the stored model byte-identical. The collection has
// no direct read: an oracle keeps the windows the node accepted since the last reset,
// checked against the node's own "N windows collected" status after every collected
// window, and, at the few real trainings, against the windows the run trained on (the
// runner's startTraining, wrapped to look and then call through) and the report's
// trainWindows + valWindows.
const assert = require('assert');
const { helper, startRuntime, stopRuntime } = require('../helpers/runtime');
const { nonFinite, prng } = require('./predict-fixtures');

const trainNode = require('../../nodes/lstm-train.js');
const runner = require('../../nodes/core/train/runner');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const completeNode = require('@node-red/nodes/core/common/24-complete.js');

const SEED = Number(process.env.FUZZ_SEED || 20240711);
const MESSAGES = 10000;
const IDS = ['t1', 't2'];
const MAX_WINDOWS = { t1: 40, t2: 12 };
/** Enough windows for a run: minWindows (8) for training plus the validation share. */
const TRAINABLE = 12;

/** Two window specs: a collection takes one of them until msg.reset. */
const SPECS = {
  A: { window: 4, horizon: 2, features: ['a', 'b'], target: 'b' },
  B: { window: 3, horizon: 1, features: ['x'], target: 'x' },
  /** Long unicode feature names: the texts that quote them must stay bounded. */
  U: { window: 2, horizon: 1, features: ['ü🙂'.repeat(3000), '中'.repeat(4000)], target: '中'.repeat(4000) },
};
const specKey = (s) => JSON.stringify([s.window, s.horizon, s.features, s.target]);

function flow() {
  const tiny = { units: 2, epochs: 1, patience: 1, batchSize: 64, seed: 1, trainEvery: 0, timeout: 2 };
  const train = (id, extra) => ({
    id,
    type: 'lstm-train',
    z: 'tab',
    model: `fz-${id}`,
    scope: 'flow',
    store: '',
    maxWindows: MAX_WINDOWS[id],
    ...tiny,
    ...extra,
    wires: [['out'], ['out']],
  });
  return [
    { id: 'tab', type: 'tab' },
    train('t1', { overlap: 'queue' }),
    train('t2', { overlap: 'reject' }),
    { id: 'caught', type: 'catch', z: 'tab', scope: IDS, uncaught: false, wires: [['rejected']] },
    { id: 'completed', type: 'complete', z: 'tab', scope: IDS, wires: [['accepted']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'rejected', type: 'helper', z: 'tab' },
    { id: 'accepted', type: 'helper', z: 'tab' },
  ];
}

/**
 * The message generator. Each call gives { msg, expect, window }: expect is 'ok' or
 * 'err' when the message's fate is known from the generator alone ('spec' for a
 * well-formed window: accepted when the collection is empty or of the same spec),
 * `window` the rows and targets of a well-formed window (for the oracle).
 */
function generator(rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const int = (n) => Math.floor(rand() * n);
  const unicode = (n) =>
    Array.from({ length: n }, () => pick(['é', '\u{1F600}', '中', 'a', '\u0000', '\u202e'])).join('');
  const junk = () =>
    pick([
      () => NaN,
      () => Infinity,
      () => -Infinity,
      () => 1e39,
      () => -3.5e38,
      () => 10n,
      () => 2n ** 70n,
      () => null,
      () => undefined,
      () => true,
      () => '42',
      () => '',
      () => unicode(int(3000)),
      () => [],
      () => [1, 2],
      () => ({}),
      () => JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}'),
      () => ({ a: { b: { c: [NaN] } } }),
      () => Object.create(null),
      () => new Float32Array(2),
      () => new Date(NaN),
      () => Symbol('s'),
    ])();
  const notFinite32 = () => pick([NaN, Infinity, -Infinity, 1e39, -3.5e38, 1e308, '5', null, undefined, 10n, true]);
  const value = () => Math.round((rand() * 200 - 100) * 1000) / 1000;
  const rows = (n, f) => Array.from({ length: n }, () => Array.from({ length: f }, value));
  /** A well-formed training window of a spec (the windower's second output). */
  const good = (spec) => {
    const s = SPECS[spec];
    return {
      type: 'window',
      series: pick(['s', '', 'ü🙂'.repeat(int(500))]),
      features: s.features.slice(),
      target: s.target,
      window: s.window,
      horizon: s.horizon,
      step: pick([1000, 0, 60000]),
      inputs: rows(s.window, s.features.length),
      timestamps: Array.from({ length: s.window }, (_, i) => i * 1000),
      targets: rows(s.horizon, 1),
      targetTimestamps: Array.from({ length: s.horizon }, (_, i) => (s.window + i) * 1000),
    };
  };
  const nested = (d) => (d <= 0 ? junk() : { x: nested(d - 1), y: [nested(d - 1)] });
  /** A window with exactly one flaw (so it must be refused whatever is collected). */
  const broken = () => {
    const w = good(pick(['A', 'B']));
    pick([
      () => (w.inputs[int(w.inputs.length)][0] = notFinite32()),
      () => (w.targets[int(w.targets.length)][0] = notFinite32()),
      () => delete w.targets,
      () => (w.targets = []),
      () => (w.targets = pick([junk(), w.targets.slice(1), w.targets.concat([[1]]), [[1, 2]].concat(w.targets)])),
      () => (w.targets = w.targets.map(() => pick([[], [1, 2], 1, null]))),
      () => (w.inputs = w.inputs.slice(0, w.inputs.length - 1 - int(2))),
      () => (w.inputs = w.inputs.concat([w.inputs[0]])),
      () => (w.inputs = w.inputs.map((r) => r.concat([1]))),
      () => (w.inputs[0] = pick([junk(), [], [[1]], nested(2)])),
      () => (w.inputs = pick([junk(), nested(3), new Array(100000).fill([1]), rows(10 + int(5000), 2)])),
      () => (w.window = pick([0, -1, 2.5, '4', 10n, NaN, Infinity, 1e39, null, w.window + 1])),
      () => (w.horizon = pick([0, -1, 1.5, '1', 10n, NaN, null, w.horizon + 1])),
      () => (w.features = pick([junk(), [], [1, 2], ['a', null], w.features.concat(['extra'])])),
      () => (w.target = pick([junk(), 'nope', '__proto__', unicode(2000)])),
      () => {
        // Long names and one column too many: refused, with a long text to bound.
        w.features = w.features.map(() => unicode(5000));
        w.target = w.features[0];
        w.inputs = w.inputs.map((r) => r.concat([1]));
      },
    ])();
    return w;
  };
  const dataset = () => {
    const spec = SPECS[pick(['A', 'B'])];
    // Fewer than Keep windows (maxWindows): a longer dataset trains on its newest windows only, flaw or not.
    const n = 3 + int(8);
    const d = {
      type: 'dataset',
      series: 'd',
      features: spec.features.slice(),
      target: spec.target,
      window: spec.window,
      horizon: spec.horizon,
      step: 1000,
      count: n,
      inputs: Array.from({ length: n }, () => rows(spec.window, spec.features.length)),
      timestamps: [],
      targets: Array.from({ length: n }, () => rows(spec.horizon, 1)),
    };
    // One flaw each: a valid dataset would start a real training.
    pick([
      () => (d.targets = d.targets.slice(0, n - 1 - int(3))),
      () => (d.targets = d.targets.concat([rows(spec.horizon, 1)])),
      () => delete d.targets,
      () => (d.targets = []),
      () => (d.targets = junk()),
      () => (d.inputs = junk()),
      () => (d.inputs[int(n)][0][0] = notFinite32()),
      () => (d.targets[int(n)][0][0] = notFinite32()),
      () => (d.inputs[int(n)] = rows(spec.window + 1, spec.features.length)),
      () => (d.targets[int(n)] = rows(spec.horizon, 2)),
      () => (d.horizon = pick([0, -2, 1.5, junk()])),
      () => (d.window = pick([0, spec.window + 1, junk()])),
      () => (d.features = pick([junk(), [], ['q']])),
      () => (d.target = pick([junk(), 'zz'])),
      () => {
        d.inputs = new Array(60000).fill(d.inputs[0]);
        d.targets = new Array(60000).fill([[NaN]]);
        d.count = unicode(3000);
      },
      () => {
        d.count = pick([junk(), 1e39, -1]);
        d.targets[0] = 'x';
      },
    ])();
    return d;
  };
  const topics = [
    undefined,
    'a',
    '',
    '__proto__',
    'constructor',
    'ü🙂'.repeat(5000),
    '日本語',
    7,
    { nested: true },
    10n,
  ];
  const control = [true, 1, 'yes', '*', {}, [], 0, '', false, null, NaN, undefined];

  return (collectedSpec) => {
    const msg = {};
    if (rand() < 0.5) msg.topic = pick(topics);
    const r = rand();
    if (r < 0.04) {
      msg.stop = pick(control);
      if (rand() < 0.5) msg.reset = pick(control);
    } else if (r < 0.07) {
      msg.reset = pick(control);
    }
    let expect;
    let window;
    const p = rand();
    if (p < 0.4) {
      // Mostly the collected spec, so the collection grows; sometimes the other one.
      const spec = rand() < 0.85 ? collectedSpec || pick(['A', 'A', 'B', 'U']) : pick(['A', 'B', 'U']);
      msg.payload = good(spec);
      expect = 'spec';
      window = { spec, key: specKey(SPECS[spec]), inputs: msg.payload.inputs, targets: msg.payload.targets };
    } else if (p < 0.7) {
      msg.payload = broken();
      expect = 'err';
    } else if (p < 0.8) {
      msg.payload = dataset();
      expect = 'err';
    } else if (p < 0.85) {
      msg.payload = JSON.parse(
        pick([
          '{"__proto__": {"type": "window"}, "inputs": [[1]]}',
          '{"type": "window", "__proto__": {"targets": [[1]]}, "constructor": {"prototype": {"x": 1}}}',
          '{"type": "dataset", "__proto__": {"inputs": [], "targets": []}}',
          '{"constructor": "window", "hasOwnProperty": 1}',
        ]),
      );
      expect = 'err';
    } else {
      msg.payload = pick([
        junk,
        () => nested(1 + int(4)),
        () => ({ type: pick(['windows', 'Window', 'data', junk()]), inputs: [[1]] }),
        () => new Array(int(2) ? 200000 : 300).fill(1),
        () => undefined,
      ])();
      expect = 'err';
    }
    // msg.stop wins over msg.reset, msg.reset over the payload (truthiness, as the node reads them).
    if (msg.stop) return { msg, expect: 'ok', kind: 'stop' };
    if (msg.reset) return { msg, expect: 'ok', kind: 'reset' };
    return { msg, expect, window, kind: 'payload' };
  };
}

/** A well-formed window of `spec` that the oracle can follow (for topping a collection up before a run). */
function plainWindow(spec, n) {
  const s = SPECS[spec];
  const v = (i, j) => Math.sin(n * 0.7 + i * 0.3 + j) * 10;
  return {
    type: 'window',
    series: 'plain',
    features: s.features.slice(),
    target: s.target,
    window: s.window,
    horizon: s.horizon,
    step: 1000,
    inputs: Array.from({ length: s.window }, (_, i) => s.features.map((_f, j) => v(i, j))),
    timestamps: Array.from({ length: s.window }, (_, i) => i * 1000),
    targets: Array.from({ length: s.horizon }, (_, i) => [v(s.window + i, 0)]),
  };
}

describe('faults: lstm-train fuzz', function () {
  this.timeout(180000);
  const uncaught = [];
  const onUncaught = (err) => uncaught.push(err);
  const originalStart = runner.startTraining;
  const trainedOn = [];

  before(async function () {
    // Train for real, then note what the run trains on.
    runner.startTraining = (request, options) => {
      const job = originalStart(request, options); // throws for a refused request: no worker, no run
      trainedOn.push(JSON.stringify({ inputs: request.data.inputs, targets: request.data.targets }));
      return job;
    };
    await startRuntime([trainNode, catchNode, completeNode], flow(), {
      contextStorage: { default: { module: 'memory' } },
    });
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  after(async function () {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    runner.startTraining = originalStart;
    await stopRuntime();
  });

  it(`${MESSAGES} generated messages (seed ${SEED}): each ends once, texts bounded, state unchanged when rejected`, async function () {
    const rand = prng(SEED);
    const next = generator(rand);
    const nodes = Object.fromEntries(IDS.map((id) => [id, helper.getNode(id)]));
    const outcome = new Map();
    const outputs = [];
    const bad = [];
    helper.getNode('accepted').on('input', (m) => outcome.set(m._fz, [...(outcome.get(m._fz) || []), 'ok']));
    helper.getNode('rejected').on('input', (m) => {
      const text = m.error && m.error.message;
      outcome.set(m._fz, [...(outcome.get(m._fz) || []), typeof text === 'string' ? text : `(no text: ${text})`]);
    });
    helper.getNode('out').on('input', (m) => {
      outputs.push(m);
      const found = nonFinite(m);
      if (found.length) bad.push(`output of message ${m._fz}: ${found.join(', ')}`);
    });
    /** The oracle: per node, the spec and windows it accepted since the last reset (newest last, bounded). */
    const oracle = Object.fromEntries(IDS.map((id) => [id, { spec: undefined, key: undefined, windows: [] }]));
    const model = (id) => JSON.stringify(nodes[id].context().flow.get(`fz-${id}`));
    const models = Object.fromEntries(IDS.map((id) => [id, model(id)]));
    const ownStatuses = (id) => nodes[id].status.getCalls().filter((c) => c.thisValue === nodes[id]);
    const longProgress = [];
    const checkStatuses = () => {
      for (const id of IDS) {
        for (const c of ownStatuses(id)) {
          const text = c.args[0] && c.args[0].text;
          // The per-epoch progress status is not bounded (defect, see the skipped spec below): counted apart.
          if (typeof text === 'string' && text.length > 40 && /^epoch /.test(text)) longProgress.push(text);
          else if (typeof text === 'string' && text.length > 40)
            bad.push(`${id}: status text of ${text.length} chars: ${text}`);
        }
      }
      helper._sandbox.resetHistory(); // the helper's spies keep every call
    };
    const counts = { accepted: 0, rejected: 0, trained: 0, collected: 0 };
    let i = 0;

    /** Sends one message, waits for its one outcome, and returns it ('ok' or the error text). */
    const send = async (id, msg, waitMs = 10000) => {
      const n = i++;
      msg._fz = n;
      nodes[id].receive(msg);
      const t = Date.now();
      while (!outcome.has(n)) {
        if (Date.now() - t > waitMs)
          assert.fail(`message ${n} to ${id} got neither done() nor done(err) in ${waitMs} ms`);
        await new Promise((r) => setImmediate(r));
      }
      // Let a late second outcome show up before judging this one.
      await new Promise((r) => setImmediate(r));
      const o = outcome.get(n);
      assert.strictEqual(o.length, 1, `message ${n} to ${id} ended ${o.length} times: ${o}`);
      if (o[0] === 'ok') counts.accepted++;
      else {
        counts.rejected++;
        // Node-RED's catch message carries err.toString(): the error's name, ': ', then the bounded message.
        const text = o[0].replace(/^\w*Error: /, '');
        assert.ok(
          text.length <= 1000,
          `message ${n} to ${id}: error text of ${text.length} chars: ${text.slice(0, 200)}`,
        );
        assert.ok(!outputs.some((m) => m._fz === n), `message ${n} to ${id} was rejected but sent`);
      }
      return { n, result: o[0] };
    };

    const collect = (id, w) => {
      const o = oracle[id];
      if (!o.key) Object.assign(o, { spec: w.spec, key: w.key });
      o.windows.push(JSON.stringify({ inputs: w.inputs, targets: w.targets }));
      if (o.windows.length > MAX_WINDOWS[id]) o.windows.shift();
    };

    /** A real training on the collected windows: the run trains on exactly what the oracle holds. */
    const train = async (id) => {
      const o = oracle[id];
      for (let k = 0; o.windows.length < TRAINABLE; k++) {
        const w = plainWindow(o.spec || 'A', k);
        const { result } = await send(id, { payload: w });
        assert.strictEqual(result, 'ok', `top-up window to ${id}`);
        collect(id, { spec: o.spec || 'A', key: specKey(SPECS[o.spec || 'A']), ...w });
      }
      const runs = trainedOn.length;
      const { n, result } = await send(id, { train: true, topic: 'run' }, 120000);
      assert.strictEqual(result, 'ok', `training ${id} on ${o.windows.length} windows: ${result}`);
      counts.trained++;
      assert.strictEqual(trainedOn.length, runs + 1, 'one run started');
      const data = JSON.parse(trainedOn[runs]);
      const expected = o.windows.map((w) => JSON.parse(w));
      assert.strictEqual(data.inputs.length, expected.length, `${id} trained on the windows it accepted`);
      assert.strictEqual(
        JSON.stringify(data),
        JSON.stringify({ inputs: expected.map((w) => w.inputs), targets: expected.map((w) => w.targets) }),
        `${id}: the collected windows are byte-identical to the accepted ones`,
      );
      const report = outputs.find((m) => m._fz === n && m.model);
      assert.ok(report, `${id}: a report on output 1`);
      assert.strictEqual(report.payload.trainWindows + report.payload.valWindows, expected.length);
      const stored = nodes[id].context().flow.get(`fz-${id}`);
      assert.strictEqual(stored.id, report.model.id, `${id}: the trained model is stored`);
      models[id] = model(id);
    };

    const started = Date.now();
    const planned = [
      [2500, 't1'],
      [5000, 't2'],
      [7500, 't1'],
    ];
    while (i < MESSAGES) {
      if (planned.length && i >= planned[0][0]) await train(planned.shift()[1]);
      const id = IDS[Math.floor(rand() * IDS.length)];
      const o = oracle[id];
      const g = next(o.spec);
      // msg.train with nothing collected is refused at once; with windows it would start a run.
      if (g.kind === 'payload' && !o.windows.length && g.expect === 'err' && rand() < 0.05) g.msg.train = true;
      const { n, result } = await send(id, g.msg);
      const ok = result === 'ok';
      if (g.expect === 'spec') {
        const fits = !o.key || o.key === g.window.key;
        assert.strictEqual(
          ok,
          fits,
          `message ${n} to ${id}: a well-formed window ${fits ? 'refused' : 'accepted'}: ${result}`,
        );
      } else {
        assert.strictEqual(
          ok,
          g.expect === 'ok',
          `message ${n} to ${id} (${g.kind}) should end as ${g.expect}, ended as ${result} ${process.env.FUZZ_DEBUG ? require('util').inspect(g.msg, { depth: 4 }).slice(0, 2000) : ''}`,
        );
      }
      if (g.kind === 'reset') Object.assign(o, { spec: undefined, key: undefined, windows: [] });
      if (ok && g.expect === 'spec') {
        counts.collected++;
        collect(id, g.window);
        const calls = ownStatuses(id);
        const text = calls.length ? calls[calls.length - 1].args[0].text : undefined;
        assert.strictEqual(text, `${o.windows.length} collected`, `message ${n} to ${id}: status`);
      }
      for (const t of IDS) assert.strictEqual(model(t), models[t], `message ${n} to ${id}: the stored model of ${t}`);
      if (i % 200 === 0) checkStatuses();
    }
    await train('t1');
    await train('t2');
    checkStatuses();
    const ms = Date.now() - started;
    assert.deepStrictEqual(uncaught.map(String), [], 'no uncaught exception');
    assert.deepStrictEqual(bad.slice(0, 10), [], `${bad.length} problems`);
    assert.strictEqual(counts.accepted + counts.rejected, i, 'every message accounted for');
    assert.strictEqual(trainedOn.length, counts.trained, 'only the planned trainings ran');
    assert.ok(!{}.polluted && !{}.x, 'no prototype pollution');
    assert.ok(counts.collected > MESSAGES * 0.1 && counts.rejected > MESSAGES * 0.3, JSON.stringify(counts));
    console.log(
      `      ${i} messages in ${(ms / 1000).toFixed(1)} s (seed ${SEED}): ${counts.accepted} accepted ` +
        `(${counts.collected} windows collected), ${counts.rejected} rejected, ${counts.trained} trainings; ` +
        `${longProgress.length} progress statuses over 40 chars`,
    );
  });
});

// Defects the fuzz found (src/ is not this spec's to change): each test shows one and is
// skipped until it is fixed; run it with .only to see it fail.
describe('faults: lstm-train fuzz, defects found', function () {
  this.timeout(60000);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const ended = new Map();
  const node = { units: 2, epochs: 1, patience: 1, seed: 1, scope: 'flow', store: '', maxWindows: 40 };
  before(async function () {
    await startRuntime(
      [trainNode, catchNode, completeNode],
      [
        { id: 'tab', type: 'tab' },
        { id: 'd1', type: 'lstm-train', z: 'tab', model: 'm-d1', ...node, wires: [['out'], ['out']] },
        { id: 'd2', type: 'lstm-train', z: 'tab', model: 'm-d2', ...node, wires: [['out'], ['out']] },
        // Every epoch status of this one is over 40 characters ("epoch 1/100000 ...").
        { id: 'd3', type: 'lstm-train', z: 'tab', model: 'm-d3', ...node, epochs: 100000, wires: [['out'], ['out']] },
        { id: 'caught', type: 'catch', z: 'tab', scope: ['d1', 'd2', 'd3'], uncaught: false, wires: [['rejected']] },
        { id: 'completed', type: 'complete', z: 'tab', scope: ['d1', 'd2', 'd3'], wires: [['accepted']] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'rejected', type: 'helper', z: 'tab' },
        { id: 'accepted', type: 'helper', z: 'tab' },
      ],
      { contextStorage: { default: { module: 'memory' } } },
    );
    helper.getNode('accepted').on('input', (m) => ended.set(m._fz, 'ok'));
    helper.getNode('rejected').on('input', (m) => ended.set(m._fz, m.error.message));
  });
  after(async function () {
    await stopRuntime();
  });
  let seq = 0;
  /** Sends msg and resolves with 'ok' (done()) or the error text (done(err)). */
  async function outcome(id, msg, ms = 30000) {
    const n = `d${seq++}`;
    helper.getNode(id).receive({ ...msg, _fz: n });
    for (const end = Date.now() + ms; !ended.has(n); await sleep(10)) {
      if (Date.now() > end) throw new Error(`message ${n} to ${id} did not end in ${ms} ms`);
    }
    return ended.get(n);
  }
  const win = (features, k, extra = {}) => ({
    type: 'window',
    features,
    target: features[features.length - 1],
    window: 2,
    horizon: 1,
    step: 1000,
    series: 's',
    inputs: [features.map((_, j) => k + j), features.map((_, j) => Math.sin(k) * 5 + j)],
    targets: [[Math.cos(k)]],
    ...extra,
  });

  // Found by the fuzz (failed before the fix): WindowAccumulator.add compared the features joined with ',',
  // so after ['a,x', 'b'] a window with ['a', 'x', 'b'] (three columns) was collected and every later
  // msg.train failed ("expected window 12 to be 2 rows x 2 features, got 2 x 3") until msg.reset.
  it('a window whose feature names only join like the collected ones is refused (SPEC_MISMATCH)', async function () {
    for (let k = 0; k < 12; k++) assert.strictEqual(await outcome('d1', { payload: win(['a,x', 'b'], k) }), 'ok');
    const odd = await outcome('d1', { payload: win(['a', 'x', 'b'], 12) });
    assert.match(odd, /expected windows like the 12 collected/);
    assert.strictEqual(await outcome('d1', { train: true }), 'ok', 'the collection still trains');
  });

  // Found by the fuzz (failed before the fix): step and series were not checked; a window with step NaN
  // and series 10n was collected and became the stored model's spec (a BigInt no JSON store can write).
  it('a training window with a non-finite step or a non-string series is refused', async function () {
    assert.match(await outcome('d2', { payload: win(['b'], 0, { step: NaN }) }), /step/);
    assert.match(await outcome('d2', { payload: win(['b'], 0, { series: 10n }) }), /series/);
    assert.strictEqual(await outcome('d2', { payload: win(['b'], 0) }), 'ok');
  });

  // Found by the fuzz (failed before the fix): progress statuses were not bounded, e.g.
  // "epoch 1/100000 loss 0.123 val 0.456 (wasm)" (42 characters); now at most 20 (the convention).
  it('every status text of a training run is at most 20 characters', async function () {
    const d3 = helper.getNode('d3');
    for (let k = 0; k < 12; k++) assert.strictEqual(await outcome('d3', { payload: win(['b'], k) }), 'ok');
    const run = outcome('d3', { train: true }, 60000);
    const texts = () =>
      d3.status
        .getCalls()
        .filter((c) => c.thisValue === d3)
        .map((c) => c.args[0].text);
    for (const end = Date.now() + 30000; !texts().some((t) => /^1\/100000 loss /.test(t)); await sleep(20)) {
      if (Date.now() > end) throw new Error('no epoch status in 30 s');
    }
    helper.getNode('d3').receive({ stop: true, _fz: 'stop' });
    await run;
    const long = texts().filter((t) => typeof t === 'string' && t.length > 20);
    assert.deepStrictEqual(long, []);
  });
});
