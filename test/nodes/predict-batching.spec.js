'use strict';
// lstm-predict's batching through the real Node-RED runtime: many window messages
// sent in one tick are forecast in one call (the status says how many), and every
// output, anomaly bookkeeping included, equals what the node sends when each
// message is forecast alone (maxBatch 1); a bad window fails its own message only;
// a close completes every waiting message with an error.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, collect, lastStatus } = require('../helpers/runtime');
const { initBackend } = require('../../nodes/core/base/backend');
const { trainForecaster } = require('../../nodes/core/train/trainer');
const { co2Dataset, co2Series } = require('../helpers/co2-fixture');

const nodes = [require('../../nodes/lstm-predict.js')];
const T0 = Date.UTC(2024, 0, 1);
const STEP = 3600000;
const L = 12;
const co2 = co2Series().map((r) => r.co2);

let run = 0;
/** Two predict nodes (a: `a` props, b: `b` props), each into its own helper. */
function flow(a, b) {
  run++;
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'batching' },
    { id: `a${run}`, type: 'lstm-predict', z, model: 'm', ...a, wires: [[`fa${run}`], [`xa${run}`]] },
    { id: `b${run}`, type: 'lstm-predict', z, model: 'm', ...b, wires: [[`fb${run}`], [`xb${run}`]] },
    { id: `fa${run}`, type: 'helper', z },
    { id: `xa${run}`, type: 'helper', z },
    { id: `fb${run}`, type: 'helper', z },
    { id: `xb${run}`, type: 'helper', z },
  ];
}

/** The window ending before reading o of the co2 series, as the windower sends it (hourly times). */
function windowAt(o, value = (i) => co2[i]) {
  const rows = [];
  const timestamps = [];
  for (let i = o - L; i < o; i++) {
    rows.push([value(i)]);
    timestamps.push(T0 + i * STEP);
  }
  return { type: 'window', series: 'co2', features: ['co2'], target: 'co2', step: STEP, inputs: rows, timestamps };
}

/**
 * 4 streams (topics) x 8 consecutive windows, interleaved: each later window brings readings the earlier
 * forecasts of its stream covered, so the anomaly scores and the adapted levels depend on the order.
 */
function fleet() {
  const msgs = [];
  for (let k = 0; k < 8; k++) {
    for (let s = 0; s < 4; s++) {
      // A spike on stream 2 at one reading, so some messages are anomalous.
      const value = (i) => co2[i + 7 * s] + (s === 2 && i === 24 ? 40 : 0);
      msgs.push({ topic: `site-${s}`, payload: windowAt(20 + k, value) });
    }
  }
  return msgs;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what, ms = 20000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const strip = (m) => {
  const { _msgid, ...rest } = m;
  return rest;
};
/** Every status a node set (the helper spies on the prototype: keep this node's). */
const statuses = (node) =>
  node.status
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => c.args[0]);

