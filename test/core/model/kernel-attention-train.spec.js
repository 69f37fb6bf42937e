'use strict';
// The 'attention' type's training step through the kernel (model/kernel.ts AttentionTrainer) against tfjs (the
// reference): the encoder's backward through time from every step's hidden-state gradient, against
// tf.variableGrads, on random shapes.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const { attentionPlan, AttentionTrainer } = require('../../../nodes/core/model/kernel');

const { stored, randomizeWeights } = require('../../helpers/kernel-weights');

/** max |got - want| over the largest |want| of the tensor (1 when it is all zeros). */
function relativeDiff(got, want) {
  assert.strictEqual(got.length, want.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    d = Math.max(d, Math.abs(got[i] - want[i]));
    m = Math.max(m, Math.abs(want[i]));
  }
  return d / (m || 1);
}

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
});
