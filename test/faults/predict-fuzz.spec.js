'use strict';
// Fuzz: 10,000 generated messages (seeded, reproducible) through lstm-predict in
// the real runtime, on a real custom context store and on the memory store. Every
// message gets an output or done(err) (none silent), no uncaught exception, every
// number in every output is finite, and the stored model stays byte-identical.
const assert = require('assert');
const { helper, startRuntime, stopRuntime } = require('../helpers/runtime');
const { deliverInBatches } = require('../helpers/fuzz');
const { tf } = require('../../nodes/core/base/backend');
const { flakyStore, tinyArtifact, renamed, windowMessage, nonFinite, prng } = require('./predict-fixtures');

const predictNode = require('../../nodes/lstm-predict.js');
const SEED = Number(process.env.FUZZ_SEED || 20240610);
const COUNT = 10000;

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  { id: 'pf', type: 'lstm-predict', model: 'tiny', store: 'flaky', wires: [['out']] },
  { id: 'pc', type: 'lstm-predict', model: 'tiny', store: 'flaky', output: 'chart', maxModels: 2, wires: [['out']] },
  { id: 'pm', type: 'lstm-predict', model: 'tiny', refresh: 0, wires: [['out']] },
  { id: 'out', type: 'helper' },
].map((n) => (n.type === 'tab' ? n : { z: 'tab', ...n }));

/** The generator: every call gives one message built from the seeded PRNG. */
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
      () => 1e308,
      () => Number.MIN_VALUE,
      () => -0,
      () => 10n,
      () => null,
      () => undefined,
      () => true,
      () => '42',
      () => '',
      () => unicode(int(200)),
      () => [],
      () => [1, 2, 3],
      () => ({}),
      () => JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}'),
      () => ({ a: { b: { c: { d: [NaN] } } } }),
      () => new Array(int(5000)).fill(1),
      () => Object.create(null),
      () => new Float32Array(3),
      () => new Date(NaN),
    ])();
  const nested = (depth) => (depth <= 0 ? junk() : { x: nested(depth - 1), y: [nested(depth - 1)] });
  const good = () => windowMessage(int(50));
  const payloads = [
    () => good(),
    () => good(),
    () => {
      const w = good();
      w.inputs = w.inputs.map((r) => r.slice());
      w.inputs[int(w.inputs.length)][0] = junk();
      return w;
    },
    () => ({ ...good(), inputs: good().inputs.slice(0, int(12)) }), // truncated
    () => ({ ...good(), inputs: good().inputs.concat(good().inputs.slice(0, 1 + int(11))) }), // duplicated rows
    () => ({ ...good(), inputs: good().inputs.map((r) => r.concat(r)) }), // features doubled
    () => ({ ...good(), features: pick([['co2', 'co2'], [], ['CO2'], [unicode(300)], junk()]) }),
    () => ({ ...good(), step: junk() }),
    () => ({ ...good(), timestamps: good().inputs.map((_, i) => pick([i * 1000, junk()])) }),
    () => ({ ...good(), timestamps: good().inputs.map((_, i) => 1e308 + i) }),
    () => ({ ...good(), timestamps: good().inputs.map((_, i) => i), step: pick([1e308, 1e300, Infinity, 2e-308]) }),
    () => ({ ...good(), series: pick([unicode(int(3000)), junk()]) }),
    () => ({ ...good(), type: pick(['dataset', 'windows', junk()]) }),
    () => ({ type: 'dataset', inputs: [good().inputs, good().inputs, pick([good().inputs, junk()])] }),
    () => ({ type: 'window', inputs: new Array(int(20000)).fill([1]) }),
    () => ({ ...good(), inputs: nested(3) }),
    () => JSON.parse('{"__proto__": {"type": "window"}, "inputs": [[1]]}'),
    () => nested(int(4)),
    () => junk(),
  ];
  const models = [
    () => undefined,
    () => undefined,
    () => undefined,
    () => 'tiny',
    () => pick(['other0', 'other1', 'other2', 'missing', '__proto__', 'constructor', 'hasOwnProperty']),
    () => unicode(int(5000)),
    () => ({ name: pick(['tiny', 'other1', unicode(100), junk()]) }),
    () => junk(),
  ];
  return (i) => {
    const msg = { _msgid: `fuzz-${i}`, payload: pick(payloads)() };
    const model = pick(models)();
    if (model !== undefined || rand() < 0.05) msg.model = model;
    if (rand() < 0.2) msg.topic = pick([unicode(int(10000)), junk()]);
    return msg;
  };
}