describe('lstm-predict: batching', function () {
  this.timeout(120000);
  const artifacts = {};
  before(async () => {
    await initBackend();
    const data = co2Dataset(L, 3, 200);
    for (const [name, model] of [
      ['lstm', { units: 8, seed: 1 }],
      ['attention', { type: 'attention', units: 6, seed: 2 }],
      ['gca', { type: 'gca', units: 6, attentionUnits: 4, seed: 3 }],
    ]) {
      const { artifact } = await trainForecaster(data, model, { epochs: 2, batchSize: 32, name: 'm' });
      artifacts[name] = JSON.parse(JSON.stringify(artifact));
    }
  });
  afterEach(async () => {
    await stopRuntime();
  });

  async function start(a, b, artifact) {
    await startRuntime(nodes, flow(a, b));
    const ctx = {};
    for (const side of ['a', 'b']) {
      const n = helper.getNode(`${side}${run}`);
      n.context().flow.set('m', artifact);
      ctx[side] = n;
      ctx[`f${side}`] = collect(helper.getNode(`f${side}${run}`));
      ctx[`x${side}`] = collect(helper.getNode(`x${side}${run}`));
      ctx[`e${side}`] = [];
      n.on('call:error', (call) => ctx[`e${side}`].push(call.args[0]));
    }
    return ctx;
  }

  /** Sends msgs to a node in one synchronous loop (one tick) and waits for `expect` outputs. */
  async function burst(node, msgs, out, expect = msgs.length) {
    const before = out.length;
    for (const m of msgs) node.receive(JSON.parse(JSON.stringify(m)));
    await until(() => out.length >= before + expect, `${expect} forecasts`);
  }

  for (const [type, exact] of [
    ['lstm', true],
    ['attention', true],
    ['attention', false],
    ['gca', true],
    ['gca', false],
  ]) {
    it(`${type} (${exact ? 'kernel' : 'tfjs'}): 32 windows in one tick go in one call, each output as if sent alone`, async function () {
      // the tfjs case: LSTM_FORECAST_KERNEL=tfjs, read at each forecast, restored after
      const env = process.env.LSTM_FORECAST_KERNEL;
      if (!exact) process.env.LSTM_FORECAST_KERNEL = 'tfjs';
      try {
        await batchedAsAlone(type, exact);
      } finally {
        if (env === undefined) delete process.env.LSTM_FORECAST_KERNEL;
        else process.env.LSTM_FORECAST_KERNEL = env;
      }
    });
  }

  /** 32 windows through a batching node (b) and one at a time (a): the same messages. */
  async function batchedAsAlone(type, exact) {
    const ctx = await start({ maxBatch: 1, adaptRate: 0.005 }, { adaptRate: 0.005 }, artifacts[type]);
    const msgs = fleet();
    await burst(ctx.a, msgs, ctx.fa);
    await burst(ctx.b, msgs, ctx.fb);
    assert.deepStrictEqual(ctx.ea, []);
    assert.deepStrictEqual(ctx.eb, []);
    // Batched: one call for all 32 (the status a user sees says so); alone: no count.
    assert.match(lastStatus(ctx.b).text, /^v1 · [\d.]+ ms ×32$/);
    assert.ok(lastStatus(ctx.b).text.length < 20, lastStatus(ctx.b).text);
    assert.match(lastStatus(ctx.a).text, /^v1 · [\d.]+ ms$/);
    // The 32 messages of the batch share one status: set once, not once per message (each is an editor event).
    const batchStatuses = helper._NodePrototype.status
      .getCalls()
      .filter((c) => c.thisValue === ctx.b && / ×32$/.test(c.args[0] && c.args[0].text));
    assert.strictEqual(batchStatuses.length, 1, batchStatuses.map((c) => c.args[0].text).join(', '));
    assert.strictEqual(ctx.fb.length, 32);
    assert.ok(ctx.fb.filter((m) => m.anomaly).length >= 20, 'later windows are scored');
    assert.ok(ctx.xb.length >= 1, 'the spike is anomalous');
    assert.strictEqual(ctx.xb.length, ctx.xa.length);
    if (exact) {
      // Same kernel computation per window: bitwise the same messages, scores and adapted bands included.
      assert.deepStrictEqual(ctx.fb.map(strip), ctx.fa.map(strip));
      assert.deepStrictEqual(ctx.xb.map(strip), ctx.xa.map(strip));
    } else {
      // One model.predict for 32 windows vs 32 of one: float32 sums may round differently.
      const close = (x, y, at) => {
        if (typeof x === 'number') {
          assert.ok(Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)), `${at}: ${x} vs ${y}`);
        } else if (x && typeof x === 'object') {
          assert.deepStrictEqual(Object.keys(x).sort(), Object.keys(y).sort(), at);
          for (const k of Object.keys(x)) close(x[k], y[k], `${at}.${k}`);
        } else assert.strictEqual(x, y, at);
      };
      ctx.fb.forEach((m, i) => close(strip(m), strip(ctx.fa[i]), `message ${i}`));
    }
    if (type !== 'lstm') assert.ok(ctx.fb[0].payload.attention, 'attention comes along');
    // Arrival order kept per stream and overall.
    assert.deepStrictEqual(
      ctx.fb.map((m) => `${m.topic} ${m.payload.origin}`),
      msgs.map((m) => `${m.topic} ${m.payload.timestamps[L - 1]}`),
    );
  }

  it('a bad window fails its own message only (done(err), red status); the rest of the batch is forecast', async function () {
    const ctx = await start({ maxBatch: 1 }, { batchWait: 20 }, artifacts.lstm);
    const msgs = [];
    for (let k = 0; k < 10; k++) msgs.push({ topic: 't', payload: windowAt(20 + k) });
    const bad = JSON.parse(JSON.stringify(msgs));
    bad[3].payload.inputs[5][0] = 'x';
    bad[6].payload.inputs = bad[6].payload.inputs.slice(1);
    bad[6].payload.timestamps = bad[6].payload.timestamps.slice(1);
    await burst(ctx.a, msgs, ctx.fa);
    await burst(ctx.b, bad, ctx.fb, 8);
    await until(() => ctx.eb.length === 2, 'two errors');
    assert.match(String(ctx.eb[0].message ?? ctx.eb[0]), /row 5, feature co2/);
    assert.match(String(ctx.eb[1].message ?? ctx.eb[1]), /expected a window of 12 rows/);
    assert.ok(
      statuses(ctx.b).some((s) => s.fill === 'red'),
      'a red status for the bad ones',
    );
    assert.ok(
      statuses(ctx.b).some((s) => s.fill === 'green' && / ×8$/.test(s.text)),
      'the 8 good ones in one call',
    );
    const good = ctx.fa.filter((_, i) => i !== 3 && i !== 6);
    assert.deepStrictEqual(
      ctx.fb.map((m) => m.payload.forecast),
      good.map((m) => m.payload.forecast),
    );
  });

  it('a close completes every message waiting in a batch with an error saying so, at once', async function () {
    const ctx = await start({}, { batchWait: 50 }, artifacts.lstm);
    // A model loaded first, so the burst waits in the batch rather than for the store.
    await burst(ctx.b, [{ payload: windowAt(20) }], ctx.fb);
    for (let k = 0; k < 20; k++) ctx.b.receive({ payload: windowAt(20 + k) });
    await sleep(5);
    const started = Date.now();
    await stopRuntime();
    await until(() => ctx.eb.length === 20, 'an error per waiting message', 2000);
    assert.ok(Date.now() - started < 2000);
    for (const e of ctx.eb) assert.match(String(e.message ?? e), /closed .* before this message was forecast/);
    assert.strictEqual(ctx.fb.length, 1, 'nothing forecast after the close');
    await startRuntime(nodes, flow({}, {}));
  });
});
