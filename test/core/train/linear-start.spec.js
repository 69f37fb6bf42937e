'use strict';
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { checkTrainRequest } = require('../../../nodes/core/train/request');
const { prepareSplit } = require('../../../nodes/core/train/split');
const { selectRidge, predictRidge } = require('../../../nodes/core/train/ridge');
const { predictScaled } = require('../../../nodes/core/train/scaled-forecast');
const { blendIntoBase, startLinear, unfreezeLinearPath } = require('../../../nodes/core/train/linear-start');
const { co2Dataset } = require('../../helpers/co2-fixture');

/** A model, its prepared windows and their [m, L, F] validation tensor, for one test. */
function setUp(model) {
  const req = checkTrainRequest(co2Dataset(12, 3, 80), { units: 4, seed: 2, ...model }, { reference: 'last' });
  const prepared = prepareSplit(req);
  const graph = buildGraph({ window: 12, features: 1, horizon: 3 }, req.model);
  const xVal = tf().tensor3d(prepared.val.x, [prepared.val.count, 12, 1]);
  return { prepared, graph, xVal, dispose: () => (xVal.dispose(), disposeModels(graph.train, graph.serve)) };
}

const trainable = (graph) => graph.serve.trainableWeights.map((w) => w.originalName);

describe('core/train/linear-start', function () {
  this.timeout(60000);
  before(() => initBackend());

  it('starts the network as the ridge model chosen on the validation windows, and freezes its path', () => {
    const before = tf().memory().numTensors;
    const { prepared, graph, xVal, dispose } = setUp({});
    try {
      const { train, val } = prepared;
      const m = (p, cols, what) => ({ data: p[what], rows: p.count, cols });
      const ridge = selectRidge(m(train, 12, 'x'), m(train, 3, 'y'), m(val, 12, 'x'), m(val, 3, 'y'));
      const all = trainable(graph);
      assert.ok(
        all.some((n) => n.startsWith('highway_dense/')),
        all.join(', '),
      );
      const start = startLinear(graph.serve, prepared, 'frozen');
      assert.strictEqual(start.alpha, ridge.model.alpha);
      const expected = predictRidge(ridge.model, m(val, 12, 'x'));
      predictScaled(graph.serve, xVal).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `forecast ${i}`));
      assert.deepStrictEqual(
        trainable(graph),
        all.filter((n) => !n.startsWith('highway_dense/')),
      );
      unfreezeLinearPath(start);
      assert.deepStrictEqual(trainable(graph), all, 'trainable again, in the original order');
    } finally {
      dispose();
    }
    assert.strictEqual(tf().memory().numTensors, before);
  });

  it("leaves the linear path trainable for 'joint'", () => {
    const { prepared, graph, dispose } = setUp({});
    try {
      const all = trainable(graph);
      const start = startLinear(graph.serve, prepared, 'joint');
      assert.strictEqual(start.frozen, null);
      assert.deepStrictEqual(trainable(graph), all);
      unfreezeLinearPath(start);
      unfreezeLinearPath(null);
    } finally {
      dispose();
    }
  });

  it('says which layer is missing when the model has no highway', () => {
    const { prepared, graph, dispose } = setUp({ highway: false });
    try {
      assert.throws(
        () => startLinear(graph.serve, prepared, 'frozen'),
        (e) => e.code === 'TRAINING_FAILED' && /has no layer 'highway_dense' \(layers: /.test(e.message),
      );
    } finally {
      dispose();
    }
  });

  for (const type of ['lstm', 'attention', 'gca']) {
    it(`${type}: blendIntoBase puts the trained network into a mean of bases in its member's place, exactly`, () => {
      const before = tf().memory().numTensors;
      const { prepared, graph, xVal, dispose } = setUp({ type });
      try {
        const D = 12;
        const H = 3;
        const ridgeOf = (scale) => ({
          weights: Float64Array.from({ length: D * H }, (_, i) => scale * Math.sin(i + 1)),
          intercept: Float64Array.from({ length: H }, (_, h) => scale * (h - 1)),
          alpha: 1,
          inputs: D,
          outputs: H,
        });
        const anchor = ridgeOf(0.1);
        const base = ridgeOf(-0.05);
        const w = 1 / 3;
        // a trained network: any highway and head (the initial random head, the highway moved off the anchor)
        startLinear(graph.serve, prepared, 'joint');
        const head = graph.serve.layers.find((l) => l.name === 'head');
        const t = tf();
        t.tidy(() =>
          head.setWeights(head.getWeights().map((v, k) => t.randomNormal(v.shape, 0, 0.3, 'float32', 7 + k))),
        );
        const trained = predictScaled(graph.serve, xVal);
        const saved = head.getWeights().map((v) => ({ shape: v.shape, data: v.dataSync().slice() }));
        t.tidy(() => head.setWeights(saved.map((v) => t.zeros(v.shape))));
        const highwayOnly = predictScaled(graph.serve, xVal);
        t.tidy(() => head.setWeights(saved.map((v) => t.tensor(v.data, v.shape))));
        // the head contributes: the blend below scales it, not only the highway
        assert.ok(trained.some((v, i) => Math.abs(v - highwayOnly[i]) > 1e-3));
        const x = { data: prepared.val.x, rows: prepared.val.count, cols: D };
        const a = predictRidge(anchor, x);
        const b = predictRidge(base, x);
        blendIntoBase(graph.serve, base, anchor, w);
        const got = predictScaled(graph.serve, xVal);
        got.forEach((v, i) => {
          const want = w * (trained[i] - a[i]) + b[i];
          assert.ok(Math.abs(v - want) < 1e-4 * (1 + Math.abs(want)), `${i}: ${v} vs ${want}`);
        });
      } finally {
        dispose();
      }
      assert.strictEqual(tf().memory().numTensors, before);
    });
  }
});
