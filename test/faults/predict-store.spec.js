'use strict';
// lstm-predict against a real context store that fails on demand: bounded store
// reads (refresh), forecasts from the cached model through a store outage, a
// bounded model cache (maxModels, evicted models disposed), bounded texts.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, nextMessage, expectError, lastStatus } = require('../helpers/runtime');
const { tf } = require('../../nodes/core/base/backend');
const { flakyStore, tinyArtifact, renamed, windowMessage } = require('./predict-fixtures');

const predictNode = require('../../nodes/lstm-predict.js');
const LONG = 'M'.repeat(80);

const flow = [
  { id: 'tab', type: 'tab', label: 'faults' },
  { id: 'p', type: 'lstm-predict', model: 'tiny', store: 'flaky', refresh: 60000, wires: [['out']] },
  { id: 'q', type: 'lstm-predict', model: 'tiny', store: 'flaky', refresh: 50, wires: [['out']] },
  { id: 'm', type: 'lstm-predict', model: 'tiny', store: 'flaky', refresh: 60000, maxModels: 2, wires: [['out']] },
  { id: 'long', type: 'lstm-predict', model: LONG, store: 'flaky', wires: [['out']] },
  { id: 'out', type: 'helper' },
].map((n) => (n.type === 'tab' ? n : { z: 'tab', ...n }));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const callsOf = (node, method) => node[method].getCalls().filter((c) => c.thisValue === node);

async function forecast(node, msg = {}) {
  const m = nextMessage(helper.getNode('out'));
  node.receive({ payload: windowMessage(), ...msg });
  return m;
}

describe('faults: lstm-predict and its context store', function () {
  this.timeout(60000);
  let store;
  let artifact;
  before(async function () {
    artifact = await tinyArtifact();
    store = flakyStore();
    store.put('tab', 'tiny', renamed(artifact, 'tiny'));
    for (let i = 0; i < 6; i++) store.put('tab', `m${i}`, renamed(artifact, `m${i}`));
    await startRuntime([predictNode], flow, {
      contextStorage: { default: { module: 'memory' }, flaky: { module: store.module } },
    });
    await sleep(50);
  });
  after(async function () {
    await stopRuntime();
  });
  afterEach(function () {
    store.state.failGet = false;
  });

  it('reads the stored model at most once per refresh period, not on every message', async function () {
    const p = helper.getNode('p');
    const before = store.reads('tiny');
    for (let i = 0; i < 20; i++) await forecast(p);
    assert.ok(store.reads('tiny') - before <= 1, `${store.reads('tiny') - before} store reads for 20 forecasts`);
  });

  it('forecasts with the cached model while the store fails, says so once per outage, and recovers', async function () {
    const q = helper.getNode('q');
    const v = (await forecast(q)).payload.version;
    const warnings = () => callsOf(q, 'warn').filter((c) => /cached model/.test(String(c.args[0]))).length;
    store.state.failGet = true;
    await sleep(80);
    for (let i = 0; i < 5; i++) {
      const m = await forecast(q);
      assert.strictEqual(m.payload.version, v);
      await sleep(60);
    }
    const st = lastStatus(q);
    assert.strictEqual(st.fill, 'yellow', JSON.stringify(st));
    assert.ok(st.text.length <= 40, st.text);
    assert.strictEqual(warnings(), 1, 'one warning for the outage');
    assert.match(String(callsOf(q, 'warn').pop().args[0]), /store unreachable \(injected fault\)/);
    store.state.failGet = false;
    await sleep(60);
    await forecast(q);
    assert.strictEqual(lastStatus(q).fill, 'green');
    store.state.failGet = true;
    await sleep(60);
    await forecast(q);
    assert.strictEqual(warnings(), 2, 'a second outage warns again');
  });

  it('still refuses with a store error when no model is cached', async function () {
    store.state.failGet = true;
    const err = await expectError(helper.getNode('p'), { payload: windowMessage(), model: 'never-loaded' });
    assert.match(String(err), /could not read model 'never-loaded'.*injected fault/);
    assert.strictEqual(lastStatus(helper.getNode('p')).fill, 'red');
  });

  it('keeps at most maxModels live models, disposing the evicted ones (tensor count bounded)', async function () {
    const m = helper.getNode('m');
    await forecast(m, { model: 'm0' });
    await forecast(m, { model: 'm1' });
    const two = tf().memory().numTensors;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6; i++) {
        const out = await forecast(m, { model: `m${i}` });
        assert.strictEqual(out.payload.model, `m${i}`);
      }
    }
    assert.ok(tf().memory().numTensors <= two, `${tf().memory().numTensors} tensors, ${two} with two models`);
    // the most recently used stays cached: no further store read within the refresh period
    const reads = store.reads('m5');
    await forecast(m, { model: 'm5' });
    assert.strictEqual(store.reads('m5'), reads);
  });

  it('bounds status and error texts (long model names, huge feature names, BigInt)', async function () {
    const long = helper.getNode('long');
    const st = lastStatus(long);
    assert.ok(st && st.text.length <= 40, `status of ${st && st.text.length} chars: ${st && st.text}`);
    const p = helper.getNode('p');
    const cases = [
      { payload: { ...windowMessage(), features: ['x'.repeat(1e6)] } },
      { payload: windowMessage(), model: '\u{1F600}'.repeat(5000) },
      { payload: windowMessage(), model: { name: 'é'.repeat(1e6) } },
      { payload: { type: 'window', inputs: [['y'.repeat(1e6)]] } },
      { payload: windowMessage(), model: 10n },
    ];
    for (const msg of cases) {
      const err = await expectError(p, msg);
      assert.ok(err.message.length <= 1001, `error text of ${err.message.length} chars`);
      assert.doesNotMatch(err.message, /serialize a BigInt/);
      const s = lastStatus(p);
      assert.strictEqual(s.fill, 'red');
      assert.ok(s.text.length <= 40, `status of ${s.text.length} chars`);
    }
    const err = await expectError(p, { payload: windowMessage(), model: 10n });
    assert.match(err.message, /expected a model name .*got bigint/);
  });
});
