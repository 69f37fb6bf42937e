'use strict';
// The 'gca' type's training step around the kernel (model/kernel-gca-train.ts GcaTrainer) against tfjs (the
// reference): the whole step's loss (every iteration's forecast, deep supervision) and the gradient of every
// weight against tf.variableGrads of the train model's loss, and the weights after Adam steps against
// tf.train.adam's, on random shapes, every gate and initial memory, N = 1-3, with and without feature attention.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const { gcaArrays, gcaPlan } = require('../../../nodes/core/model/kernel-gca');
const { GcaTrainer } = require('../../../nodes/core/model/kernel-gca-train');
const { stored, randomizeWeights, relativeDiff, maxAbsDiff } = require('../../helpers/kernel-weights');

const GATES = ['softmax', 'max', 'sigmoid'];
const MEMORIES = ['mean', 'last'];

function randomCase(rand, c) {
  const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  return {
    spec: { window: pick(2, 9), features: pick(1, 3), horizon: pick(1, 5) },
    cfg: resolveModelConfig({
      type: 'gca',
      units: pick(1, 8),
      attentionUnits: pick(1, 6),
      iterations: (c % 3) + 1,
      featureAttention: c % 4 === 3,
      seed: c,
      highway: c % 5 !== 4,
    }),
    gate: GATES[c % 3],
    memory: MEMORIES[Math.floor(c / 3) % 2],
    batch: pick(1, 6),
  };
}

const describeCase = ({ spec, cfg, batch, gate, memory }, c) =>
  `case ${c}: units ${cfg.units}, da ${cfg.attentionUnits}, N ${cfg.iterations}, gate ${gate}, memory ${memory}, ` +
  `feature attention ${cfg.featureAttention}, L ${spec.window}, F ${spec.features}, H ${spec.horizon}, B ${batch}, ` +
  `highway ${cfg.highway}`;

/** The graph of a case, its GcaAttention layer set to the case's gate and initial memory, random weights. */
function graphOf(kase, rand) {
  const g = buildGraph(kase.spec, kase.cfg);
  const layer = g.serve.getLayer('gca');
  layer.gate = kase.gate;
  layer.initialMemory = kase.memory;
  randomizeWeights(g.serve, rand);
  const { topology, weights } = stored(g.serve);
  const plan = gcaPlan(topology, weights);
  assert.ok(plan, 'gcaPlan accepts the graph');
  assert.strictEqual(plan.gate, kase.gate);
  assert.strictEqual(plan.initialMemory, kase.memory);
  return { g, plan, weights, arrays: gcaArrays(plan) };
}

function batchOf(rand, { spec, cfg, batch }) {
  const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
  // one target for every iteration, as the epoch loop tiles them
  const y1 = Float32Array.from({ length: batch * spec.horizon }, () => rand() * 2 - 1);
  const N = cfg.iterations;
  const y = new Float32Array(batch * N * spec.horizon);
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < N; n++)
      y.set(y1.subarray(b * spec.horizon, (b + 1) * spec.horizon), (b * N + n) * spec.horizon);
  }
  return { x, y };
}

