'use strict';
// The 'attention' type's training step through the kernel (model/kernel.ts AttentionTrainer) against tfjs (the
// reference): the encoder's backward through time from every step's hidden-state gradient, the whole step's loss
// and gradients (the MSE the epoch loop minimises) against tf.variableGrads, and the weights after Adam steps
// against tf.train.adam's, on random shapes and seeded weights.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const { attentionPlan, AttentionTrainer } = require('../../../nodes/core/model/kernel');

const { stored, randomizeWeights, relativeDiff, maxAbsDiff } = require('../../helpers/kernel-weights');

function randomCase(rand, c) {
  const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  return {
    spec: { window: pick(1, 12), features: pick(1, 3), horizon: pick(1, 6) },
    cfg: resolveModelConfig({
      type: 'attention',
      units: pick(1, 12),
      attentionUnits: pick(1, 9),
      seed: c,
      highway: c % 3 !== 2,
    }),
    batch: pick(1, 9),
  };
}

const describeCase = ({ spec, cfg, batch }, c) =>
  `case ${c}: units ${cfg.units}, da ${cfg.attentionUnits}, L ${spec.window}, F ${spec.features}, ` +
  `H ${spec.horizon}, B ${batch}, highway ${cfg.highway}`;

describe('core/model/kernel: the attention type trains in the kernel', function () {
  this.timeout(60000);
  before(async () => {
    await initBackend();
  });

  it("the encoder's backward through time from every step's state gradient gives tfjs autodiff's, within 1e-4", () => {
    const rand = seededRandom(73);
    for (let c = 0; c < 10; c++) {
      const kase = randomCase(rand, c);
      const { spec, cfg, batch } = kase;
      const [T, F, U] = [spec.window, spec.features, cfg.units];
      const g = buildGraph(spec, cfg);
      const t = tf();
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = attentionPlan(topology, weights);
        assert.ok(plan);
        const x = Float32Array.from({ length: batch * T * F }, () => rand() * 4 - 2);
        // a gradient for every state, [B, T, U] for tfjs and [T, B, U] (step-major) for the kernel
        const dH = Float32Array.from({ length: batch * T * U }, () => rand() * 2 - 1);
        const dHStep = new Float32Array(dH.length);
        for (let b = 0; b < batch; b++) {
          for (let s = 0; s < T; s++)
            dHStep.set(dH.subarray((b * T + s) * U, (b * T + s + 1) * U), (s * batch + b) * U);
        }
        const lstm = g.serve.getLayer('lstm_1');
        const xt = t.tensor3d(x, [batch, T, F]);
        const gt = t.tensor3d(dH, [batch, T, U]);
        const { value, grads } = t.variableGrads(
          () => t.sum(t.mul(lstm.apply(xt), gt)),
          lstm.weights.map((w) => w.val),
        );
        const trainer = new AttentionTrainer(plan, { batchSize: batch, learningRate: 0.01, frozenHighway: false });
        const got = trainer.encoderGradients(x, batch, dHStep);
        const what = describeCase(kase, c);
        lstm.weights.forEach((w, i) => {
          const want = grads[w.val.name].dataSync();
          assert.ok(
            want.some((v) => v !== 0),
            `${w.name}: a gradient that is not all zeros (${what})`,
          );
          const d = relativeDiff(got[i], want);
          assert.ok(d <= 1e-4, `gradient of ${w.name}: relative difference ${d} (${what})`);
        });
        t.dispose([xt, gt, value, ...Object.values(grads)]);
      } finally {
        disposeModels(g.serve, g.train);
      }
    }
  });

  it('gives the loss and gradients of a whole step that tfjs autodiff gives, within 1e-4 relative', () => {
    const rand = seededRandom(79);
    for (let c = 0; c < 10; c++) {
      const kase = randomCase(rand, c);
      const { spec, cfg, batch } = kase;
      const g = buildGraph(spec, cfg);
      const t = tf();
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = attentionPlan(topology, weights);
        assert.ok(plan);
        const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
        const y = Float32Array.from({ length: batch * spec.horizon }, () => rand() * 2 - 1);
        const xt = t.tensor3d(x, [batch, spec.window, spec.features]);
        const yt = t.tensor3d(y, [batch, 1, spec.horizon]);
        const { value, grads } = t.variableGrads(() => t.losses.meanSquaredError(yt, g.train.apply(xt)));
        const want = value.dataSync()[0];
        const trainer = new AttentionTrainer(plan, { batchSize: batch, learningRate: 0.01, frozenHighway: false });
        const loss = trainer.step(x, y, batch, false);
        const got = trainer.gradients();
        const what = describeCase(kase, c);
        assert.ok(Math.abs(loss - want) <= 1e-5 * Math.max(1, want), `loss ${loss} vs ${want} (${what})`);
        const index = new Map(g.serve.weights.map((w, i) => [w.val.name, i]));
        let checked = 0;
        for (const [name, grad] of Object.entries(grads)) {
          const i = index.get(name);
          assert.ok(i !== undefined, `the gradient of ${name} belongs to a serve weight`);
          const p = plan.arrays.indexOf(weights[i].values);
          assert.ok(p >= 0);
          const d = relativeDiff(got[p], grad.dataSync());
          assert.ok(d <= 1e-4, `gradient of ${name}: relative difference ${d} (${what})`);
          assert.ok(
            grad.dataSync().some((v) => v !== 0) || (spec.window === 1 && /attention|recurrent/.test(name)),
            `${name}: a gradient that is not all zeros (${what})`,
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

  it('takes the Adam steps tf.train.adam takes, a frozen highway left alone; the same steps give the same weights', () => {
    const rand = seededRandom(83);
    for (let c = 0; c < 6; c++) {
      const kase = randomCase(rand, c);
      const { spec, cfg, batch } = kase;
      const frozen = c % 2 === 0 && cfg.highway;
      const g = buildGraph(spec, cfg);
      const t = tf();
      const optimizer = t.train.adam(0.01);
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = attentionPlan(topology, weights);
        const opts = { batchSize: batch, learningRate: 0.01, frozenHighway: frozen };
        const trainer = new AttentionTrainer(plan, opts);
        const again = new AttentionTrainer(plan, opts);
        const vars = g.serve.weights.filter((w) => !(frozen && w.name.startsWith('highway_dense'))).map((w) => w.val);
        for (let step = 0; step < 3; step++) {
          const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
          const y = Float32Array.from({ length: batch * spec.horizon }, () => rand() * 2 - 1);
          const xt = t.tensor3d(x, [batch, spec.window, spec.features]);
          const yt = t.tensor3d(y, [batch, 1, spec.horizon]);
          optimizer.minimize(() => t.losses.meanSquaredError(yt, g.train.apply(xt)), false, vars);
          t.dispose([xt, yt]);
          trainer.step(x, y, batch);
          again.step(x, y, batch);
        }
        const got = trainer.weights();
        assert.deepStrictEqual(again.weights(), got, 'the same steps give the same weights, bit for bit');
        const what = `${describeCase(kase, c)}, frozen highway ${frozen}`;
        g.serve.weights.forEach((w, i) => {
          const p = plan.arrays.indexOf(weights[i].values);
          const want = w.read().dataSync();
          const d = maxAbsDiff(got[p], want);
          const moved = maxAbsDiff(want, weights[i].values);
          // three steps move a weight by up to 3 lr; the kernel's must be where tfjs's is, to 1e-4 of that
          assert.ok(d <= 1e-4 * 0.03, `${w.name}: |kernel - tfjs| ${d} after 3 steps (${what})`);
          if (frozen && w.name.startsWith('highway_dense')) assert.strictEqual(moved, 0, `${w.name} frozen`);
          else if (spec.window > 1 || !/attention|recurrent/.test(w.name))
            assert.ok(moved > 1e-3, `${w.name} moved (${moved})`);
        });
      } finally {
        optimizer.dispose();
        disposeModels(g.serve, g.train);
      }
    }
  });
});
