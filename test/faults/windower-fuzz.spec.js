'use strict';
const { seededRandom } = require('../../nodes/core/base/random');
// Fuzz of the sequence-windower through the real Node-RED runtime (issue 10):
// 10,000+ generated messages (seeded, reproducible: FUZZ_SEED=<n> to vary) to
// stream and batch nodes, three of them keeping their buffers (one in the memory
// store, one in a real context store that fails writes on demand). Every message
// must end in exactly one of: done() (a complete node sees it) or done(err) (a
// catch node sees it); a rejected message must leave the node's stored state
// byte-identical; nothing may throw out of the runtime.
const assert = require('assert');
const { helper, startRuntime, stopRuntime } = require('../helpers/runtime');
const failingStore = require('../helpers/failing-store');

const windowerPath = require.resolve('../../nodes/sequence-windower.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const completeNode = require('@node-red/nodes/core/common/24-complete.js');

const SEED = Number(process.env.FUZZ_SEED || 20240110);
const MESSAGES = 10000;
const T0 = Date.UTC(2024, 0, 1);

/** The pack's seeded PRNG (mulberry32), so a failure can be replayed with its seed. */
const prng = (seed) => seededRandom(seed);

const STREAM = ['s1', 's2', 's3', 'sf'];
const BATCH = ['b1', 'b2'];
const ALL = [...STREAM, ...BATCH];

function flow() {
  const common = { type: 'sequence-windower', z: 'tab', wires: [['out'], ['out']] };
  return [
    { id: 'tab', type: 'tab' },
    {
      ...common,
      id: 's1',
      window: 4,
      horizon: 2,
      persist: true,
      maxSeries: 6,
      overflow: 'drop-oldest',
      maxFeatures: 5,
    },
    {
      ...common,
      id: 's2',
      window: 3,
      horizon: 1,
      persist: true,
      duplicates: 'keep-last',
      invalid: 'carry',
      maxSeries: 4,
    },
    { ...common, id: 's3', window: 2, horizon: 0, duplicates: 'keep-first', invalid: 'drop', maxGap: 5000 },
    {
      ...common,
      id: 'sf',
      window: 3,
      horizon: 1,
      persist: true,
      store: 'flaky',
      maxSeries: 5,
      overflow: 'drop-oldest',
    },
    { ...common, id: 'b1', mode: 'batch', window: 3, horizon: 1, maxBatch: 50, maxDatasetValues: 1000 },
    {
      ...common,
      id: 'b2',
      mode: 'batch',
      window: 2,
      horizon: 2,
      stride: 2,
      duplicates: 'keep-last',
      overflow: 'drop-oldest',
      maxBatch: 40,
      maxDatasetValues: 1000,
      invalid: 'drop',
    },
    { id: 'caught', type: 'catch', z: 'tab', scope: ALL, uncaught: false, wires: [['rejected']] },
    { id: 'completed', type: 'complete', z: 'tab', scope: ALL, wires: [['accepted']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'rejected', type: 'helper', z: 'tab' },
    { id: 'accepted', type: 'helper', z: 'tab' },
  ];
}

/** The stored state of a node: every context key it keeps, as JSON text, byte-comparable. */
function storedState(id) {
  if (id === 'sf') return JSON.stringify([...failingStore.data.keys()].sort().map((s) => [s, failingStore.dump(s)]));
  const ctx = helper.getNode(id).context();
  const keys = ctx.keys().sort();
  return JSON.stringify(keys.map((k) => [k, ctx.get(k)]));
}

function generator(rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const int = (n) => Math.floor(rand() * n);
  let clock = T0;
  const protoObj = () => JSON.parse('{"__proto__": 1, "a": 2}');
  const scalars = [
    () => rand() * 100 - 50,
    () => int(10),
    () => NaN,
    () => Infinity,
    () => -Infinity,
    () => 1e39,
    () => -3.5e38,
    () => ' 12.5 ',
    () => '5e38',
    () => 'warm',
    () => '',
    () => true,
    () => false,
    () => null,
    () => undefined,
    () => 10n,
    () => 2n ** 70n,
    () => new Date(T0),
    () => Symbol('s'),
  ];
  const scalar = () => pick(scalars)();
  const reading = () => {
    const r = rand();
    if (r < 0.35) return rand() < 0.8 ? rand() * 10 : scalar();
    if (r < 0.55) return Array.from({ length: 1 + int(3) }, () => (rand() < 0.9 ? int(100) : scalar()));
    if (r < 0.75) {
      const o = { a: int(9), b: rand() < 0.9 ? int(9) : scalar() };
      if (rand() < 0.3) o.ts = clock + int(3) - 1;
      return o;
    }
    return pick([
      () => [],
      () => ({}),
      () => ({ a: { b: 1 } }),
      () => [[1, 2], [3]],
      () => protoObj(),
      () => ({ constructor: 1, hasOwnProperty: 2 }),
      () => new Array(rand() < 0.1 ? 100000 : 200).fill(1),
      () => Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])),
      scalar,
    ])();
  };
  const topics = [
    undefined,
    null,
    '',
    'a',
    'b',
    'c',
    'd',
    'e',
    'f',
    'g',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'ü🙂'.repeat(3000),
    '日本語のトピック',
    7,
    { nested: true },
  ];
  const timestamp = () => {
    const r = rand();
    if (r < 0.3) return undefined; // stamped by arrival
    if (r < 0.75) return (clock += int(3)); // increasing or equal
    if (r < 0.8) return clock - 1 - int(1000); // backwards
    return pick([
      () => new Date(clock).toISOString(),
      () => 'yesterday',
      () => 10n,
      () => NaN,
      () => Infinity,
      () => null,
      () => 1e20,
      () => new Date(NaN),
      () => ({ t: 1 }),
      () => String(clock),
    ])();
  };
  const batch = () => {
    const r = rand();
    if (r < 0.1) return scalar();
    if (r < 0.15) return { not: 'a batch' };
    const n = int(r < 0.9 ? 30 : 70);
    const timed = rand() < 0.5;
    let t = clock;
    return Array.from({ length: n }, () => {
      if (timed && rand() < 0.9) {
        t += rand() < 0.9 ? int(3) : -int(5);
        return { ts: rand() < 0.95 ? t : pick(['x', 10n, null]), v: rand() < 0.9 ? int(50) : scalar(), w: int(3) };
      }
      return rand() < 0.7 ? int(50) : reading();
    });
  };
  return (i) => {
    const id = pick(ALL);
    const msg = { _fz: i };
    if (rand() < 0.6) msg.topic = pick(topics);
    if (rand() < 0.02) {
      msg.reset = pick([true, '*', 'a', '__proto__', 1]);
      return { id, msg };
    }
    const ts = timestamp();
    if (ts !== undefined || rand() < 0.05) msg.timestamp = ts;
    msg.payload = BATCH.includes(id) ? batch() : reading();
    return { id, msg };
  };
}

