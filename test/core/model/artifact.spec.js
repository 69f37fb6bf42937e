'use strict';
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const {
  validateArtifact,
  loadServeModel,
  disposeModels,
  decodeFloat32,
} = require('../../../nodes/core/model/artifact');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { co2Dataset } = require('../../helpers/co2-fixture');

// A tiny seeded model on a short CO2 slice: 12-month windows, 3-step horizon.
const data = co2Dataset(12, 3, 120);
const clone = (x) => JSON.parse(JSON.stringify(x));
const isBad = (re) => (e) => e.code === 'BAD_ARTIFACT' && re.test(e.message);

describe('core/artifact and core/forecaster', function () {
  this.timeout(120000);
  let artifact;

  before(async () => {
    await initBackend();
    ({ artifact } = await trainForecaster(data, { units: 8, seed: 3 }, { epochs: 2, batchSize: 32, name: 'co2' }));
  });

  it('stores a complete, JSON-safe artifact', () => {
    assert.strictEqual(artifact.format, 'lstm-forecast-model');
    assert.strictEqual(artifact.formatVersion, 1);
    assert.strictEqual(artifact.version, 1);
    assert.deepStrictEqual(artifact.spec, {
      window: 12,
      horizon: 3,
      features: ['co2'],
      target: 'co2',
      targetIndex: 0,
      step: data.step,
      series: 'co2',
    });
    assert.ok(artifact.weights.length > 0 && artifact.weights.every((w) => w.dtype === 'float32'));
    assert.strictEqual(typeof artifact.topology, 'object');
    const text = JSON.stringify(artifact);
    assert.ok(!/NaN|Infinity/.test(text.replace(/"data":"[^"]*"/g, '')));
    assert.deepStrictEqual(JSON.parse(text), artifact);
    assert.ok(!Number.isNaN(Date.parse(artifact.createdAt)));
    // scaler fitted on the training windows only: the mean lies below the mean of all windows (CO2 rises)
    const allMean = data.inputs.flat(2).reduce((a, b) => a + b, 0) / data.inputs.flat(2).length;
    assert.ok(artifact.scaler.mean[0] < allMean, `${artifact.scaler.mean[0]} < ${allMean}`);
  });

  it('gives identical predictions after a JSON round trip, by both load paths', async () => {
    const windows = data.inputs.slice(-5);
    const a = Forecaster.fromArtifact(artifact);
    const b = Forecaster.fromArtifact(clone(artifact));
    const c = await Forecaster.load(clone(artifact));
    try {
      const pa = a.predict(windows).forecast;
      assert.strictEqual(pa.length, 5);
      assert.strictEqual(pa[0].length, 3);
      assert.ok(
        pa.flat().every((v) => v > 300 && v < 450),
        `CO2 forecasts in ppm: ${pa[0]}`,
      );
      assert.deepStrictEqual(b.predict(windows).forecast, pa);
      assert.deepStrictEqual(c.predict(windows).forecast, pa);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  it('loadServeModel rebuilds from the stored topology with the stored weights', async () => {
    // the topology itself must deserialise (loadServeModel would otherwise fall back silently)
    const fromTopology = await tf().models.modelFromJSON(clone(artifact.topology));
    assert.deepStrictEqual(fromTopology.outputs[0].shape, [null, 3]);
    disposeModels(fromTopology);
    const model = await loadServeModel(clone(artifact));
    try {
      const w = model.getWeights();
      assert.strictEqual(w.length, artifact.weights.length);
      assert.deepStrictEqual(Array.from(w[0].dataSync()), Array.from(decodeFloat32(artifact.weights[0].data)));
    } finally {
      disposeModels(model);
    }
  });

  it('validateArtifact rejects corrupt artifacts with a clear message', () => {
    assert.throws(() => validateArtifact(null), isBad(/expected a model artifact object, got null/));
    assert.throws(() => validateArtifact('x'), isBad(/got "x"/));
    let a = clone(artifact);
    delete a.weights;
    assert.throws(() => validateArtifact(a), isBad(/must have required property 'weights'/));
    a = clone(artifact);
    a.format = 'something-else';
    a.version = 0;
    assert.throws(
      () => validateArtifact(a),
      isBad(/artifact\/format must be equal to constant.*artifact\/version must be >= 1/),
    );
    a = clone(artifact);
    a.weights[0].shape = [a.weights[0].shape[0] + 1, ...a.weights[0].shape.slice(1)];
    assert.throws(
      () => validateArtifact(a),
      isBad(/weights\[0\] \(.+\): shape \[\d+, \d+\] needs \d+ bytes, data has \d+/),
    );
    a = clone(artifact);
    a.scaler.std = [];
    assert.throws(() => validateArtifact(a), isBad(/scaler has 1 means and 0 stds for 1 features/));
    a = clone(artifact);
    a.spec.target = 'temperature';
    assert.throws(() => validateArtifact(a), isBad(/targetIndex 0 does not point at target "temperature"/));
    a = clone(artifact);
    a.weights.pop();
    assert.throws(() => Forecaster.fromArtifact(a), isBad(/needs \d+ weight arrays, the artifact has \d+/));
    assert.doesNotThrow(() => validateArtifact(clone(artifact)));
  });

  it('stores a split-conformal calibration of the validation residuals; an artifact without one still loads', () => {
    const c = artifact.calibration;
    assert.strictEqual(c.method, 'split-conformal');
    assert.strictEqual(c.n, artifact.report.valWindows);
    assert.strictEqual(c.residuals.length, 3);
    assert.ok(
      c.residuals.every((g) => g.length === c.ranks.length && g.every((v, k) => v >= 0 && (!k || v >= g[k - 1]))),
    );
    // The validation RMSE of each step squares back to the report's (same residuals; stored to 6 digits).
    const mse = c.rmse.reduce((a, r) => a + r * r, 0) / c.rmse.length;
    assert.ok(
      Math.abs(Math.sqrt(mse) - artifact.report.validation.model.rmse) <
        1e-6 * (1 + artifact.report.validation.model.rmse),
    );
    const old = clone(artifact);
    delete old.calibration;
    assert.strictEqual(validateArtifact(old).calibration, undefined);
    const bad = clone(artifact);
    bad.calibration.residuals[1] = bad.calibration.residuals[1].slice().reverse();
    if (bad.calibration.residuals[1].length > 1 && bad.calibration.residuals[1][0] > bad.calibration.residuals[1][1]) {
      assert.throws(() => validateArtifact(bad), isBad(/calibration residuals must be finite, sorted/));
    }
    const short = clone(artifact);
    short.calibration.rmse.pop();
    assert.throws(() => validateArtifact(short), isBad(/calibration has 3 residual grids and 2 RMSEs for horizon 3/));
    // the backtest grid: the model over its training windows, measured from the same centre; checked like the other
    assert.strictEqual(c.backtest.n, artifact.report.trainWindows);
    assert.ok(c.backtest.residuals.every((g) => g.length === c.backtest.ranks.length));
    const noBacktest = clone(artifact);
    delete noBacktest.calibration.backtest;
    assert.strictEqual(validateArtifact(noBacktest).calibration.backtest, undefined);
    const badBacktest = clone(artifact);
    badBacktest.calibration.backtest.residuals.pop();
    assert.throws(
      () => validateArtifact(badBacktest),
      isBad(/calibration backtest has 2 residual grids for horizon 3/),
    );
  });

  it('keeps a calibration per series for windows of several series; checks each one', async () => {
    // co2 twice, the second series ten times larger: one model across both
    const big = (w) => w.map((r) => r.map((v) => v * 10));
    const two = {
      ...data,
      inputs: [...data.inputs, ...data.inputs.map(big)],
      targets: [...data.targets, ...data.targets.map(big)],
      seriesIds: [...data.inputs.map(() => 'small'), ...data.inputs.map(() => 'large')],
    };
    const { artifact: a } = await trainForecaster(
      two,
      { units: 8, seed: 3 },
      { epochs: 1, batchSize: 32, name: 'co2x2', validationFraction: 0.25 },
    );
    const own = a.calibration.perSeries;
    assert.deepStrictEqual(
      own.map((c) => [c.series, c.n]),
      [
        ['small', 27],
        ['large', 27],
      ],
    );
    assert.strictEqual(a.calibration.n, 54);
    const width = (c) => c.residuals[0][c.residuals[0].length - 1];
    assert.ok(width(own[1]) > 3 * width(own[0]), 'the larger series gets the wider band');
    // each series' backtest from its own training windows (the rest of its windows), the pooled one from all
    const trainEach = data.inputs.length - 27;
    assert.deepStrictEqual(
      own.map((c) => c.backtest.n),
      [trainEach, trainEach],
    );
    assert.strictEqual(a.calibration.backtest.n, 2 * trainEach);
    assert.ok(width(own[1].backtest) > 3 * width(own[0].backtest), 'the larger series gets the wider backtest');
    const back = validateArtifact(JSON.parse(JSON.stringify(a)));
    assert.deepStrictEqual(back.calibration.perSeries, own);
    const bad = clone(a);
    bad.calibration.perSeries[1].rmse.pop();
    assert.throws(() => validateArtifact(bad), isBad(/calibration of series "large" has 3 residual grids and 2 RMSEs/));
    const twice = clone(a);
    twice.calibration.perSeries[1].series = 'small';
    assert.throws(() => validateArtifact(twice), isBad(/per-series calibrations repeat a series/));
  });

  it('refuses windows that do not match the spec', () => {
    const f = Forecaster.fromArtifact(artifact);
    try {
      const w = data.inputs[0];
      const mismatch = (re) => (e) => e.code === 'SPEC_MISMATCH' && re.test(e.message);
      assert.throws(
        () => f.predict([w.slice(1)]),
        mismatch(/^expected a window of 12 rows x 1 features \(co2\), got 11 x 1$/),
      );
      assert.throws(() => f.predict([w.map((r) => [r[0], 1])]), mismatch(/got 12 x 2/));
      assert.throws(() => f.predict([w, w.slice(2)]), mismatch(/got 10 x 1 \(window 1\)/));
      assert.throws(() => f.predict([]), mismatch(/expected an array of windows/));
      assert.throws(() => f.predict(w), mismatch(/got a single 12 x 1 window; wrap it in an array/));
      const nan = w.map((r) => r.slice());
      nan[4][0] = NaN;
      assert.throws(
        () => f.predict([nan]),
        (e) => e.code === 'BAD_INPUT' && /got NaN at row 4, feature co2/.test(e.message),
      );
    } finally {
      f.dispose();
    }
    assert.throws(
      () => f.predict([data.inputs[0]]),
      (e) => e.code === 'NO_MODEL',
    );
  });

  it('keeps the tensor count flat over 2000 predictions and frees everything on dispose', () => {
    const before = tf().memory().numTensors;
    const f = Forecaster.fromArtifact(artifact);
    const loaded = tf().memory().numTensors;
    assert.ok(loaded > before, 'the model holds its weights');
    f.predict([data.inputs[0]]); // warm-up
    const warm = tf().memory().numTensors;
    let last;
    for (let i = 0; i < 2000; i++) last = f.predict([data.inputs[i % data.inputs.length]]);
    assert.strictEqual(tf().memory().numTensors, warm);
    assert.strictEqual(last.forecast[0].length, 3);
    f.dispose();
    assert.strictEqual(tf().memory().numTensors, before);
  });

  it('round-trips an attention (GCA) model with its attention outputs', async () => {
    const before = tf().memory().numTensors;
    const { artifact: gca } = await trainForecaster(
      data,
      { type: 'gca', units: 8, attentionUnits: 4, iterations: 2, featureAttention: true, seed: 3 },
      { epochs: 1, batchSize: 32 },
    );
    assert.strictEqual(gca.hasAttention, true);
    const a = Forecaster.fromArtifact(gca);
    const b = await Forecaster.load(clone(gca));
    try {
      const pa = a.predict(data.inputs.slice(0, 2));
      const pb = b.predict(data.inputs.slice(0, 2));
      assert.deepStrictEqual(pb, pa);
      // attention [B][N][L]: one distribution over the 12 steps per refinement iteration
      assert.deepStrictEqual([pa.attention.length, pa.attention[0].length, pa.attention[0][0].length], [2, 2, 12]);
      const total = pa.attention[0][1].reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(total - 1) < 1e-4, `attention sums to ${total}`);
      assert.ok(Array.isArray(pa.featureAttention));
    } finally {
      a.dispose();
      b.dispose();
    }
    assert.strictEqual(tf().memory().numTensors, before);
  });
});
