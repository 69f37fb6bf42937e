'use strict';
// The kernel's training step against tfjs (the reference): gradients against tf.variableGrads of the
// loss the epoch loop minimises (MSE of the train model's [B, 1, H] output against the targets), and
// the weights after Adam steps against tf.train.adam's, on random shapes and seeded weights.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const { kernelPlan, KernelTrainer } = require('../../../nodes/core/model/kernel');

const { stored, randomizeWeights, relativeDiff, maxAbsDiff } = require('../../helpers/kernel-weights');

function randomCase(rand, c) {
  const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  return {
    spec: { window: pick(1, 12), features: pick(1, 3), horizon: pick(1, 6) },
    cfg: resolveModelConfig({ type: 'lstm', units: pick(1, 12), layers: 1 + (c % 2), seed: c, highway: c !== 2 }),
    batch: pick(1, 9),
  };
}

describe('core/model/kernel: training steps in the kernel', function () {
  this.timeout(60000);
  before(async () => {
    await initBackend();
  });

  it('gives the gradients tfjs autodiff gives, within 1e-4 relative, on random shapes', () => {
    const rand = seededRandom(31);
    for (let c = 0; c < 10; c++) {
      const { spec, cfg, batch } = randomCase(rand, c);
      const g = buildGraph(spec, cfg);
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = kernelPlan(topology, weights);
        assert.ok(plan);
        const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
        const y = Float32Array.from({ length: batch * spec.horizon }, () => rand() * 2 - 1);
        const t = tf();
        const xt = t.tensor3d(x, [batch, spec.window, spec.features]);
        const yt = t.tensor3d(y, [batch, 1, spec.horizon]);
        const { value, grads } = t.variableGrads(() => t.losses.meanSquaredError(yt, g.train.apply(xt)));
        const want = value.dataSync()[0];
        const trainer = new KernelTrainer(plan, { batchSize: batch, learningRate: 0.01, frozenHighway: false });
        const loss = trainer.step(x, y, batch, false);
        const got = trainer.gradients();
        const what = `case ${c}: units ${cfg.units}, layers ${cfg.layers}, L ${spec.window}, F ${spec.features}, H ${spec.horizon}, B ${batch}, highway ${cfg.highway}`;
        assert.ok(Math.abs(loss - want) <= 1e-5 * Math.max(1, want), `loss ${loss} vs ${want} (${what})`);
        // variableGrads keys are the variables' names; the serve model's weights are the same variables
        const index = new Map(g.serve.weights.map((w, i) => [w.val.name, i]));
        const serveWeights = weights.map((w) => w.values);
        let checked = 0;
        for (const [name, grad] of Object.entries(grads)) {
          const i = index.get(name);
          assert.ok(i !== undefined, `the gradient of ${name} belongs to a serve weight (${[...index.keys()]})`);
          const p = plan.arrays.indexOf(serveWeights[i]);
          assert.ok(p >= 0);
          const d = relativeDiff(got[p], grad.dataSync());
          assert.ok(d <= 1e-4, `gradient of ${name}: relative difference ${d} (${what})`);
          assert.ok(
            grad.dataSync().some((v) => v !== 0) || name.includes('bias'),
            `${name}: a gradient that is not all zeros`,
          );
          checked++;
        }
        assert.strictEqual(checked, plan.arrays.length, `every weight checked (${what})`);
        t.dispose([xt, yt, value, ...Object.values(grads)]);
      } finally {
        disposeModels(g.serve, g.train);
      }
    }
  });

  it("gives a batch the mean of its windows' one-window gradients (blocks of four windows and the rest, wide and odd layers)", () => {
    // The backward pass works on blocks of windows and of rows (four windows per weight load, 4 x 8 blocks of the
    // weight gradients, 2-row blocks of d W^T); one window at a time takes the remainder paths only, so the two
    // must agree. Two layers of 20 and 9 units leave row and column remainders in every blocked loop.
    const rand = seededRandom(59);
    const [T, F, H, U1, U2, B] = [7, 2, 5, 20, 9, 11];
    const arr = (n, scale) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
    const plan = {
      window: T,
      features: F,
      horizon: H,
      units: [U1, U2],
      highway: true,
      recurrentActivation: 3,
      activation: 1,
      arrays: [
        arr(F * 4 * U1, 0.5),
        arr(U1 * 4 * U1, 0.3),
        arr(4 * U1, 0.3),
        arr(U1 * 4 * U2, 0.3),
        arr(U2 * 4 * U2, 0.3),
        arr(4 * U2, 0.3),
        arr(U2 * H, 0.3),
        arr(H, 0.3),
        arr(T * F * H, 0.1),
        arr(H, 0.1),
      ],
    };
    const x = arr(B * T * F, 2);
    const y = arr(B * H, 1);
    const batch = new KernelTrainer(plan, { batchSize: B, learningRate: 0.01, frozenHighway: false });
    const loss = batch.step(x, y, B, false);
    const got = batch.gradients();
    const one = new KernelTrainer(plan, { batchSize: 1, learningRate: 0.01, frozenHighway: false });
    const want = plan.arrays.map((a) => new Float64Array(a.length));
    let meanLoss = 0;
    for (let b = 0; b < B; b++) {
      meanLoss += one.step(x.subarray(b * T * F, (b + 1) * T * F), y.subarray(b * H, (b + 1) * H), 1, false) / B;
      one.gradients().forEach((g, i) => g.forEach((v, j) => (want[i][j] += v / B)));
    }
    assert.ok(Math.abs(loss - meanLoss) <= 1e-6 * meanLoss, `loss ${loss} vs the windows' mean ${meanLoss}`);
    got.forEach((g, i) => {
      assert.ok(
        want[i].some((v) => v !== 0),
        `weight ${i}: a gradient that is not all zeros`,
      );
      const d = relativeDiff(g, want[i]);
      assert.ok(d <= 1e-5, `weight ${i}: batch against one-window gradients, relative difference ${d}`);
    });
  });

  it('takes the Adam steps tf.train.adam takes (bias correction, epsilon 1e-7), a frozen highway left alone', () => {
    const rand = seededRandom(47);
    for (let c = 0; c < 6; c++) {
      const { spec, cfg, batch } = randomCase(rand, c);
      const frozen = c % 3 === 0 && cfg.highway;
      const g = buildGraph(spec, cfg);
      const t = tf();
      const optimizer = t.train.adam(0.01);
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = kernelPlan(topology, weights);
        const trainer = new KernelTrainer(plan, { batchSize: batch, learningRate: 0.01, frozenHighway: frozen });
        const vars = g.serve.weights.filter((w) => !(frozen && w.name.startsWith('highway_dense'))).map((w) => w.val);
        for (let step = 0; step < 3; step++) {
          const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
          const y = Float32Array.from({ length: batch * spec.horizon }, () => rand() * 2 - 1);
          const xt = t.tensor3d(x, [batch, spec.window, spec.features]);
          const yt = t.tensor3d(y, [batch, 1, spec.horizon]);
          optimizer.minimize(() => t.losses.meanSquaredError(yt, g.train.apply(xt)), false, vars);
          t.dispose([xt, yt]);
          trainer.step(x, y, batch);
        }
        const got = trainer.weights();
        const what = `case ${c}: units ${cfg.units}, layers ${cfg.layers}, B ${batch}, frozen highway ${frozen}`;
        g.serve.weights.forEach((w, i) => {
          const p = plan.arrays.indexOf(weights[i].values);
          const want = w.read().dataSync();
          const d = maxAbsDiff(got[p], want);
          const moved = maxAbsDiff(want, weights[i].values);
          // three steps move a weight by up to 3 lr; the kernel's must be where tfjs's is, to 1e-4 of that
          assert.ok(d <= 1e-4 * 0.03, `${w.name}: |kernel - tfjs| ${d} after 3 steps (${what})`);
          if (frozen && w.name.startsWith('highway_dense')) assert.strictEqual(moved, 0, `${w.name} frozen`);
          else assert.ok(moved > 1e-3, `${w.name} moved (${moved})`);
        });
      } finally {
        optimizer.dispose();
        disposeModels(g.serve, g.train);
      }
    }
  });
});
