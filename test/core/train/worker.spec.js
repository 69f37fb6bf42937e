'use strict';
const assert = require('assert');
const { initBackend } = require('../../../nodes/core/base/backend');
const { flatten3, unflatten3 } = require('../../../nodes/core/base/arrays');
const trainData = require('../../../nodes/core/train/train-data');
const { checkTrainRequest } = require('../../../nodes/core/train/request');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
// Loaded on the main thread (no parentPort), the worker module only defines its functions.
const { checkedFromWorkerData, runWorkerRequest } = require('../../../nodes/core/train/worker');
const { co2Dataset } = require('../../helpers/co2-fixture');

/** The worker's input as the runner builds it from a checked request. */
function workerRequest(checked) {
  const { data, validation } = checked;
  return {
    features: data.features,
    target: data.target,
    window: data.window,
    horizon: data.horizon,
    step: data.step,
    series: data.series,
    count: data.inputs.length,
    inputs: flatten3(data.inputs),
    targets: flatten3(data.targets),
    valCount: validation ? validation.inputs.length : 0,
    valInputs: validation ? flatten3(validation.inputs) : undefined,
    valTargets: validation ? flatten3(validation.targets) : undefined,
    model: checked.model,
    options: checked.options,
    previous: checked.previous,
    targetIndex: checked.targetIndex,
    stop: new SharedArrayBuffer(4),
  };
}

/** Windows as the worker sees them: rounded to float32 on the way. */
const viaFloat32 = (windows) => unflatten3(flatten3(windows), windows.length, windows[0].length, windows[0][0].length);

describe('core/train/worker', function () {
  this.timeout(60000);
  before(() => initBackend());

  it('rebuilds the checked request: windows, explicit validation, resolved settings', () => {
    const all = co2Dataset(12, 3, 40);
    const data = { ...all, inputs: all.inputs.slice(0, 20), targets: all.targets.slice(0, 20) };
    const validation = { inputs: all.inputs.slice(20), targets: all.targets.slice(20) };
    const checked = checkTrainRequest(data, { units: 8 }, { epochs: 3 }, { validation });
    const req = checkedFromWorkerData(workerRequest(checked));
    assert.deepStrictEqual(req.data.inputs, viaFloat32(data.inputs));
    assert.deepStrictEqual(req.data.targets, viaFloat32(data.targets));
    assert.deepStrictEqual(req.validation, {
      inputs: viaFloat32(validation.inputs),
      targets: viaFloat32(validation.targets),
    });
    assert.deepStrictEqual(req.options, checked.options);
    assert.deepStrictEqual(req.model, checked.model);
    assert.strictEqual(req.targetIndex, 0);
    assert.strictEqual(checkedFromWorkerData(workerRequest(checkTrainRequest(data))).validation, undefined);
  });

  it('trains without checking the windows again, to the numbers trainForecaster gets on float32 data', async () => {
    const data = co2Dataset(12, 3, 80);
    const opts = { epochs: 2, batchSize: 32 };
    const checked = checkTrainRequest(data, { units: 8, seed: 3 }, opts);
    const messages = [];
    const original = trainData.checkWindows;
    let checks = 0;
    trainData.checkWindows = (...a) => {
      checks++;
      return original(...a);
    };
    try {
      await runWorkerRequest(workerRequest(checked), (m) => messages.push(m));
    } finally {
      trainData.checkWindows = original;
    }
    assert.strictEqual(checks, 0, 'the worker re-checked the windows');
    assert.deepStrictEqual(
      messages.map((m) => m.type),
      ['epoch', 'epoch', 'done'],
    );
    const done = messages[2];
    const direct = await trainForecaster(
      { ...data, inputs: viaFloat32(data.inputs), targets: viaFloat32(data.targets) },
      { units: 8, seed: 3 },
      opts,
    );
    assert.deepStrictEqual(done.artifact.weights, direct.artifact.weights);
    assert.deepStrictEqual(done.report.history, direct.report.history);
  });

  it('posts a stop request as CANCELLED', async () => {
    const req = workerRequest(checkTrainRequest(co2Dataset(12, 3, 80), { units: 8 }, { epochs: 5 }));
    new Int32Array(req.stop)[0] = 1;
    const messages = [];
    await runWorkerRequest(req, (m) => messages.push(m));
    // The id and values travel with the text, so the node can translate the error.
    assert.deepStrictEqual(messages, [
      { type: 'error', code: 'CANCELLED', message: 'training was cancelled', id: 'training.cancelled', params: {} },
    ]);
  });
});
