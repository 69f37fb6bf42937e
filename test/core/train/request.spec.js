'use strict';
const assert = require('assert');
const { initBackend } = require('../../../nodes/core/base/backend');
const trainData = require('../../../nodes/core/train/train-data');
const { checkTrainRequest } = require('../../../nodes/core/train/request');
const { trainForecaster, trainChecked } = require('../../../nodes/core/train/trainer');
const { DEFAULT_TRAIN_OPTIONS } = require('../../../nodes/core/settings/training');
const { DEFAULT_MODEL_CONFIG } = require('../../../nodes/core/settings/model');
const { co2Dataset } = require('../../helpers/co2-fixture');

const isErr = (code, re) => (e) => e.code === code && re.test(e.message);

/**
 * Counts calls of train-data's checkWindows while `fn` runs. The compiled modules
 * call it through train-data's exports, so replacing the export is seen by all.
 */
async function countWindowChecks(fn) {
  const original = trainData.checkWindows;
  const calls = [];
  trainData.checkWindows = (what, ...rest) => {
    calls.push(what);
    return original(what, ...rest);
  };
  try {
    await fn();
  } finally {
    trainData.checkWindows = original;
  }
  return calls;
}

describe('core/train/request', function () {
  this.timeout(60000);
  before(() => initBackend());

  it('resolves the settings and keeps the data as given', () => {
    const data = co2Dataset(12, 3, 60);
    const req = checkTrainRequest(data, { units: 8 }, { epochs: 2 });
    assert.strictEqual(req.data, data);
    assert.strictEqual(req.validation, undefined);
    assert.strictEqual(req.previous, undefined);
    assert.strictEqual(req.targetIndex, 0);
    assert.deepStrictEqual(req.options, { ...DEFAULT_TRAIN_OPTIONS, epochs: 2 });
    assert.deepStrictEqual(req.model, { ...DEFAULT_MODEL_CONFIG, units: 8 });
  });

  it('refuses bad input synchronously, with the codes and messages the trainer always used', () => {
    const data = co2Dataset(12, 3, 60);
    assert.throws(() => checkTrainRequest(data, {}, { epochs: 0 }), isErr('BAD_CONFIG', /epochs must be an integer/));
    assert.throws(() => checkTrainRequest(data, { type: 'gru' }), isErr('BAD_CONFIG', /type must be one of/));
    assert.throws(() => checkTrainRequest(null), isErr('BAD_INPUT', /expected a dataset object, got null/));
    assert.throws(
      () => checkTrainRequest({ ...data, features: [] }),
      isErr('BAD_INPUT', /expected features as a non-empty array/),
    );
    assert.throws(
      () => checkTrainRequest({ ...data, target: 'temp' }),
      isErr('BAD_INPUT', /target "temp" is not one of the features \(co2\)/),
    );
    assert.throws(
      () => checkTrainRequest({ ...data, horizon: 0 }),
      isErr('BAD_INPUT', /expected horizon >= 1 \(training needs targets\), got 0/),
    );
    const validation = { inputs: data.inputs.slice(0, 2), targets: data.targets.slice(0, 1) };
    assert.throws(
      () => checkTrainRequest(data, {}, {}, { validation }),
      isErr('BAD_INPUT', /^validation data: expected one target block per window, got 1 for 2 windows/),
    );
    assert.throws(
      () => checkTrainRequest(data, {}, {}, { previous: { format: 'x' } }),
      isErr('BAD_ARTIFACT', /invalid model artifact/),
    );
  });

  it('keeps the previous architecture (with the given seed) and refuses data of another spec', async () => {
    const data = co2Dataset(12, 3, 60);
    const { artifact } = await trainForecaster(data, { units: 8, seed: 4 }, { epochs: 1 });
    const req = checkTrainRequest(data, { units: 64, seed: 9 }, {}, { previous: artifact });
    assert.strictEqual(req.previous, artifact);
    assert.deepStrictEqual(req.model, { ...artifact.model, seed: 9 });
    assert.strictEqual(checkTrainRequest(data, {}, {}, { previous: artifact }).model.seed, 4);
    assert.throws(
      () => checkTrainRequest(co2Dataset(12, 2, 60), {}, {}, { previous: artifact }),
      isErr('SPEC_MISMATCH', /horizon 3 vs 2/),
    );
  });

  it('checks each set of windows once: trainForecaster checks, a checked request trains unchecked', async () => {
    const all = co2Dataset(12, 3, 80);
    const data = { ...all, inputs: all.inputs.slice(0, 50), targets: all.targets.slice(0, 50) };
    const validation = { inputs: all.inputs.slice(50), targets: all.targets.slice(50) };
    const opts = { epochs: 1, batchSize: 32 };
    let checked;
    assert.deepStrictEqual(
      await countWindowChecks(() => (checked = checkTrainRequest(data, { units: 8 }, opts, { validation }))),
      ['training data', 'validation data'],
    );
    assert.deepStrictEqual(await countWindowChecks(() => trainChecked(checked)), []);
    assert.deepStrictEqual(await countWindowChecks(() => trainForecaster(data, { units: 8 }, opts, { validation })), [
      'training data',
      'validation data',
    ]);
  });
});
