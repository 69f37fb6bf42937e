'use strict';
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { resolveTrainOptions } = require('../../../nodes/core/settings/training');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { permutation, seededRandom } = require('../../../nodes/core/base/random');
const { fitScaler, prepare } = require('../../../nodes/core/data/scaler');
const { selectRidge } = require('../../../nodes/core/train/ridge');
const { decodeFloat32 } = require('../../../nodes/core/model/artifact');
const { co2Dataset } = require('../../helpers/co2-fixture');

const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const isErr = (code, re) => (e) => e.code === code && re.test(e.message);

/** The trainer's preparation (last-value reference, last 20% validate) and ridge choice, reproduced. */
function ridgeStart(data) {
  const N = data.inputs.length;
  const nVal = Math.round(N * 0.2);
  const trainIn = data.inputs.slice(0, N - nVal);
  const scaler = { ...fitScaler(trainIn), reference: 'last' };
  const tr = prepare(trainIn, data.targets.slice(0, N - nVal), scaler, 0);
  const va = prepare(data.inputs.slice(N - nVal), data.targets.slice(N - nVal), scaler, 0);
  const D = data.window;
  const H = data.horizon;
  const m = (p, cols, what) => ({ data: p[what], rows: p.count, cols });
  return selectRidge(m(tr, D, 'x'), m(tr, H, 'y'), m(va, D, 'x'), m(va, H, 'y'));
}