describe('faults: sequence-windower fuzz', function () {
  this.timeout(120000);
  let uncaught = 0;
  const onUncaught = () => uncaught++;

  before(async function () {
    failingStore.reset();
    process.on('uncaughtException', onUncaught);
    await startRuntime([require(windowerPath), catchNode, completeNode], flow(), {
      contextStorage: { default: { module: 'memory' }, flaky: { module: failingStore.module } },
    });
  });
  after(async function () {
    process.removeListener('uncaughtException', onUncaught);
    failingStore.reset();
    await stopRuntime();
  });

  it(`${MESSAGES} generated messages (seed ${SEED}): each accepted or rejected with done(err), state unchanged when rejected`, async function () {
    const rand = prng(SEED);
    const next = generator(rand);
    const outcome = new Map();
    const sent = new Map();
    helper.getNode('accepted').on('input', (m) => outcome.set(m._fz, [...(outcome.get(m._fz) || []), 'ok']));
    helper
      .getNode('rejected')
      .on('input', (m) => outcome.set(m._fz, [...(outcome.get(m._fz) || []), m.error && m.error.message]));
    helper.getNode('out').on('input', (m) => sent.set(m._fz, (sent.get(m._fz) || 0) + 1));
    let accepted = 0;
    let rejected = 0;
    const started = Date.now();
    for (let i = 0; i < MESSAGES; i++) {
      const { id, msg } = next(i);
      const sf = id === 'sf';
      failingStore.control.failSet = sf && rand() < 0.15;
      const before = STREAM.includes(id) ? storedState(id) : undefined;
      helper.getNode(id).receive(msg);
      const t = Date.now();
      while (!outcome.has(i)) {
        if (Date.now() - t > 5000) assert.fail(`message ${i} to ${id} got neither done() nor done(err) within 5 s`);
        await new Promise((r) => setImmediate(r));
      }
      // Let any late second outcome show up before judging this one.
      await new Promise((r) => setImmediate(r));
      const o = outcome.get(i);
      assert.strictEqual(o.length, 1, `message ${i} to ${id} ended ${o.length} times: ${o}`);
      if (o[0] === 'ok') {
        accepted++;
        continue;
      }
      rejected++;
      assert.strictEqual(typeof o[0], 'string', `message ${i}: the error has a text`);
      assert.ok(o[0].length <= 1000, `message ${i}: error text of ${o[0].length} chars`);
      assert.ok(!sent.has(i), `message ${i} to ${id} was rejected but sent windows`);
      if (before !== undefined) assert.strictEqual(storedState(id), before, `message ${i} to ${id} changed the state`);
    }
    failingStore.control.failSet = false;
    assert.strictEqual(uncaught, 0, 'no uncaught exception');
    assert.strictEqual(accepted + rejected, MESSAGES, 'every message accounted for');
    assert.ok(
      accepted > MESSAGES * 0.2 && rejected > MESSAGES * 0.2,
      `a mix: ${accepted} accepted, ${rejected} rejected`,
    );
    for (const id of ['s3', 'b1', 'b2']) assert.strictEqual(storedState(id), '[]', `${id} keeps no context`);
    for (const id of ALL) {
      const st = helper
        .getNode(id)
        .status.getCalls()
        .filter((c) => c.thisValue === helper.getNode(id));
      assert.ok(
        st.every((c) => !c.args[0].text || c.args[0].text.length <= 40),
        `${id}: status texts <= 40 chars`,
      );
    }
    // The runtime still works: a plain reading goes through.
    const ok = new Promise((resolve) => helper.getNode('accepted').once('input', resolve));
    helper.getNode('s3').receive({ topic: 'fresh', payload: 1 });
    await ok;
    this.test.title += ` [${accepted} accepted, ${rejected} rejected, ${Date.now() - started} ms]`;
  });
});
