'use strict';
// core/serve/batcher: the windows of many submissions for one model go in one
// predict call, each submission gets its own slice or its own error, models batch
// apart, a full batch goes at once, and a close settles everything waiting.
const assert = require('assert');
const { initBackend } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { encodeFloat32, decodeFloat32 } = require('../../../nodes/core/model/artifact');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { PredictBatcher } = require('../../../nodes/core/serve/batcher');
const { co2Dataset } = require('../../helpers/co2-fixture');

const data = co2Dataset(12, 3, 120);
const clone = (x) => JSON.parse(JSON.stringify(x));

describe('core/serve/batcher', function () {
  this.timeout(120000);
  let artifact;
  const live = [];
  const forecaster = (a = artifact) => {
    const f = Forecaster.fromArtifact(a);
    live.push(f);
    return f;
  };
  before(async () => {
    await initBackend();
    ({ artifact } = await trainForecaster(data, { units: 6, seed: 1 }, { epochs: 1, batchSize: 32, name: 'co2' }));
  });
  after(() => live.forEach((f) => f.dispose()));

  it('forecasts what arrives in one tick in one call, each its own slice, equal to alone', async () => {
    const f = forecaster();
    const b = new PredictBatcher({ wait: 0, maxWindows: 256 });
    const subs = [[data.inputs[0]], data.inputs.slice(1, 4), [data.inputs[4]]];
    const results = await Promise.all(subs.map((w) => b.submit(f, w)));
    results.forEach((r, i) => {
      assert.strictEqual(r.messages, 3);
      assert.strictEqual(r.windows, 5);
      assert.deepStrictEqual(r.prediction.forecast, f.predict(subs[i]).forecast);
    });
    assert.strictEqual(b.waiting, 0);
  });

  it('batches per model, and sends a full batch at once (never more than maxWindows by joining)', async () => {
    const f = forecaster();
    const g = forecaster();
    const b = new PredictBatcher({ wait: 30, maxWindows: 4 });
    const ws = data.inputs.slice(0, 6);
    const got = [];
    const ps = ws.map((w, i) => b.submit(i % 2 ? g : f, [w]).then((r) => got.push([i, r.messages])));
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(got, [], 'three windows a model, under 4: all wait for the timer');
    // f holds 3 windows; two more would be 5 > 4: its batch of 3 goes now and the pair starts the next.
    ps.push(b.submit(f, ws.slice(0, 2)).then((r) => got.push(['pair', r.messages])));
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(
      got.map(([i]) => i),
      [0, 2, 4],
      "f's batch only",
    );
    await Promise.all(ps);
    const byKey = Object.fromEntries(got);
    assert.deepStrictEqual([byKey[0], byKey[2], byKey[4], byKey.pair], [3, 3, 3, 1]);
    assert.deepStrictEqual([byKey[1], byKey[3], byKey[5]], [3, 3, 3]);
  });

  it('a bad window or a non-finite output fails its own submission only', async () => {
    // Huge highway weights: a window that varies overflows, a flat one (all zeros scaled) does not.
    const a = clone(artifact);
    const head = a.weights.findIndex((w) => /^highway_dense\/kernel/.test(w.name));
    a.weights[head].data = encodeFloat32(decodeFloat32(a.weights[head].data).map(() => 3e38));
    const f = forecaster(a);
    const flat = data.inputs[0].map(() => [data.inputs[0][11][0]]);
    const bad = data.inputs[1].map((r) => r.slice());
    bad[2][0] = NaN;
    const b = new PredictBatcher({ wait: 0, maxWindows: 256 });
    const settled = await Promise.allSettled([
      b.submit(f, [flat]),
      b.submit(f, [data.inputs[0]]),
      b.submit(f, [bad]),
      b.submit(f, [flat]),
    ]);
    assert.deepStrictEqual(
      settled.map((s) => (s.status === 'fulfilled' ? 'ok' : s.reason.code)),
      ['ok', 'NOT_FINITE', 'BAD_INPUT', 'ok'],
    );
    assert.ok(settled[0].value.prediction.forecast[0].every(Number.isFinite));
    assert.match(settled[2].reason.message, /got NaN at row 2, feature co2/);
  });

  it('close rejects everything waiting and every later submission; a disposed model fails its batch', async () => {
    const f = forecaster();
    const b = new PredictBatcher({ wait: 50, maxWindows: 256 });
    const waiting = [b.submit(f, [data.inputs[0]]), b.submit(f, [data.inputs[1]])];
    assert.strictEqual(b.waiting, 2);
    const started = Date.now();
    b.close(new Error('closed'));
    for (const p of waiting) await assert.rejects(p, /closed/);
    await assert.rejects(b.submit(f, [data.inputs[0]]), /closed/);
    assert.ok(Date.now() - started < 40, 'not after the wait');
    assert.strictEqual(b.waiting, 0);
    const g = Forecaster.fromArtifact(artifact);
    const c = new PredictBatcher({ wait: 0, maxWindows: 256 });
    const p = c.submit(g, [data.inputs[0]]);
    g.dispose();
    await assert.rejects(p, (e) => e.code === 'NO_MODEL');
  });
});
