'use strict';
// Defect 6 of issue 10, the write side: lstm-train keeps a trained model until
// it is stored or the node closes. Through the real runtime with a real context
// store that fails writes on demand (test/helpers/failing-store.js): a store
// failing more writes than any fixed retry count, then recovering; a close
// while the model is still unstored.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, collect, lastStatus } = require('../helpers/runtime');
const failingStore = require('../helpers/failing-store');
const trainRun = require('../../nodes/glue/train-run');
const { co2Dataset } = require('../helpers/co2-fixture');

const modules = [require('../../nodes/lstm-train.js'), require('@node-red/nodes/core/common/25-catch.js')];
const settings = { contextStorage: { default: { module: 'memory' }, flaky: { module: failingStore.module } } };
const small = { units: 4, epochs: 2, patience: 2, batchSize: 32, seed: 7 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const callsOf = (node, method) => node[method].getCalls().filter((c) => c.thisValue === node);
const textsOf = (node, method) => callsOf(node, method).map((c) => String(c.args[0]));
/**
 * The node's error log lines, read from the runtime's log spy: errors logged while the runtime stops
 * (the node's own spies and listeners are gone by then) are there too.
 */
function errorLog(node) {
  const spy = helper.log();
  return () =>
    spy
      .getCalls()
      .map((c) => c.args[0])
      .filter((m) => m && m.id === node.id && m.level === 20) // 20: Node-RED's log level ERROR
      .map((m) => String(m.msg));
}

function dataset() {
  const d = co2Dataset(24, 6, 100);
  return { type: 'dataset', count: d.inputs.length, timestamps: [], ...d };
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

const flow = () => [
  { id: 'f1', type: 'tab', label: 'retry' },
  { id: 't', type: 'lstm-train', z: 'f1', model: 'co2', store: 'flaky', ...small, wires: [['report'], []] },
  { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'report', type: 'helper', z: 'f1' },
  { id: 'caught', type: 'helper', z: 'f1' },
];

describe('faults: lstm-train keeps a trained model until it is stored or the node closes', function () {
  this.timeout(90000);
  const saved = { ...trainRun.STORE_RETRY };
  beforeEach(function () {
    failingStore.reset();
    // The real schedule waits up to a minute between tries; the same capped backoff, in milliseconds.
    Object.assign(trainRun.STORE_RETRY, { firstMs: 20, maxMs: 80 });
  });
  afterEach(async function () {
    Object.assign(trainRun.STORE_RETRY, saved);
    failingStore.reset();
    await stopRuntime().catch(() => undefined);
  });

  it('a store failing 12 writes, then recovering: the model is stored with its version; Catch got it on the first failure', async function () {
    await startRuntime(modules, flow(), settings);
    const t = helper.getNode('t');
    const reports = collect(helper.getNode('report'));
    const caught = collect(helper.getNode('caught'));
    failingStore.control.failSet = true;
    t.receive({ payload: dataset(), first: true });
    await until(() => failingStore.control.sets >= 3, 60000, 'three failed writes');
    // A request meanwhile waits its turn (overlap: queue): never a second writer.
    t.receive({ payload: dataset(), second: true });
    await until(() => failingStore.control.sets >= 12, 30000, 'twelve failed writes');
    assert.strictEqual(reports.length, 0);
    assert.strictEqual(failingStore.peek('f1', 'co2'), undefined, 'nothing stored yet');
    const st = lastStatus(t);
    assert.strictEqual(st.fill, 'yellow');
    assert.match(st.text, /^v1 retry in [\d.]+ s$/);
    assert.ok(st.text.length <= 20, st.text);
    failingStore.control.failSet = false;

    await until(() => reports.length >= 2, 60000, 'both models stored');
    assert.deepStrictEqual(
      reports.map((r) => [r.first || r.second, r.model.version]),
      [
        [true, 1],
        [true, 2],
      ],
    );
    const stored = failingStore.peek('f1', 'co2');
    assert.strictEqual(stored.version, 2);
    assert.strictEqual(stored.id, reports[1].model.id);
    // The first failure was Catch-able at once, with the trained model in msg.artifact.
    assert.strictEqual(caught.length, 1);
    assert.strictEqual(caught[0].error.source.id, 't');
    assert.match(caught[0].error.message, /could not write model 'co2'.*context store 'flaky'.*store write failed/);
    assert.match(caught[0].error.message, /retried until stored or the node closes/);
    assert.strictEqual(caught[0].artifact.version, 1);
    assert.strictEqual(caught[0].artifact.id, reports[0].model.id);
    // Every failed try logged, at most one per wait (bounded by the backoff), each short.
    const warns = textsOf(t, 'warn').filter((w) => /not stored/.test(w));
    assert.ok(warns.length >= 11, warns.length);
    assert.ok(warns.every((w) => w.length <= 1000));
    assert.strictEqual(lastStatus(t).fill, 'green');
  });

  it('closing with the model unstored: one last try, an error saying it was lost and why, closed quickly', async function () {
    await startRuntime(modules, flow(), settings);
    const t = helper.getNode('t');
    Object.assign(trainRun.STORE_RETRY, { firstMs: 5000, maxMs: 5000 });
    failingStore.control.failSet = true;
    t.receive({ payload: dataset() });
    await until(() => / retry in /.test((lastStatus(t) || {}).text || ''), 60000, 'a retry status');
    const sets = failingStore.control.sets;
    const errors = errorLog(t);
    const t0 = Date.now();
    await stopRuntime();
    const took = Date.now() - t0;
    assert.ok(took < 3000, `close took ${took} ms`);
    assert.strictEqual(failingStore.control.sets, sets + 1, 'one last try on close');
    const lost = errors().filter((e) => /lost/.test(e));
    assert.strictEqual(lost.length, 1, errors().join('\n'));
    assert.match(lost[0], /model 'co2' v1 .*lost.*store write failed \(test\)/);
    await sleep(300);
    assert.strictEqual(failingStore.control.sets, sets + 1, 'no write after the close');
  });

  it('closing with the model unstored and the store recovered: the last try stores it', async function () {
    await startRuntime(modules, flow(), settings);
    const t = helper.getNode('t');
    Object.assign(trainRun.STORE_RETRY, { firstMs: 5000, maxMs: 5000 });
    failingStore.control.failSet = true;
    t.receive({ payload: dataset() });
    await until(() => / retry in /.test((lastStatus(t) || {}).text || ''), 60000, 'a retry status');
    failingStore.control.failSet = false;
    const errors = errorLog(t);
    const t0 = Date.now();
    await stopRuntime();
    assert.ok(Date.now() - t0 < 3000);
    assert.strictEqual(failingStore.peek('f1', 'co2').version, 1);
    assert.deepStrictEqual(
      errors().filter((e) => /lost/.test(e)),
      [],
    );
  });

  it("overlap 'reject' while a model waits to be stored: BUSY says the model is kept until stored, not 'send msg.stop'", async function () {
    const f = flow();
    f[1].overlap = 'reject';
    await startRuntime(modules, f, settings);
    const t = helper.getNode('t');
    failingStore.control.failSet = true;
    t.receive({ payload: dataset() });
    await until(() => / retry in /.test((lastStatus(t) || {}).text || ''), 60000, 'a retry status');
    const errors = [];
    t.on('call:error', (call) => errors.push(String(call.args[0])));
    t.receive({ payload: dataset() });
    await until(() => errors.some((e) => /BUSY|rejected/.test(e)), 10000, 'a BUSY error');
    const busy = errors.find((e) => /rejected/.test(e));
    assert.match(busy, /a trained model is waiting to be stored/i);
    assert.doesNotMatch(busy, /msg\.stop/);
    failingStore.control.failSet = false;
  });
});