describe('core/model/kernel-gca-train: the gca type trains around the kernel', function () {
  this.timeout(60000);
  before(async () => {
    await initBackend();
  });

  it('gives the loss and gradients of a whole step that tfjs autodiff gives, within 1e-4 relative', () => {
    const rand = seededRandom(97);
    // a dead ReLU in the refinement zeroes most gradients of a case (tfjs's too); most cases must have them all
    let everyGradient = 0;
    for (let c = 0; c < 18; c++) {
      const kase = randomCase(rand, c);
      const { spec, cfg, batch } = kase;
      const t = tf();
      const { g, plan, weights, arrays } = graphOf(kase, rand);
      try {
        const { x, y } = batchOf(rand, kase);
        const xt = t.tensor3d(x, [batch, spec.window, spec.features]);
        const yt = t.tensor3d(y, [batch, cfg.iterations, spec.horizon]);
        const { value, grads } = t.variableGrads(() => t.losses.meanSquaredError(yt, g.train.apply(xt)));
        const want = value.dataSync()[0];
        const trainer = new GcaTrainer(plan, { batchSize: batch, learningRate: 0.01, frozenHighway: false });
        const loss = trainer.step(x, y, batch, false);
        const got = trainer.gradients();
        const what = describeCase(kase, c);
        assert.ok(Math.abs(loss - want) <= 1e-5 * Math.max(1, want), `loss ${loss} vs ${want} (${what})`);
        const index = new Map(g.serve.weights.map((w, i) => [w.val.name, i]));
        let checked = 0;
        let nonZero = 0;
        for (const [name, grad] of Object.entries(grads)) {
          const i = index.get(name);
          assert.ok(i !== undefined, `the gradient of ${name} belongs to a serve weight`);
          const p = arrays.indexOf(weights[i].values);
          assert.ok(p >= 0, `${name} is in the plan`);
          const d = relativeDiff(got[p], grad.dataSync());
          assert.ok(d <= 1e-4, `gradient of ${name}: relative difference ${d} (${what})`);
          if (grad.dataSync().some((v) => v !== 0)) nonZero++;
          checked++;
        }
        assert.strictEqual(checked, arrays.length, `every weight checked (${what})`);
        // a ReLU may zero a refinement's gradient on a case; most weights must get one
        if (nonZero === checked) everyGradient++;
        t.dispose([xt, yt, value, ...Object.values(grads)]);
      } finally {
        disposeModels(g.serve, g.train);
      }
    }
    assert.ok(everyGradient >= 14, `${everyGradient} of 18 cases with every gradient non-zero`);
  });

  it('takes the Adam steps tf.train.adam takes, a frozen highway left alone; the same steps give the same weights', () => {
    const rand = seededRandom(101);
    let everyMoved = 0;
    for (let c = 0; c < 8; c++) {
      const kase = randomCase(rand, c);
      const { spec, cfg, batch } = kase;
      const frozen = c % 2 === 0 && cfg.highway;
      const t = tf();
      const optimizer = t.train.adam(0.01);
      const { g, plan, weights, arrays } = graphOf(kase, rand);
      try {
        const opts = { batchSize: batch, learningRate: 0.01, frozenHighway: frozen };
        const trainer = new GcaTrainer(plan, opts);
        const again = new GcaTrainer(plan, opts);
        const vars = g.serve.weights.filter((w) => !(frozen && w.name.startsWith('highway_dense'))).map((w) => w.val);
        for (let step = 0; step < 3; step++) {
          const { x, y } = batchOf(rand, kase);
          const xt = t.tensor3d(x, [batch, spec.window, spec.features]);
          const yt = t.tensor3d(y, [batch, cfg.iterations, spec.horizon]);
          optimizer.minimize(() => t.losses.meanSquaredError(yt, g.train.apply(xt)), false, vars);
          t.dispose([xt, yt]);
          trainer.step(x, y, batch);
          again.step(x, y, batch);
        }
        const got = trainer.weights();
        assert.deepStrictEqual(again.weights(), got, 'the same steps give the same weights, bit for bit');
        const what = `${describeCase(kase, c)}, frozen highway ${frozen}`;
        let movedCount = 0;
        g.serve.weights.forEach((w, i) => {
          const p = arrays.indexOf(weights[i].values);
          const want = w.read().dataSync();
          const d = maxAbsDiff(got[p], want);
          const moved = maxAbsDiff(want, weights[i].values);
          // three steps move a weight by up to 3 lr; the kernel's must be where tfjs's is, to 1e-3 of that (Adam
          // divides by sqrt(v): a gradient near zero makes the step's direction sensitive to float order)
          assert.ok(d <= 1e-3 * 0.03, `${w.name}: |kernel - tfjs| ${d} after 3 steps (${what})`);
          if (frozen && w.name.startsWith('highway_dense')) assert.strictEqual(moved, 0, `${w.name} frozen`);
          else if (moved > 1e-3) movedCount++;
        });
        if (movedCount === arrays.length - (frozen ? 2 : 0)) everyMoved++;
      } finally {
        optimizer.dispose();
        disposeModels(g.serve, g.train);
      }
    }
    assert.ok(everyMoved >= 5, `${everyMoved} of 8 cases where every trained weight moved`);
  });
});
