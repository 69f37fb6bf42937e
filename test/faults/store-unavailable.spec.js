'use strict';
// Every context-store failure, read or write, in any node, is one error: code
// STORE_UNAVAILABLE, a text naming the store, the operation and the store's own
// reason, the short status 'store unavailable', bounded like every error text.
// A real context store (test/helpers/failing-store.js) fails on demand.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, expectError, lastStatus } = require('../helpers/runtime');
const failingStore = require('../helpers/failing-store');
const { co2Dataset } = require('../helpers/co2-fixture');

const windowerPath = require.resolve('../../nodes/sequence-windower.js');
const modules = [require('../../nodes/lstm-train.js'), require('../../nodes/lstm-predict.js')];
const settings = { contextStorage: { default: { module: 'memory' }, flaky: { module: failingStore.module } } };
const T0 = Date.UTC(2024, 0, 1);
const TAB = { id: 'tab', type: 'tab', label: 'store' };
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

function freshWindower() {
  delete require.cache[windowerPath];
  return require(windowerPath);
}

function dataset() {
  const d = co2Dataset(24, 6, 80);
  return { type: 'dataset', count: d.inputs.length, timestamps: [], ...d };
}

/** The error is STORE_UNAVAILABLE, names the store, the operation and the reason; the status says so. */
function assertStoreError(err, node, operation, reason) {
  assert.strictEqual(err.code, 'STORE_UNAVAILABLE', `${err.code}: ${err.message}`);
  assert.match(err.message, /context store 'flaky'/);
  assert.match(err.message, operation);
  assert.match(err.message, reason);
  assert.ok(err.message.length <= 1000, `${err.message.length} chars`);
  const st = lastStatus(node);
  assert.strictEqual(st.fill, 'red');
  assert.strictEqual(st.text, 'store unavailable');
}

let run = 0;
describe('faults: a failing context store is STORE_UNAVAILABLE in every node', function () {
  this.timeout(60000);
  beforeEach(function () {
    run++;
    failingStore.reset();
  });
  afterEach(async function () {
    failingStore.reset();
    await stopRuntime();
  });

  const windowerFlow = () => [
    { id: `w${run}`, type: 'sequence-windower', window: 3, horizon: 0, persist: true, store: 'flaky', wires: [[], []] },
  ];

  it('sequence-windower, a failed write of the buffers', async function () {
    await startRuntime(freshWindower(), windowerFlow(), settings);
    const w = helper.getNode(`w${run}`);
    w.receive({ topic: 's', payload: 1, timestamp: T0 });
    await settle();
    failingStore.control.failSet = true;
    const err = await expectError(w, { topic: 's', payload: 2, timestamp: T0 + 1 });
    assertStoreError(err, w, /could not save the window buffers/, /store write failed \(test\)/);
  });

  it('sequence-windower, a failed read of the saved buffers', async function () {
    failingStore.control.failGet = true;
    await startRuntime(freshWindower(), windowerFlow(), settings);
    const w = helper.getNode(`w${run}`);
    const err = await expectError(w, { topic: 's', payload: 1, timestamp: T0 });
    assertStoreError(err, w, /could not read the saved window buffers/, /store read failed \(test\)/);
  });

  it('sequence-windower, a huge reason from the store is cut: the error stays bounded and says what failed', async function () {
    await startRuntime(freshWindower(), windowerFlow(), settings);
    const w = helper.getNode(`w${run}`);
    w.receive({ topic: 's', payload: 1, timestamp: T0 });
    await settle();
    failingStore.control.failSet = true;
    failingStore.control.reason = 'disk full '.repeat(100000);
    const err = await expectError(w, { topic: 's', payload: 2, timestamp: T0 + 1 });
    assertStoreError(err, w, /could not save the window buffers/, /disk full/);
    assert.match(err.message, /; the message was not applied$/, 'the consequence survives the cut');
  });

  it('lstm-predict, a failed read of the model (none cached)', async function () {
    const flow = [TAB, { id: `p${run}`, type: 'lstm-predict', z: 'tab', model: 'm', store: 'flaky', wires: [[]] }];
    await startRuntime(modules, flow, settings);
    const p = helper.getNode(`p${run}`);
    failingStore.control.failGet = true;
    const err = await expectError(p, { payload: { type: 'window', inputs: [[1]] } });
    assertStoreError(err, p, /could not read model 'm'/, /store read failed \(test\)/);
  });

  it('lstm-train (incremental), a failed read of the stored model', async function () {
    const flow = [
      TAB,
      {
        id: `t${run}`,
        type: 'lstm-train',
        z: 'tab',
        model: 'm',
        store: 'flaky',
        incremental: true,
        units: 4,
        epochs: 1,
      },
    ];
    await startRuntime(modules, flow, settings);
    const t = helper.getNode(`t${run}`);
    failingStore.control.failGet = true;
    const err = await expectError(t, { payload: dataset() }, 30000);
    assertStoreError(err, t, /could not read model 'm'/, /store read failed \(test\)/);
  });
});