describe('faults: lstm-predict fuzz', function () {
  this.timeout(180000);
  let store;
  let tensorsBefore;
  const uncaught = [];
  const onUncaught = (err) => uncaught.push(err);
  before(async function () {
    const artifact = await tinyArtifact();
    tensorsBefore = tf().memory().numTensors;
    store = flakyStore();
    store.put('tab', 'tiny', renamed(artifact, 'tiny'));
    for (let i = 0; i < 3; i++) store.put('tab', `other${i}`, renamed(artifact, `other${i}`));
    await startRuntime([predictNode], flow, {
      contextStorage: { default: { module: 'memory' }, flaky: { module: store.module } },
    });
    await new Promise((resolve, reject) =>
      helper
        .getNode('pm')
        .context()
        .flow.set('tiny', renamed(artifact, 'tiny'), (e) => (e ? reject(e) : resolve())),
    );
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  after(async function () {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await stopRuntime();
  });

  it(`answers each of ${COUNT} generated messages with an output or done(err), finite numbers only`, async function () {
    const nodes = ['pf', 'pc', 'pm'].map((id) => helper.getNode(id));
    const memoryModel = () => JSON.stringify(nodes[2].context().flow.get('tiny'));
    const storedBefore = ['tiny', 'other0', 'other1', 'other2'].map((k) => store.raw('tab', k));
    const memoryBefore = memoryModel();
    const waiting = new Map();
    const counts = { out: 0, err: 0 };
    const bad = [];
    const settle = (id, kind, detail) => {
      const w = waiting.get(id);
      if (!w) return;
      waiting.delete(id);
      counts[kind]++;
      w(detail);
    };
    helper.getNode('out').on('input', (msg) => {
      // What the node wrote; other properties (topic, model) are the sender's, passed on untouched as Node-RED does.
      const found = nonFinite({ payload: msg.payload, forecast: msg.forecast });
      if (found.length) bad.push(`${msg._msgid}: ${found.join(', ')}`);
      settle(msg._msgid, 'out');
    });
    for (const n of nodes) {
      n.on('call:error', (call) => {
        if (call.thisValue !== n) return;
        const [err, msg] = call.args;
        const text = err instanceof Error ? err.message : String(err);
        if (text.length > 1001) bad.push(`${msg && msg._msgid}: error text of ${text.length}`);
        if (/TypeError|Cannot read|is not a function|serialize a BigInt/.test(text)) bad.push(`${msg._msgid}: ${text}`);
        settle(msg && msg._msgid, 'err');
      });
    }
    const next = generator(prng(SEED));
    const started = Date.now();
    const silent = await deliverInBatches(
      COUNT,
      next,
      (j) => nodes[j % nodes.length],
      waiting,
      (i) => {
        if (i % 500 === 0) helper._sandbox.resetHistory(); // the helper's spies keep every call
        for (const n of nodes) {
          const st = n.status.lastCall && n.status.lastCall.thisValue === n ? n.status.lastCall.args[0] : undefined;
          if (st && st.text && st.text.length > 40) bad.push(`status of ${st.text.length} chars`);
        }
      },
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      ${COUNT} messages in ${seconds.toFixed(1)} s (seed ${SEED}): ${counts.out} outputs, ${counts.err} errors`,
    );
    assert.deepStrictEqual(uncaught.map(String), []);
    assert.deepStrictEqual(silent.slice(0, 10), [], `${silent.length} messages got neither an output nor an error`);
    assert.strictEqual(counts.out + counts.err, COUNT);
    assert.deepStrictEqual(bad.slice(0, 10), []);
    assert.ok(counts.out > COUNT / 20, `some forecasts came out (${counts.out})`);
    assert.ok(counts.err > COUNT / 4, `most junk was refused (${counts.err})`);
    assert.deepStrictEqual(
      ['tiny', 'other0', 'other1', 'other2'].map((k) => store.raw('tab', k)),
      storedBefore,
      'stored models byte-identical',
    );
    assert.strictEqual(memoryModel(), memoryBefore, 'the model in the memory store unchanged');
    assert.ok(!{}.polluted && !{}.x, 'no prototype pollution');
    // Removing the nodes frees every model they loaded: back to the tensors held before they started.
    await helper.setFlows([flow[0]], 'full');
    assert.strictEqual(tf().memory().numTensors, tensorsBefore, 'no tensor left behind');
  });
});