describe('core/trainer', function () {
  this.timeout(180000);
  before(() => initBackend());

  it('validates options and model config with clear errors', () => {
    assert.deepStrictEqual(resolveTrainOptions({}).epochs, 100);
    assert.throws(
      () => resolveTrainOptions({ epochs: 0 }),
      isErr('BAD_CONFIG', /epochs must be an integer from 1 to 100000, got 0/),
    );
    assert.throws(
      () => resolveTrainOptions({ validationFraction: 1 }),
      isErr('BAD_CONFIG', /validationFraction must be a number between 0 and 1/),
    );
    assert.throws(
      () => resolveTrainOptions({ learningRate: 'fast' }),
      isErr('BAD_CONFIG', /learningRate .* got "fast"/),
    );
    assert.throws(() => resolveTrainOptions({ epoch: 3 }), isErr('BAD_CONFIG', /unknown training option 'epoch'/));
    assert.throws(
      () => resolveModelConfig({ type: 'gru' }),
      isErr('BAD_CONFIG', /type must be one of 'lstm', 'attention', 'gca', got "gru"/),
    );
    assert.throws(() => resolveModelConfig({ units: 2.5 }), isErr('BAD_CONFIG', /units must be an integer/));
  });

  it('refuses too few windows and malformed data', async () => {
    const small = co2Dataset(12, 3, 24); // 10 windows -> 8 + 2
    await assert.rejects(
      trainForecaster(small, { units: 8 }, { minWindows: 9, epochs: 1 }),
      isErr('BAD_INPUT', /need at least 9 for training and 1 for validation, got 8 \+ 2 \(10 windows split/),
    );
    const bad = co2Dataset(12, 3, 40);
    bad.inputs[3] = bad.inputs[3].slice(1);
    await assert.rejects(
      trainForecaster(bad, { units: 8 }, { epochs: 1 }),
      isErr('BAD_INPUT', /expected window 3 to be 12 rows x 1 features, got 11 x 1/),
    );
    const wrongTarget = { ...co2Dataset(12, 3, 40), target: 'temp' };
    await assert.rejects(
      trainForecaster(wrongTarget, {}, { epochs: 1 }),
      isErr('BAD_INPUT', /target "temp" is not one of the features \(co2\)/),
    );
  });

  it('seeded shuffle is a reproducible permutation', () => {
    const a = permutation(50, seededRandom(7));
    const b = permutation(50, seededRandom(7));
    assert.deepStrictEqual(a, b);
    assert.deepStrictEqual(
      Array.from(a).sort((x, y) => x - y),
      [...Array(50).keys()],
    );
    assert.notDeepStrictEqual(a, permutation(50, seededRandom(8)));
  });

  it('beats the last-value baseline on monthly CO2 validation windows, without leaking tensors', async () => {
    // window 24 months, horizon 6, season 12; validation = last 20% of the windows (chronological)
    const data = co2Dataset(24, 6);
    const before = tf().memory().numTensors;
    const epochs = [];
    const { artifact, report } = await trainForecaster(
      data,
      { units: 8, seed: 1 },
      { epochs: 8, patience: 4, learningRate: 0.01, season: 12, name: 'co2' },
      { onEpoch: (p) => epochs.push(p) },
    );
    assert.strictEqual(tf().memory().numTensors, before, 'every tensor disposed');
    const v = report.validation;
    console.log(
      `      CO2 validation MASE ${v.model.mase.toFixed(3)} vs last value ${v.lastValue.mase.toFixed(3)}, seasonal naive ${v.seasonalNaive.mase.toFixed(3)}; ${report.trainSeconds.toFixed(1)} s, ${Math.round(report.windowsPerSecond)} windows/s`,
    );
    assert.ok(v.model.mae < v.lastValue.mae, `model MAE ${v.model.mae} < last value ${v.lastValue.mae}`);
    assert.ok(v.model.mase < 1, `model MASE ${v.model.mase} < 1`);
    assert.strictEqual(report.trainWindows + report.valWindows, data.inputs.length);
    assert.strictEqual(report.valWindows, Math.round(data.inputs.length * 0.2));
    assert.strictEqual(v.model.maeByStep.length, 6);
    assert.strictEqual(report.history.length, report.epochs);
    assert.strictEqual(epochs.length, report.epochs);
    assert.ok(epochs.every((p, i) => p.epoch === i + 1 && p.epochs === 8 && p.bestValLoss <= p.valLoss));
    // the best epoch's weights are kept; epoch 0 is the ridge start, the first best
    // a ridge penalty only when the chosen base includes a ridge fit (the highway starts from it)
    assert.strictEqual(typeof report.ridgeAlpha === 'number', report.base.ridge, JSON.stringify(report.base));
    assert.ok(Number.isFinite(report.initialValLoss));
    const bestVal = Math.min(report.initialValLoss, ...report.history.map((h) => h.valLoss));
    assert.strictEqual(
      report.bestEpoch ? report.history[report.bestEpoch - 1].valLoss : report.initialValLoss,
      bestVal,
    );
    assert.ok(report.params > 0);
    assert.strictEqual(artifact.report, report);
    assert.doesNotThrow(() => JSON.stringify(artifact));
  });

  it('is reproducible: same seed, same losses; another seed, other losses', async () => {
    const data = co2Dataset(12, 3, 100);
    const run = (seed) =>
      trainForecaster(data, { units: 8, seed }, { epochs: 3, batchSize: 16 }).then((r) => r.report.history);
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    assert.deepStrictEqual(a, b);
    assert.notDeepStrictEqual(
      a.map((h) => h.loss),
      c.map((h) => h.loss),
    );
  });

  it('stops early when validation stops improving', async () => {
    const data = co2Dataset(12, 3, 100);
    // a huge learning rate makes validation erratic; patience 1 must cut the run short
    const { report } = await trainForecaster(
      data,
      { units: 8, seed: 2 },
      { epochs: 40, patience: 1, batchSize: 16, learningRate: 0.3 },
    );
    assert.ok(report.stoppedEarly && report.epochs < 40, `ran ${report.epochs} epochs`);
    assert.strictEqual(report.epochs, report.bestEpoch + 1);
  });

  it('continues incrementally from a previous artifact, keeping its scaler and bumping the version', async () => {
    const first = await trainForecaster(
      co2Dataset(12, 3, 100),
      { units: 8, seed: 4 },
      { epochs: 2, batchSize: 32, name: 'co2' },
    );
    // later data: a higher CO2 level, whose own scaler would differ
    const later = co2Dataset(12, 3);
    later.inputs = later.inputs.slice(300, 400);
    later.targets = later.targets.slice(300, 400);
    const second = await trainForecaster(
      later,
      {},
      { epochs: 1, batchSize: 32, name: 'co2' },
      { previous: first.artifact },
    );
    assert.deepStrictEqual(second.artifact.scaler, first.artifact.scaler);
    assert.strictEqual(second.artifact.version, 2);
    assert.notStrictEqual(second.artifact.id, first.artifact.id);
    assert.deepStrictEqual(second.artifact.model, first.artifact.model);
    assert.strictEqual(second.report.incremental, true);
    // continuing: no ridge re-fit, the previous weights are the start
    assert.strictEqual(second.report.ridgeAlpha, null);
    assert.ok(Number.isFinite(second.report.initialValLoss));
    assert.notDeepStrictEqual(second.artifact.weights, first.artifact.weights);
    // it starts from the previous weights: with a negligible learning rate they barely move
    const still = await trainForecaster(
      later,
      {},
      { epochs: 1, batchSize: 32, learningRate: 1e-9 },
      { previous: first.artifact },
    );
    still.artifact.weights.forEach((w, i) => {
      const a = decodeFloat32(w.data);
      const b = decodeFloat32(first.artifact.weights[i].data);
      assert.ok(
        a.every((v, k) => Math.abs(v - b[k]) < 1e-5),
        `weight ${w.name} kept`,
      );
    });
    const wrong = co2Dataset(10, 3, 100);
    await assert.rejects(
      trainForecaster(wrong, {}, { epochs: 1 }, { previous: first.artifact }),
      isErr('SPEC_MISMATCH', /window 12 vs 10/),
    );
  });

  it('starts every model type from the ridge model fitted on the prepared windows', async () => {
    const data = co2Dataset(12, 3, 150);
    const ridge = ridgeStart(data);
    for (const type of ['lstm', 'attention', 'gca']) {
      // learning rate 0.3: every epoch ruins the start, so the ridge weights are what is kept
      const { artifact, report } = await trainForecaster(
        data,
        { type, units: 4, attentionUnits: 4, seed: 3 },
        // refit off: the stored highway is then the ridge start itself
        { epochs: 3, patience: 2, learningRate: 0.3, reference: 'last', refit: false },
      );
      assert.strictEqual(report.ridgeAlpha, ridge.model.alpha, type);
      // epoch 0 = the ridge model exactly (float32 weights): the recurrent head contributes nothing
      close(report.initialValLoss, ridge.mse, 1e-5 * ridge.mse, `${type} initial validation loss`);
      assert.ok(
        report.history.every((h) => h.valLoss > report.initialValLoss),
        `${type}: ${report.history.map((h) => h.valLoss)}`,
      );
      assert.strictEqual(report.bestEpoch, 0, type);
      const weight = (name) => decodeFloat32(artifact.weights.find((w) => w.name === name).data);
      weight('highway_dense/kernel').forEach((v, i) =>
        close(v, ridge.model.weights[i], 1e-6 * (1 + Math.abs(v)), `${type} highway kernel ${i}`),
      );
      weight('highway_dense/bias').forEach((v, i) =>
        close(v, ridge.model.intercept[i], 1e-6, `${type} highway bias ${i}`),
      );
      assert.ok(
        [...weight('head/kernel'), ...weight('head/bias')].every((v) => v === 0),
        `${type} head zeroed`,
      );
    }
    // without the highway there is no linear start: epoch 0 is reported, not kept
    const plain = await trainForecaster(data, { units: 4, seed: 3, highway: false }, { epochs: 2, reference: 'last' });
    assert.strictEqual(plain.report.ridgeAlpha, null);
    assert.ok(Number.isFinite(plain.report.initialValLoss) && plain.report.bestEpoch >= 1);
  });

  it("linear path 'frozen' (default) keeps the ridge weights while the recurrent part learns; 'joint' trains them; both reload exactly", async () => {
    const { Forecaster } = require('../../../nodes/core/serve/forecaster');
    const data = co2Dataset(12, 3, 150);
    const weight = (artifact, name) => decodeFloat32(artifact.weights.find((w) => w.name === name).data);
    const runs = {};
    for (const linearPath of ['frozen', 'joint']) {
      const { artifact, report } = await trainForecaster(
        data,
        { units: 4, seed: 5 },
        { epochs: 4, patience: 4, learningRate: 0.01, reference: 'last', linearPath, refit: false },
      );
      runs[linearPath] = { artifact, report };
      // Saved in the order a fresh model lists its weights: a reload predicts the same.
      const f = await Forecaster.load(artifact);
      const g = Forecaster.fromArtifact(JSON.parse(JSON.stringify(artifact)));
      try {
        const a = f.predict(data.inputs.slice(-3)).values;
        const b = g.predict(data.inputs.slice(-3)).values;
        assert.deepStrictEqual(a, b, `${linearPath}: topology and code reloads agree`);
      } finally {
        f.dispose();
        g.dispose();
      }
    }
    // Ridge start of both runs: same data, same alpha, same weights before epoch 1.
    assert.strictEqual(runs.frozen.report.ridgeAlpha, runs.joint.report.ridgeAlpha);
    assert.strictEqual(runs.frozen.report.initialValLoss, runs.joint.report.initialValLoss);
    const kernel = (r) => weight(r.artifact, 'highway_dense/kernel');
    const head = (r) => weight(r.artifact, 'head/kernel');
    const ridge = ridgeStart(data);
    assert.strictEqual(runs.frozen.report.ridgeAlpha, ridge.model.alpha);
    kernel(runs.frozen).forEach((v, i) =>
      close(v, ridge.model.weights[i], 1e-6 * (1 + Math.abs(v)), `frozen highway kernel ${i}`),
    );
    weight(runs.frozen.artifact, 'highway_dense/bias').forEach((v, i) =>
      close(v, ridge.model.intercept[i], 1e-6, `frozen highway bias ${i}`),
    );
    // frozen: whatever epoch is kept, the highway is the ridge start; the head moved off zero
    assert.ok(
      runs.frozen.report.bestEpoch >= 1,
      `an epoch beat the ridge start (history ${runs.frozen.report.history.map((h) => h.valLoss)}, start ${runs.frozen.report.initialValLoss})`,
    );
    assert.ok(
      head(runs.frozen).some((v) => v !== 0),
      'frozen: the recurrent head learned',
    );
    if (runs.joint.report.bestEpoch >= 1) {
      const k0 = kernel(runs.frozen);
      assert.ok(
        kernel(runs.joint).some((v, i) => Math.abs(v - k0[i]) > 1e-6),
        'joint: the highway moved off the ridge weights',
      );
    }
    assert.throws(
      () => resolveTrainOptions({ linearPath: 'loose' }),
      isErr('BAD_CONFIG', /linearPath must be one of 'frozen', 'joint', got "loose"/),
    );
  });

  it('uses explicit validation data when given', async () => {
    const all = co2Dataset(12, 3, 120);
    const data = { ...all, inputs: all.inputs.slice(0, 60), targets: all.targets.slice(0, 60) };
    const validation = { inputs: all.inputs.slice(80), targets: all.targets.slice(80) };
    const { report } = await trainForecaster(
      data,
      { units: 8 },
      { epochs: 1, validationFraction: 0.5 },
      { validation },
    );
    assert.strictEqual(report.trainWindows, 60);
    assert.strictEqual(report.valWindows, all.inputs.length - 80);
  });

  it('cancels between batches with CANCELLED and leaks nothing', async () => {
    const data = co2Dataset(12, 3, 200);
    const before = tf().memory().numTensors;
    let calls = 0;
    await assert.rejects(
      trainForecaster(data, { units: 8 }, { epochs: 50, batchSize: 8 }, { shouldStop: () => ++calls > 5 }),
      isErr('CANCELLED', /cancelled/),
    );
    assert.strictEqual(calls, 6);
    assert.strictEqual(tf().memory().numTensors, before);
  });
});
