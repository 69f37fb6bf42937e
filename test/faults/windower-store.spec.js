'use strict';
// Defect 3 of issue 10: "keep buffers" with a context store that fails. A real
// Node-RED context store (test/helpers/failing-store.js) plugged in through the
// runtime's settings fails reads or writes on demand.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, nextMessage, expectError, collect } = require('../helpers/runtime');
const failingStore = require('../helpers/failing-store');

const windowerPath = require.resolve('../../nodes/sequence-windower.js');
const T0 = Date.UTC(2024, 0, 1);
const settings = { contextStorage: { default: { module: 'memory' }, flaky: { module: failingStore.module } } };

let run = 0;
function flow(props = {}) {
  return [
    {
      id: `ws${run}`,
      type: 'sequence-windower',
      window: 3,
      horizon: 0,
      persist: true,
      store: 'flaky',
      wires: [['fc'], []],
      ...props,
    },
    { id: 'fc', type: 'helper' },
  ];
}
/** A new process: a fresh copy of the node module, so only the store can bring the buffers back. */
function freshModule() {
  delete require.cache[windowerPath];
  return require(windowerPath);
}
/** Every scope and key of the store as JSON text: the stored state, byte-comparable. */
const all = () => JSON.stringify([...failingStore.data.keys()].sort().map((s) => [s, failingStore.dump(s)]));
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('faults: sequence-windower keep buffers on a failing context store', function () {
  beforeEach(function () {
    run++;
    failingStore.reset();
  });
  afterEach(async function () {
    failingStore.reset();
    await stopRuntime();
  });

  it('a failed store write changes nothing: the reading is not kept and can be sent again', async function () {
    await startRuntime(freshModule(), flow(), settings);
    const w = helper.getNode(`ws${run}`);
    const fc = collect(helper.getNode('fc'));
    w.receive({ topic: 's', payload: 1, timestamp: T0 });
    w.receive({ topic: 's', payload: 2, timestamp: T0 + 1 });
    await settle();
    const stored = all();
    failingStore.control.failSet = true;
    const err = await expectError(w, { topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.match(String(err), /store write failed/);
    assert.strictEqual(fc.length, 0, 'nothing sent for a failed message');
    assert.strictEqual(all(), stored, 'stored state unchanged');
    failingStore.control.failSet = false;
    // The same reading again: accepted (it was not kept), and the window holds it once.
    const m = nextMessage(helper.getNode('fc'));
    w.receive({ topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.deepStrictEqual((await m).payload.inputs, [[1], [2], [3]]);
  });

  it('a failed write of a new series forgets that series and keeps the others', async function () {
    await startRuntime(freshModule(), flow({ window: 2 }), settings);
    const w = helper.getNode(`ws${run}`);
    w.receive({ topic: 'a', payload: 1, timestamp: T0 });
    await settle();
    failingStore.control.failSet = true;
    await expectError(w, { topic: 'b', payload: 10, timestamp: T0 });
    failingStore.control.failSet = false;
    await stopRuntime();
    await startRuntime(freshModule(), flow({ window: 2 }), settings);
    const w2 = helper.getNode(`ws${run}`);
    const fc = collect(helper.getNode('fc'));
    w2.receive({ topic: 'a', payload: 2, timestamp: T0 + 1 });
    w2.receive({ topic: 'b', payload: 11, timestamp: T0 + 1 });
    await settle();
    assert.deepStrictEqual(
      fc.map((m) => [m.topic, m.payload.inputs]),
      [['a', [[1], [2]]]],
      'a continued from the store; b starts empty',
    );
  });

  it('an unreadable store at start: messages fail clearly, the saved buffers stay intact, and it recovers', async function () {
    await startRuntime(freshModule(), flow(), settings);
    let w = helper.getNode(`ws${run}`);
    w.receive({ topic: 's', payload: 1, timestamp: T0 });
    w.receive({ topic: 's', payload: 2, timestamp: T0 + 1 });
    await settle();
    await stopRuntime();
    const before = all();
    assert.notStrictEqual(before, '[]', 'buffers were saved');

    failingStore.control.failGet = true;
    await startRuntime(freshModule(), flow(), settings);
    w = helper.getNode(`ws${run}`);
    const fc = collect(helper.getNode('fc'));
    const err = await expectError(w, { topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.match(String(err), /could not read the saved window buffers/);
    const err2 = await expectError(w, { topic: 'other', payload: 3, timestamp: T0 + 2 });
    assert.match(String(err2), /could not read the saved window buffers/);
    await settle();
    assert.strictEqual(all(), before, 'nothing written while the saved state was unreadable');
    assert.strictEqual(fc.length, 0);

    failingStore.control.failGet = false;
    await settle(1100); // a failed read is tried again at most once a second
    const m = nextMessage(helper.getNode('fc'));
    w.receive({ topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.deepStrictEqual((await m).payload.inputs, [[1], [2], [3]], 'the saved buffers were read on a later message');
  });

  it('reads buffers saved by earlier versions (one windower key), rewrites them per series and deletes the old key', async function () {
    await startRuntime(freshModule(), flow(), settings);
    const n = helper.getNode(`ws${run}`);
    const scope = n.z ? `${n.id}:${n.z}` : n.id; // the node context's scope in the store
    await stopRuntime();
    const legacy = {
      format: 'sequence-windower-state',
      settings: JSON.stringify([3, 0, '', '']),
      series: {
        s: {
          schema: { kind: 'number', features: ['value'], keys: [0], arity: 0, targetIndex: 0 },
          rows: [[1], [2]],
          times: [T0, T0 + 1],
          sinceEmit: 2,
          emitted: false,
          touched: 0,
        },
      },
    };
    failingStore.data.set(scope, new Map([['windower', JSON.stringify(legacy)]]));
    await startRuntime(freshModule(), flow(), settings);
    const w = helper.getNode(`ws${run}`);
    const m = nextMessage(helper.getNode('fc'));
    w.receive({ topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.deepStrictEqual((await m).payload.inputs, [[1], [2], [3]]);
    await settle();
    assert.strictEqual(failingStore.peek(scope, 'windower'), undefined, 'old key deleted');
    assert.deepStrictEqual(failingStore.peek(scope, 'windower_index').slots, [['s', 0]]);
    assert.deepStrictEqual(failingStore.peek(scope, 'windower_s0').rows, [[1], [2], [3]]);
  });
});
