'use strict';
// Defects 2 and 8 of issue 10 through the real runtime: bursts within one
// millisecond, equal explicit timestamps, and the windower's bounds (features
// per reading, batch dataset size, prototype-named series, status and error
// text lengths, BigInt timestamps).
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
  lastStatus,
  collect,
} = require('../helpers/runtime');

const windowerPath = require.resolve('../../nodes/sequence-windower.js');
const T0 = Date.UTC(2024, 0, 1);

let run = 0;
function flow(props = {}) {
  return [
    { id: `wb${run}`, type: 'sequence-windower', window: 3, horizon: 0, wires: [['fc'], ['tr']], ...props },
    { id: 'fc', type: 'helper' },
    { id: 'tr', type: 'helper' },
  ];
}
function freshModule() {
  delete require.cache[windowerPath];
  return require(windowerPath);
}
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));
/** Errors this node reported through done(err). */
function errors(node) {
  const list = [];
  node.on('call:error', (call) => list.push(call.args[0]));
  return list;
}

describe('faults: sequence-windower bursts, duplicates and bounds', function () {
  beforeEach(function () {
    run++;
  });
  afterEach(async function () {
    await stopRuntime();
  });

  it('a burst without msg.timestamp (many readings in one millisecond) is kept whole, in arrival order', async function () {
    await startRuntime(freshModule(), flow({ window: 200 }));
    const w = helper.getNode(`wb${run}`);
    const errs = errors(w);
    const m = nextMessage(helper.getNode('fc'));
    for (let i = 0; i < 200; i++) w.receive({ topic: 'burst', payload: i });
    const win = (await m).payload;
    assert.deepStrictEqual(errs, []);
    assert.deepStrictEqual(
      win.inputs.map((r) => r[0]),
      Array.from({ length: 200 }, (_, i) => i),
    );
    for (let i = 1; i < 200; i++) assert.ok(win.timestamps[i] > win.timestamps[i - 1], 'stamps strictly increase');
  });

  for (const [policy, expected] of [
    ['keep-last', [1, 5, 3]],
    ['keep-first', [1, 2, 3]],
  ]) {
    it(`equal explicit timestamps with duplicates '${policy}' (stream)`, async function () {
      await startRuntime(freshModule(), flow({ duplicates: policy }));
      const w = helper.getNode(`wb${run}`);
      const errs = errors(w);
      const m = nextMessage(helper.getNode('fc'));
      w.receive({ payload: 1, timestamp: T0 });
      w.receive({ payload: 2, timestamp: T0 + 1 });
      w.receive({ payload: 5, timestamp: T0 + 1 });
      w.receive({ payload: 3, timestamp: T0 + 2 });
      const win = (await m).payload;
      assert.deepStrictEqual(
        win.inputs.map((r) => r[0]),
        expected,
      );
      assert.deepStrictEqual(win.timestamps, [T0, T0 + 1, T0 + 2]);
      assert.deepStrictEqual(errs, []);
    });
  }

  it("equal explicit timestamps are rejected by default ('reject'), and an earlier one always", async function () {
    await startRuntime(freshModule(), flow());
    const w = helper.getNode(`wb${run}`);
    w.receive({ payload: 1, timestamp: T0 + 5 });
    await settle();
    const e1 = await expectError(w, { payload: 2, timestamp: T0 + 5 });
    assert.strictEqual(e1.code, 'BAD_TIMESTAMP');
    assert.match(String(e1), /equal timestamps are rejected \(Duplicates\)/);
    const e2 = await expectError(w, { payload: 2, timestamp: T0 + 4 });
    assert.strictEqual(e2.code, 'BAD_TIMESTAMP');
  });

  it("batch: equal times with 'keep-last' keep the later row, with 'reject' fail", async function () {
    const rows = [
      { ts: T0, v: 1 },
      { ts: T0 + 1, v: 2 },
      { ts: T0 + 1, v: 7 },
      { ts: T0 + 2, v: 3 },
    ];
    await startRuntime(freshModule(), flow({ mode: 'batch', duplicates: 'keep-last' }));
    let w = helper.getNode(`wb${run}`);
    const m = nextMessage(helper.getNode('fc'));
    w.receive({ payload: rows });
    assert.deepStrictEqual(
      (await m).payload.inputs.map((r) => r[0]),
      [1, 7, 3],
    );
    await stopRuntime();
    run++;
    await startRuntime(freshModule(), flow({ mode: 'batch' }));
    w = helper.getNode(`wb${run}`);
    const err = await expectError(w, { payload: rows });
    assert.strictEqual(err.code, 'BAD_TIMESTAMP');
  });

  it('refuses a reading with more features than maxFeatures, saying how many', async function () {
    await startRuntime(freshModule(), flow());
    const w = helper.getNode(`wb${run}`);
    const err = await expectError(w, { payload: new Array(200000).fill(1), timestamp: T0 });
    assert.strictEqual(err.code, 'LIMIT');
    assert.match(String(err), /at most 100 features per reading \(maxFeatures\), got 200000/);
    const obj = {};
    for (let i = 0; i < 150; i++) obj[`f${i}`] = i;
    const err2 = await expectError(w, { topic: 'o', payload: obj, timestamp: T0 });
    assert.match(String(err2), /got 150/);
  });

  it('bounds the work of one batch: rejects past maxDatasetValues, or keeps the newest windows with a warning', async function () {
    const rows = Array.from({ length: 1000 }, (_, i) => [i, i, i, i]);
    // 1000 readings, L 100, F 4, H 1: 900 windows x 400 numbers = 360,000 numbers.
    await startRuntime(freshModule(), flow({ mode: 'batch', window: 100, horizon: 1, maxDatasetValues: 40000 }));
    let w = helper.getNode(`wb${run}`);
    const err = await expectError(w, { payload: rows });
    assert.strictEqual(err.code, 'LIMIT');
    assert.match(
      String(err),
      /at most 40000 numbers in a dataset \(maxDatasetValues\), got 900 windows x 100 x 4 = 360000/,
    );
    await stopRuntime();
    run++;
    await startRuntime(
      freshModule(),
      flow({ mode: 'batch', window: 100, horizon: 1, maxDatasetValues: 40000, overflow: 'drop-oldest' }),
    );
    w = helper.getNode(`wb${run}`);
    const ds = nextMessage(helper.getNode('tr'));
    w.receive({ payload: rows });
    const d = (await ds).payload;
    assert.strictEqual(d.count, 100, '40000 / (100 x 4) windows');
    assert.deepStrictEqual(d.targets[d.count - 1], [[999]], 'the newest windows are kept');
    assert.ok(w.warn.getCalls().some((c) => /kept the newest 100 of 900 windows/.test(String(c.args[0]))));
  });

  it('msg.timestamp = 10n is BAD_TIMESTAMP in stream and batch mode', async function () {
    await startRuntime(freshModule(), flow());
    let w = helper.getNode(`wb${run}`);
    let err = await expectError(w, { payload: 1, timestamp: 10n });
    assert.strictEqual(err.code, 'BAD_TIMESTAMP');
    assert.match(String(err), /got bigint/);
    await stopRuntime();
    run++;
    await startRuntime(freshModule(), flow({ mode: 'batch' }));
    w = helper.getNode(`wb${run}`);
    err = await expectError(w, { payload: [1, 2, 3], timestamp: 10n });
    assert.strictEqual(err.code, 'BAD_TIMESTAMP');
  });

  it('series named __proto__, constructor and hasOwnProperty survive a restart with the localfilesystem store', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'windower-proto-'));
    const settings = { contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 1 } } } };
    const topics = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
    const f = flow({ window: 2, persist: true, store: 'file' });
    await startRuntime(freshModule(), f, settings);
    let w = helper.getNode(`wb${run}`);
    for (const topic of topics) w.receive({ topic, payload: 1, timestamp: T0 });
    await settle();
    await stopRuntime();
    await startRuntime(freshModule(), f, settings);
    w = helper.getNode(`wb${run}`);
    const fc = collect(helper.getNode('fc'));
    const errs = errors(w);
    for (const topic of topics) w.receive({ topic, payload: 2, timestamp: T0 + 1 });
    await settle(100);
    assert.deepStrictEqual(errs, []);
    assert.deepStrictEqual(fc.map((m) => m.topic).sort(), topics.slice().sort());
    for (const m of fc) assert.deepStrictEqual(m.payload.inputs, [[1], [2]], m.topic);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps status texts short and error texts bounded for a 10 KB topic', async function () {
    await startRuntime(freshModule(), flow());
    const w = helper.getNode(`wb${run}`);
    const topic = 'ü'.repeat(10000);
    w.receive({ topic, payload: 1, timestamp: T0 });
    await settle();
    assert.ok(lastStatus(w).text.length <= 40, `status ${lastStatus(w).text.length} chars`);
    const err = await expectError(w, { topic, payload: 'x'.repeat(5000), timestamp: T0 + 1 });
    assert.ok(String(err.message).length <= 1000, `error ${err.message.length} chars`);
    assert.match(err.message, /^series 'üüü/);
    assert.ok(lastStatus(w).text.length <= 40);
    w.receive({ topic, reset: true });
    await settle();
    assert.ok(lastStatus(w).text.length <= 40);
  });
});
