'use strict';
// The 'lstm', 'attention' and 'gca' types train through the fused kernel (src/core/train/kernel-epochs.ts): reproducible, close
// to what tfjs training reaches, the artifact unchanged in format (plain tfjs forecasts it), and
// LSTM_FORECAST_KERNEL=tfjs trains with tfjs.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { co2Dataset } = require('../../helpers/co2-fixture');

const data = co2Dataset(12, 3, 160);

async function trainWith(env, model, opts) {
  const before = process.env.LSTM_FORECAST_KERNEL;
  if (env === undefined) delete process.env.LSTM_FORECAST_KERNEL;
  else process.env.LSTM_FORECAST_KERNEL = env;
  try {
    const tensors = tf().memory().numTensors;
    const r = await trainForecaster(data, model, { epochs: 6, batchSize: 16, patience: 10, name: 'k', ...opts });
    assert.strictEqual(tf().memory().numTensors, tensors, 'no tensor left behind');
    return r.artifact;
  } finally {
    if (before === undefined) delete process.env.LSTM_FORECAST_KERNEL;
    else process.env.LSTM_FORECAST_KERNEL = before;
  }
}

const weightsOf = (a) => a.weights.map((w) => w.data);

describe('core/train: the lstm, attention and gca types train through the kernel', function () {
  this.timeout(120000);
  before(async () => {
    await initBackend();
  });

  for (const [what, model] of [
    ['one layer, no highway', { units: 8, seed: 3, highway: false }],
    ['two layers, the frozen highway', { units: 6, layers: 2, seed: 4 }],
    ['attention, the frozen highway', { type: 'attention', units: 6, attentionUnits: 4, seed: 5 }],
    ['attention, no highway', { type: 'attention', units: 5, attentionUnits: 3, seed: 6, highway: false }],
    ['gca, N = 2, the frozen highway', { type: 'gca', units: 5, attentionUnits: 3, iterations: 2, seed: 7 }],
    ['gca, N = 1, no highway', { type: 'gca', units: 4, attentionUnits: 3, iterations: 1, seed: 8, highway: false }],
  ]) {
    it(`${what}: one seed gives the same model twice, near what tfjs training reaches`, async () => {
      const a = await trainWith(undefined, model);
      const b = await trainWith(undefined, model);
      const t = await trainWith('tfjs', model);
      assert.deepStrictEqual(
        a.report.history.map((h) => h.valLoss),
        b.report.history.map((h) => h.valLoss),
      );
      assert.deepStrictEqual(weightsOf(a), weightsOf(b));
      assert.ok(weightsOf(a)[0].length > 0, 'weights read');
      assert.strictEqual(a.report.history.length, t.report.history.length, 'the same epochs and early stopping');
      // the kernel really trained: float order differs from tfjs's, so the losses are close, not equal
      const ka = a.report.history.map((h) => h.loss);
      const ta = t.report.history.map((h) => h.loss);
      assert.notDeepStrictEqual(ka, ta, 'kernel and tfjs losses differ in the last digits');
      ka.forEach((l, i) => assert.ok(Math.abs(l - ta[i]) <= 0.05 * ta[i] + 1e-6, `epoch ${i + 1}: ${l} vs ${ta[i]}`));
      const kv = Math.min(...a.report.history.map((h) => h.valLoss));
      const tv = Math.min(...t.report.history.map((h) => h.valLoss));
      assert.ok(Math.abs(kv - tv) <= 0.1 * tv, `best validation loss: kernel ${kv}, tfjs ${tv}`);
      // the artifact loads in plain tfjs and forecasts what the kernel forecasts
      const fc = Forecaster.fromArtifact(a);
      try {
        const windows = data.inputs.slice(-5);
        const viaKernel = fc.predict(windows);
        assert.strictEqual(fc.path, 'kernel');
        process.env.LSTM_FORECAST_KERNEL = 'tfjs';
        let viaTfjs;
        try {
          assert.strictEqual(fc.path, 'tfjs');
          viaTfjs = fc.predict(windows);
        } finally {
          delete process.env.LSTM_FORECAST_KERNEL;
        }
        const tol = 1e-5 * a.scaler.std[0] + 1e-9;
        viaKernel.forecast.forEach((row, i) =>
          row.forEach((v, j) => assert.ok(Math.abs(v - viaTfjs.forecast[i][j]) <= tol, `${i}, ${j}`)),
        );
        const attends = model.type === 'attention' || model.type === 'gca';
        assert.strictEqual(!!viaKernel.attention, attends);
        if (attends) {
          viaKernel.attention.forEach((w, i) =>
            w[0].forEach((v, t) => assert.ok(Math.abs(v - viaTfjs.attention[i][0][t]) <= 1e-5, `${i}, ${t}`)),
          );
        }
      } finally {
        fc.dispose();
      }
    });
  }
});
