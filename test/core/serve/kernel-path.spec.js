'use strict';
// Forecaster.predict takes the fused wasm kernel for stored 'lstm', 'attention' and 'gca' artifacts and tfjs
// otherwise; both paths give the same forecasts (and attention weights) on the same artifact.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { co2Dataset } = require('../../helpers/co2-fixture');

const data = co2Dataset(12, 3, 120);

/** Runs `fn` with LSTM_FORECAST_KERNEL set to `value` (undefined: unset), restoring it after. */
function withKernelEnv(value, fn) {
  const before = process.env.LSTM_FORECAST_KERNEL;
  if (value === undefined) delete process.env.LSTM_FORECAST_KERNEL;
  else process.env.LSTM_FORECAST_KERNEL = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.LSTM_FORECAST_KERNEL;
    else process.env.LSTM_FORECAST_KERNEL = before;
  }
}

describe('core/serve/forecaster: the kernel path', function () {
  this.timeout(120000);
  const artifacts = {};

  before(async () => {
    await initBackend();
    for (const [name, model] of [
      ['lstm1', { units: 8, seed: 3 }],
      ['lstm2', { units: 6, layers: 2, seed: 4 }],
      ['attention', { type: 'attention', units: 6, seed: 5 }],
      ['gca', { type: 'gca', units: 6, attentionUnits: 5, iterations: 3, seed: 6 }],
    ]) {
      ({ artifact: artifacts[name] } = await trainForecaster(data, model, { epochs: 2, batchSize: 32, name }));
    }
  });

  for (const name of ['lstm1', 'lstm2']) {
    it(`forecasts a stored ${name === 'lstm1' ? 'one' : 'two'}-layer lstm artifact through the kernel, as tfjs does`, () => {
      const fc = Forecaster.fromArtifact(artifacts[name]);
      try {
        const windows = data.inputs.slice(-20);
        const tensors = tf().memory().numTensors;
        const kernel = withKernelEnv(undefined, () => {
          assert.strictEqual(fc.path, 'kernel');
          return fc.predict(windows).forecast;
        });
        assert.strictEqual(tf().memory().numTensors, tensors, 'the kernel path makes no tensors');
        const tfjs = withKernelEnv('tfjs', () => {
          assert.strictEqual(fc.path, 'tfjs');
          return fc.predict(windows).forecast;
        });
        assert.strictEqual(kernel.length, 20);
        // 1e-5 on scaled values is 1e-5 x the target's std in real units
        const tol = 1e-5 * artifacts[name].scaler.std[0] + 1e-9;
        kernel.forEach((row, i) =>
          row.forEach((v, j) =>
            assert.ok(Math.abs(v - tfjs[i][j]) <= tol, `window ${i} step ${j}: ${v} vs ${tfjs[i][j]}`),
          ),
        );
      } finally {
        fc.dispose();
      }
    });
  }

  for (const [name, N] of [
    ['attention', 1],
    ['gca', 3],
  ]) {
    it(`forecasts a stored ${name} artifact through the kernel encoder, forecasts and attention as tfjs does`, () => {
      const fc = Forecaster.fromArtifact(artifacts[name]);
      try {
        const windows = data.inputs.slice(-20);
        const tensors = tf().memory().numTensors;
        const kernel = withKernelEnv(undefined, () => {
          assert.strictEqual(fc.path, 'kernel');
          return fc.predict(windows);
        });
        assert.strictEqual(tf().memory().numTensors, tensors, 'the kernel path makes no tensors');
        const tfjs = withKernelEnv('tfjs', () => {
          assert.strictEqual(fc.path, 'tfjs');
          return fc.predict(windows);
        });
        assert.strictEqual(kernel.forecast.length, 20);
        const tol = 1e-5 * artifacts[name].scaler.std[0] + 1e-9;
        kernel.forecast.forEach((row, i) =>
          row.forEach((v, j) =>
            assert.ok(
              Math.abs(v - tfjs.forecast[i][j]) <= tol,
              `window ${i} step ${j}: ${v} vs ${tfjs.forecast[i][j]}`,
            ),
          ),
        );
        const L = artifacts[name].spec.window;
        assert.strictEqual(kernel.attention.length, 20);
        kernel.attention.forEach((w, i) => {
          assert.strictEqual(w.length, N);
          w.forEach((row, n) => {
            assert.strictEqual(row.length, L);
            row.forEach((a, t) =>
              assert.ok(
                Math.abs(a - tfjs.attention[i][n][t]) <= 1e-5,
                `window ${i} iteration ${n} step ${t}: ${a} vs ${tfjs.attention[i][n][t]}`,
              ),
            );
          });
        });
      } finally {
        fc.dispose();
      }
    });
  }

  it('forecasts a stored gca artifact with feature attention on two features: the feature map as tfjs gives it', async () => {
    // co2 and the month's place in the year, so the feature attention has two features to weigh
    const two = {
      ...data,
      features: ['co2', 'season'],
      inputs: data.inputs.map((w, i) => w.map((r, t) => [r[0], Math.sin(((i + t) * Math.PI) / 6)])),
    };
    const model = { type: 'gca', units: 5, attentionUnits: 4, iterations: 2, featureAttention: true, seed: 7 };
    const { artifact } = await trainForecaster(two, model, { epochs: 1, batchSize: 32, name: 'gcafa' });
    const fc = Forecaster.fromArtifact(artifact);
    try {
      const windows = two.inputs.slice(-9);
      const kernel = withKernelEnv(undefined, () => {
        assert.strictEqual(fc.path, 'kernel');
        return fc.predict(windows);
      });
      const tfjs = withKernelEnv('tfjs', () => fc.predict(windows));
      const tol = 1e-5 * artifact.scaler.std[0] + 1e-9;
      kernel.forecast
        .flat()
        .forEach((v, i) => assert.ok(Math.abs(v - tfjs.forecast.flat()[i]) <= tol, `forecast ${i}`));
      const flat = (x) => x.flat(3);
      assert.strictEqual(flat(kernel.featureAttention).length, 9 * 2 * 12 * 2);
      for (const what of ['attention', 'featureAttention']) {
        const [a, b] = [flat(kernel[what]), flat(tfjs[what])];
        assert.strictEqual(a.length, b.length, what);
        a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5, `${what} ${i}: ${v} vs ${b[i]}`));
      }
    } finally {
      fc.dispose();
    }
  });

  it('leaves a gca artifact whose topology it does not know to tfjs', () => {
    const a = JSON.parse(JSON.stringify(artifacts.gca));
    a.topology.config.layers.find((l) => l.class_name === 'GcaAttention').config.dropout = 0.1;
    const fc = Forecaster.fromArtifact(a);
    try {
      assert.strictEqual(fc.path, 'tfjs');
      assert.strictEqual(fc.predict(data.inputs.slice(-2)).attention.length, 2);
    } finally {
      fc.dispose();
    }
  });

  it('keeps refusing bad windows and a disposed model on the kernel path', () => {
    const fc = Forecaster.fromArtifact(artifacts.lstm1);
    assert.strictEqual(fc.path, 'kernel');
    const bad = data.inputs.slice(-1).map((w) => w.map((r) => r.slice()));
    bad[0][3][0] = NaN;
    assert.throws(
      () => fc.predict(bad),
      (e) => e.code === 'BAD_INPUT',
    );
    fc.dispose();
    assert.strictEqual(fc.path, 'tfjs');
    assert.throws(
      () => fc.predict(data.inputs.slice(-1)),
      (e) => e.code === 'NO_MODEL',
    );
  });
});
