'use strict';
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { checkTrainRequest } = require('../../../nodes/core/train/request');
const { prepareSplit } = require('../../../nodes/core/train/split');
const { predictScaled } = require('../../../nodes/core/train/scaled-forecast');
const { BestWeights, epochTensors, runEpochs } = require('../../../nodes/core/train/epochs');
const { co2Dataset } = require('../../helpers/co2-fixture');

/** What runEpochs needs, for a small model; dispose() releases it all. */
function setUp(model, options) {
  const req = checkTrainRequest(
    co2Dataset(12, 3, 80),
    { units: 4, seed: 2, ...model },
    { reference: 'last', ...options },
  );
  const prepared = prepareSplit(req);
  const graph = buildGraph({ window: 12, features: 1, horizon: 3 }, req.model);
  const tensors = epochTensors(prepared, graph.iterations);
  const optimizer = tf().train.adam(req.options.learningRate);
  const best = new BestWeights();
  const setup = {
    graph,
    tensors,
    valY: prepared.val.y,
    optimizer,
    best,
    seed: 2,
    linearStart: false,
    start: Date.now(),
  };
  const dispose = () => {
    best.dispose();
    tf().dispose([tensors.xAll, tensors.yAll, tensors.xVal]);
    optimizer.dispose();
    disposeModels(graph.train, graph.serve);
  };
  return { req, prepared, graph, setup, dispose };
}

const weightsOf = (graph) => graph.serve.getWeights().map((w) => Array.from(w.dataSync()));

describe('core/train/epochs', function () {
  this.timeout(60000);
  before(() => initBackend());

  it('tiles the targets once per refinement iteration', () => {
    const { prepared, graph, setup, dispose } = setUp({ type: 'gca', iterations: 2 });
    try {
      const { xAll, yAll, xVal } = setup.tensors;
      const n = prepared.train.count;
      assert.deepStrictEqual(xAll.shape, [n, 12, 1]);
      assert.deepStrictEqual(yAll.shape, [n, graph.iterations, 3]);
      assert.deepStrictEqual(xVal.shape, [prepared.val.count, 12, 1]);
      const y = yAll.dataSync();
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < graph.iterations; k++) {
          assert.deepStrictEqual(
            y.slice((i * graph.iterations + k) * 3, (i * graph.iterations + k + 1) * 3),
            prepared.train.y.slice(i * 3, i * 3 + 3),
          );
        }
      }
    } finally {
      dispose();
    }
  });

  it('keeps an unbeaten linear start: bestEpoch 0, its weights restored, stopped by patience', async () => {
    const before = tf().memory().numTensors;
    const { req, graph, setup, dispose } = setUp({}, { epochs: 10, patience: 3, batchSize: 16 });
    try {
      // validation targets = the start's own forecasts: its loss is 0, which no trained epoch can beat
      const valY = predictScaled(graph.serve, setup.tensors.xVal);
      const start = weightsOf(graph);
      const progress = [];
      const hooks = { onEpoch: (p) => progress.push(p) };
      const run = await runEpochs({ ...setup, valY, linearStart: true }, req.options, hooks);
      // ~0, not 0: the lstm type validates through the kernel, equal to tfjs's forecasts within float order
      assert.ok(run.initialValLoss >= 0 && run.initialValLoss <= 1e-12, `start loss ${run.initialValLoss}`);
      assert.strictEqual(run.bestEpoch, 0);
      assert.strictEqual(run.stoppedEarly, true);
      assert.deepStrictEqual(
        run.history.map((h) => h.epoch),
        [1, 2, 3],
      );
      assert.ok(run.history.every((h) => h.valLoss > 1e-9));
      assert.deepStrictEqual(
        progress.map((p) => p.bestValLoss),
        [0, 0, 0].map(() => run.initialValLoss),
      );
      assert.deepStrictEqual(weightsOf(graph), start, 'the start weights are back');
    } finally {
      dispose();
    }
    assert.strictEqual(tf().memory().numTensors, before);
  });

  it('leaves the copy of the best weights to its owner when cancelled', async () => {
    const before = tf().memory().numTensors;
    const { req, graph, setup, dispose } = setUp({});
    try {
      const held = tf().memory().numTensors;
      await assert.rejects(
        runEpochs({ ...setup, linearStart: true }, req.options, { shouldStop: () => true }),
        (e) => e.code === 'CANCELLED',
      );
      assert.strictEqual(tf().memory().numTensors, held + graph.serve.getWeights().length, 'the epoch-0 copy');
      setup.best.dispose();
      assert.strictEqual(tf().memory().numTensors, held);
    } finally {
      dispose();
    }
    assert.strictEqual(tf().memory().numTensors, before);
  });
});
