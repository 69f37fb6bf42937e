'use strict';
const assert = require('assert');
const path = require('path');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { GcaAttention } = require('../../../nodes/core/model/gca');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { DEFAULT_MODEL_CONFIG } = require('../../../nodes/core/settings/model');
const {
  lagTask,
  roundTripInFreshProcess,
  seededUniform,
  assertFlatTensorCount,
} = require('../../helpers/attention-helpers');

const close = (actual, expected, tol = 1e-5) => {
  assert.strictEqual(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} vs ${expected[i]} (tolerance ${tol})`),
  );
};

// Scalar reference of GcaAttention for d1 = u = da = 1 (one sample), written from the design:
//   F_0 = mean_t h_t | h_L
//   per n: e_t = v tanh(sh h_t + sm F + sb); alpha = softmax(e)
//          g_t = alpha_t / max alpha | alpha_t | sigmoid(e_t)
//          layer 2 from h = C = 0:  z = k h_t + r h + bias (gates i, f, C~, o)
//            C = g sig(z_i) tanh(z_c) + (1 - g) sig(z_f) C;  h = sig(z_o) tanh(C)
//          F_n = relu(W_n [h ; F] + b_n)
const sig = (x) => 1 / (1 + Math.exp(-x));
function reference(hs, w, iterations, gate, initialMemory) {
  const L = hs.length;
  let F = initialMemory === 'mean' ? hs.reduce((a, b) => a + b, 0) / L : hs[L - 1];
  const memories = [];
  const alphas = [];
  for (let n = 0; n < iterations; n++) {
    const e = hs.map((h) => w.v * Math.tanh(w.sh * h + w.sm * F + w.sb));
    const m = Math.max(...e);
    const ex = e.map((v) => Math.exp(v - m));
    const sum = ex.reduce((a, b) => a + b, 0);
    const alpha = ex.map((v) => v / sum);
    const amax = Math.max(...alpha);
    const g = alpha.map((a, t) => (gate === 'max' ? a / amax : gate === 'softmax' ? a : sig(e[t])));
    let h = 0;
    let C = 0;
    for (let t = 0; t < L; t++) {
      const z = [0, 1, 2, 3].map((j) => w.k[j] * hs[t] + w.r[j] * h + w.b[j]);
      C = g[t] * sig(z[0]) * Math.tanh(z[2]) + (1 - g[t]) * sig(z[1]) * C;
      h = sig(z[3]) * Math.tanh(C);
    }
    F = Math.max(0, w.refine[n][0] * h + w.refine[n][1] * F + w.refineBias[n]);
    memories.push(F);
    alphas.push(...alpha);
  }
  return { last: [F], memories, alphas };
}

describe('core/gca (GcaAttention)', function () {
  this.timeout(120000);
  let t;
  before(async () => {
    await initBackend();
    t = tf();
  });

  it('validates its arguments', () => {
    const ok = { units: 2, attentionUnits: 2 };
    assert.throws(
      () => new GcaAttention({ ...ok, iterations: 4 }),
      (e) => e.code === 'BAD_CONFIG' && /iterations to be an integer from 1 to 3, got 4/.test(e.message),
    );
    assert.throws(
      () => new GcaAttention({ ...ok, gate: 'minmax' }),
      /gate to be one of max, softmax, sigmoid, got "minmax"/,
    );
    assert.throws(() => new GcaAttention({ ...ok, initialMemory: 'first' }), /initialMemory to be one of mean, last/);
    assert.throws(() => new GcaAttention({ ...ok, featureAttention: 'yes' }), /featureAttention to be true or false/);
    assert.throws(() => new GcaAttention({ units: 0, attentionUnits: 2 }), /units/);
  });

  // Hand-set weights for L = 3, d1 = u = da = 1, N = 2.
  const w = {
    sh: 1.5,
    sm: -0.7,
    sb: 0.1,
    v: 2,
    k: [0.5, -0.3, 0.8, 0.2],
    r: [0.1, 0.2, -0.4, 0.3],
    b: [0, 1, 0.1, -0.2],
    refine: [
      [1.2, 0.4],
      [0.9, -0.5],
    ],
    refineBias: [0.05, 0.3],
  };
  const weightTensors = () => [
    t.tensor2d([[w.sh]]),
    t.tensor2d([[w.sm]]),
    t.tensor1d([w.sb]),
    t.tensor2d([[w.v]]),
    t.tensor2d([w.k]),
    t.tensor2d([w.r]),
    t.tensor1d(w.b),
    t.tensor2d([[w.refine[0][0]], [w.refine[0][1]]]),
    t.tensor1d([w.refineBias[0]]),
    t.tensor2d([[w.refine[1][0]], [w.refine[1][1]]]),
    t.tensor1d([w.refineBias[1]]),
  ];
  const hs = [0.9, -0.4, 0.3];

  for (const [gate, initialMemory] of [
    ['max', 'mean'],
    ['softmax', 'last'],
    ['sigmoid', 'mean'],
  ]) {
    it(`forward pass matches the scalar reference (L=3, units 1, N=2, gate ${gate}, F_0 ${initialMemory})`, () => {
      const input = t.input({ shape: [3, 1] });
      const layer = new GcaAttention({ units: 1, attentionUnits: 1, iterations: 2, gate, initialMemory, name: 'g' });
      const outs = layer.apply(input);
      assert.strictEqual(outs.length, 3);
      const model = t.model({ inputs: input, outputs: outs });
      layer.setWeights(weightTensors());
      const [last, all, alpha] = model.predict(t.tensor3d([hs.map((h) => [h])]));
      const ref = reference(hs, w, 2, gate, initialMemory);
      close(Array.from(last.dataSync()), ref.last);
      close(Array.from(all.dataSync()), ref.memories);
      close(Array.from(alpha.dataSync()), ref.alphas);
      assert.deepStrictEqual(
        [last.shape, all.shape, alpha.shape],
        [
          [1, 1],
          [1, 2, 1],
          [1, 2, 3],
        ],
      );
    });
  }

  it('a hand-computed value: gate max with one iteration', () => {
    // e_t = 2 tanh(1.5 h_t - 0.7 F_0 + 0.1), F_0 = mean(0.9, -0.4, 0.3) = 0.2666667
    // e = [2 tanh(1.1633), 2 tanh(-0.6867), 2 tanh(0.3633)] = [1.70396, -1.19167, 0.69629]
    // alpha = softmax(e) = [0.70406, 0.03891, 0.25703] -> g = alpha / max = [1, 0.05526, 0.36507]
    const ref = reference(hs, w, 1, 'max', 'mean');
    close(ref.alphas, [0.70406, 0.03891, 0.25703], 1e-4);
    // and the layer itself (weights of iteration 1 only)
    const input = t.input({ shape: [3, 1] });
    const layer = new GcaAttention({ units: 1, attentionUnits: 1, iterations: 1, gate: 'max', name: 'g1' });
    const model = t.model({ inputs: input, outputs: layer.apply(input) });
    layer.setWeights(weightTensors().slice(0, 9));
    const [last, , alpha] = model.predict(t.tensor3d([hs.map((h) => [h])]));
    close(Array.from(alpha.dataSync()), [0.70406, 0.03891, 0.25703], 1e-4);
    close(Array.from(last.dataSync()), ref.last);
  });

  const spec = { window: 5, features: 2, horizon: 3 };
  const cfg = { ...DEFAULT_MODEL_CONFIG, type: 'gca', units: 4, attentionUnits: 3, iterations: 2, seed: 9 };

  it('builds train [B,N,H] and serve [forecast [B,H], attention [B,N,L]]; rows sum to 1; train row N = forecast', () => {
    const g = buildGraph(spec, cfg);
    assert.strictEqual(g.iterations, 2);
    assert.strictEqual(g.hasAttention, true);
    const x = t.tensor3d(seededUniform(3 * 5 * 2, 4), [3, 5, 2]);
    const perIteration = g.train.predict(x);
    assert.deepStrictEqual(perIteration.shape, [3, 2, 3]);
    const [f, a] = g.serve.predict(x);
    assert.deepStrictEqual(f.shape, [3, 3]);
    assert.deepStrictEqual(a.shape, [3, 2, 5]);
    close(Array.from(t.sum(a, -1).dataSync()), [1, 1, 1, 1, 1, 1]);
    close(Array.from(perIteration.slice([0, 1, 0], [3, 1, 3]).dataSync()), Array.from(f.dataSync()));
    // LSTM 4(2+4+1)4 = 112; score 4*3*2 + 3 + 3 = 30; layer 2 4*16 + 4*16 + 16 = 144;
    // refine 2 * (8*4 + 4) = 72; head 4*3 + 3 = 15; highway 10*3 + 3 = 33
    assert.strictEqual(g.serve.countParams(), 112 + 30 + 144 + 72 + 15 + 33);
  });

  it('feature attention adds a third serve output [B,N,L,F] summing to 1 over features', () => {
    const g = buildGraph(spec, { ...cfg, featureAttention: true });
    const x = t.tensor3d(seededUniform(2 * 5 * 2, 5), [2, 5, 2]);
    const outs = g.serve.predict(x);
    assert.strictEqual(outs.length, 3);
    assert.deepStrictEqual(outs[2].shape, [2, 2, 5, 2]);
    close(Array.from(t.sum(outs[2], -1).dataSync()), new Array(20).fill(1));
    assert.deepStrictEqual(g.train.predict(x).shape, [2, 2, 3]);
  });

  it('feature attention with uniform weights leaves the step features unchanged (x~ = F beta x)', () => {
    // With feature_v = 0 the softmax over F is uniform, F * (1/F) x = x: the layer then
    // equals the same layer without feature attention whose kernel is [kernel ; kernel_features]
    // applied to [h ; x]. Check: with kernel_features = 0 both layers give the same output.
    const h = t.input({ shape: [3, 1] });
    const xIn = t.input({ shape: [3, 2] });
    const withF = new GcaAttention({ units: 1, attentionUnits: 1, iterations: 2, featureAttention: true, name: 'gf' });
    const outs = withF.apply([h, xIn]);
    const m = t.model({ inputs: [h, xIn], outputs: outs });
    withF.setWeights([
      ...weightTensors(),
      t.ones([2, 1]),
      t.ones([1, 1]),
      t.zeros([1]),
      t.zeros([1, 2]),
      t.zeros([2, 4]),
    ]);
    const res = m.predict([
      t.tensor3d([hs.map((v) => [v])]),
      t.tensor3d([
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      ]),
    ]);
    const ref = reference(hs, w, 2, 'softmax', 'mean'); // the default gate
    close(Array.from(res[1].dataSync()), ref.memories);
    close(Array.from(res[3].dataSync()), new Array(12).fill(0.5));
  });

  it('defaults: gate softmax, F_0 mean, layer 2 forget bias 3; a config saved with gate max keeps it', () => {
    const layer = new GcaAttention({ units: 2, attentionUnits: 2, iterations: 1, name: 'gd' });
    assert.deepStrictEqual([layer.gate, layer.initialMemory, layer.featureAttention], ['softmax', 'mean', false]);
    layer.apply(t.input({ shape: [3, 2] }));
    const bias = layer.weights.find((v) => v.originalName === 'gd/bias');
    close(Array.from(bias.read().dataSync()), [0, 0, 3, 3, 0, 0, 0, 0]);
    // A layer config written before the default changed (every GCA artifact stores its gate).
    const old = {
      name: 'gca',
      trainable: true,
      units: 4,
      attentionUnits: 3,
      iterations: 2,
      gate: 'max',
      initialMemory: 'mean',
      featureAttention: false,
      seed: 9,
    };
    assert.strictEqual(GcaAttention.fromConfig(GcaAttention, old).gate, 'max');
  });

  it('getConfig round trip', () => {
    const layer = new GcaAttention({
      units: 5,
      attentionUnits: 4,
      iterations: 3,
      gate: 'sigmoid',
      initialMemory: 'last',
      featureAttention: true,
      seed: 2,
      name: 'gx',
    });
    const config = layer.getConfig();
    assert.deepStrictEqual(
      [
        config.units,
        config.attentionUnits,
        config.iterations,
        config.gate,
        config.initialMemory,
        config.featureAttention,
        config.seed,
      ],
      [5, 4, 3, 'sigmoid', 'last', true, 2],
    );
    assert.deepStrictEqual(JSON.parse(JSON.stringify(config)), config);
    assert.deepStrictEqual(GcaAttention.fromConfig(GcaAttention, config).getConfig(), config);
  });

  // A window -> LSTM -> GcaAttention model with a non-default gate and initial
  // memory, so the round trip proves the layer's whole config is saved.
  const gcaModel = (featureAttention) => {
    const input = t.input({ shape: [spec.window, spec.features] });
    const states = t.layers
      .lstm({ units: cfg.units, returnSequences: true, kernelInitializer: t.initializers.glorotUniform({ seed: 1 }) })
      .apply(input);
    const layer = new GcaAttention({
      units: cfg.units,
      attentionUnits: cfg.attentionUnits,
      iterations: 2,
      gate: 'max',
      initialMemory: 'last',
      featureAttention,
      seed: 3,
      name: 'gca',
    });
    const outs = layer.apply(featureAttention ? [states, input] : states);
    return {
      serve: t.model({ inputs: input, outputs: featureAttention ? [outs[0], outs[2], outs[3]] : [outs[0], outs[2]] }),
    };
  };

  for (const featureAttention of [false, true]) {
    it(`saves and loads (toJSON + modelFromJSON + setWeights), here and in a fresh process${featureAttention ? ', feature attention' : ''}`, async () => {
      const g = gcaModel(featureAttention);
      const x = t.tensor3d(seededUniform(2 * 5 * 2, 6), [2, 5, 2]);
      const expected = g.serve.predict(x).map((o) => Array.from(o.dataSync()));
      const topology = JSON.parse(JSON.stringify(g.serve.toJSON(null, false)));
      const loaded = await t.models.modelFromJSON({ modelTopology: topology });
      loaded.setWeights(g.serve.getWeights());
      assert.deepStrictEqual(
        loaded.predict(x).map((o) => Array.from(o.dataSync())),
        expected,
      );
      const fresh = roundTripInFreshProcess(path.resolve(__dirname, '../../../nodes/core/model/gca.js'), g.serve, x);
      assert.strictEqual(fresh.length, featureAttention ? 3 : 2);
      fresh.forEach((out, i) => close(out, expected[i], 1e-6));
    });
  }

  it('does not grow the tensor count over repeated predictions', () => {
    assertFlatTensorCount(t, buildGraph(spec, { ...cfg, featureAttention: true }).serve, [2, 5, 2], 7);
  });

  it("toy task: y = x at a fixed lag -> the final iteration's attention peaks at that lag", async () => {
    // Window L = 8 of [value, position], target = value at lag 5 (index 2), both
    // iterations supervised. No highway (the linear path alone solves a pure lag copy).
    // Layer 1 could also carry the value to the end itself; the test asserts that the
    // attention found the lag. Measured (wasm, seed 1): loss 0.287 -> 0.002, final
    // attention 0.14 0.36 0.39 0.11 0.01 0.00 0.00 0.00. With the old 'max' gate the
    // attention stayed flat (see gca.ts). Seed 3 reaches the same loss with a flatter
    // attention (0.24 at step 1, 0.22 at 2): a test of the mechanism, not of every seed.
    const L = 8;
    const lag = 5;
    const n = 256;
    const { xs, ys, index } = lagTask(n, L, lag, 11);
    const g = buildGraph(
      { window: L, features: 2, horizon: 1 },
      { ...cfg, units: 8, attentionUnits: 8, iterations: 2, highway: false, seed: 1 },
    );
    g.train.compile({ optimizer: t.train.adam(0.02), loss: 'meanSquaredError' });
    const x = t.tensor3d(xs);
    const y = t.tensor3d(ys.map((v) => [[v], [v]]));
    const history = await g.train.fit(x, y, { epochs: 40, batchSize: 32, shuffle: false, verbose: 0 });
    const [, a] = g.serve.predict(x);
    const final = Array.from(t.mean(a.slice([0, 1, 0], [n, 1, L]), [0, 1]).dataSync());
    const peak = final.indexOf(Math.max(...final));
    const losses = history.history.loss;
    const shown = final.map((v) => v.toFixed(2)).join(' ');
    assert.ok(losses.at(-1) < 0.1 * losses[0], `loss ${losses[0]} -> ${losses.at(-1)}`);
    assert.ok(Math.abs(peak - index) <= 1, `final attention peaks at step ${peak}, expected ${index} +-1: ${shown}`);
    assert.ok(final[index] > 2 / L, `attention at the lag ${final[index]} is not above twice uniform: ${shown}`);
  });
});
