'use strict';
// The 'attention' type's forecasts through the kernel's LSTM encoder (model/kernel.ts attentionPlan,
// predictAttention) against tfjs (the reference): forecasts and attention weights, on random shapes.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const {
  attentionPlan,
  predictAttention,
  kernelPlan,
  predictBatch,
  kernelExports,
  makeResident,
  packGates,
  align,
  CFG_INTS,
  PAGE,
} = require('../../../nodes/core/model/kernel');

const {
  stored,
  storedGraph,
  randomizeWeights,
  maxAbsDiff,
  tfjsModel,
  withActivations,
} = require('../../helpers/kernel-weights');

/** The tfjs serve model's [forecast, alpha] for x. */
function tfjsPredict(model, x, shape) {
  return tf().tidy(() => model.predict(tf().tensor3d(x, shape)).map((o) => o.dataSync().slice()));
}

describe('core/model/kernel: attention forecasts through the kernel encoder', function () {
  this.timeout(60000);
  before(async () => {
    await initBackend();
  });

  it('forecasts and attends as tfjs model.predict does, within 1e-5, on random shapes', () => {
    const rand = seededRandom(21);
    const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases = [];
    for (let c = 0; c < 8; c++) {
      const spec = { window: pick(1, 20), features: pick(1, 4), horizon: pick(1, 7) };
      const cfg = resolveModelConfig({
        type: 'attention',
        units: pick(1, 24),
        attentionUnits: pick(1, 16),
        seed: c,
        highway: c !== 3,
      });
      cases.push({ spec, cfg, batch: pick(1, 9) });
    }
    cases.push({
      spec: { window: 48, features: 1, horizon: 12 },
      cfg: resolveModelConfig({ type: 'attention', units: 64, seed: 1 }),
      batch: 3,
    });
    for (const { spec, cfg, batch } of cases) {
      const g = buildGraph(spec, cfg);
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = attentionPlan(topology, weights);
        const what = `units ${cfg.units}, da ${cfg.attentionUnits}, highway ${cfg.highway}, L ${spec.window}, F ${spec.features}, H ${spec.horizon}, B ${batch}`;
        assert.ok(plan, `plan for ${what}`);
        assert.strictEqual(plan.highway, cfg.highway);
        const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
        const [wantF, wantA] = tfjsPredict(g.serve, x, [batch, spec.window, spec.features]);
        const got = predictAttention(plan, x, batch);
        const dF = maxAbsDiff(got.forecast, wantF);
        const dA = maxAbsDiff(got.alpha, wantA);
        assert.ok(dF <= 1e-5, `forecast: max |kernel - tfjs| = ${dF} (${what})`);
        assert.ok(dA <= 1e-5, `attention: max |kernel - tfjs| = ${dA} (${what})`);
        assert.ok(
          wantF.some((v) => Math.abs(v) > 1e-3),
          `a forecast that is not all zeros (${what})`,
        );
        if (spec.window > 1) {
          assert.ok(
            wantA.some((v) => Math.abs(v - 1 / spec.window) > 1e-3),
            `attention that is not uniform (${what})`,
          );
        }
      } finally {
        disposeModels(g.serve, g.train);
      }
    }
  });

  it('computes the activations the stored topology names (sigmoid, relu)', async () => {
    const rand = seededRandom(6);
    const spec = { window: 6, features: 2, horizon: 3 };
    const g = buildGraph(spec, resolveModelConfig({ type: 'attention', units: 5, attentionUnits: 4, seed: 2 }));
    try {
      randomizeWeights(g.serve, rand);
      const { topology, weights } = stored(g.serve);
      for (const [activation, recurrent] of [
        ['relu', 'sigmoid'],
        ['tanh', 'sigmoid'],
      ]) {
        const topo = withActivations(topology, activation, recurrent);
        const model = await tfjsModel(topo, weights);
        const x = Float32Array.from({ length: 4 * 6 * 2 }, () => rand() * 2 - 1);
        const [wantF, wantA] = tfjsPredict(model, x, [4, 6, 2]);
        const got = predictAttention(attentionPlan(topo, weights), x, 4);
        disposeModels(model);
        assert.ok(maxAbsDiff(got.forecast, wantF) <= 1e-5, `${activation}/${recurrent}: forecast`);
        assert.ok(maxAbsDiff(got.alpha, wantA) <= 1e-5, `${activation}/${recurrent}: attention`);
      }
    } finally {
      disposeModels(g.serve, g.train);
    }
  });

  it('declines what it does not compute: other types, unknown activations, changed graphs and weights', () => {
    const spec = { window: 5, features: 1, horizon: 2 };
    for (const type of ['lstm', 'gca']) {
      const { topology, weights } = storedGraph(spec, { type, units: 4, seed: 1 });
      assert.strictEqual(attentionPlan(topology, weights), null, type);
    }
    const { topology, weights } = storedGraph(spec, { type: 'attention', units: 4, seed: 1 });
    assert.ok(attentionPlan(topology, weights));
    const edit = (fn) => {
      const topo = JSON.parse(JSON.stringify(topology));
      fn(topo);
      return topo;
    };
    const lstm = (topo) => topo.config.layers.find((l) => l.class_name === 'LSTM');
    const cases = {
      'unknown activation': edit((t) => (lstm(t).config.activation = 'selu')),
      go_backwards: edit((t) => (lstm(t).config.go_backwards = true)),
      'last state only': edit((t) => (lstm(t).config.return_sequences = false)),
      'head on the attention weights': edit((t) => {
        t.config.layers.find((l) => l.name === 'head').inbound_nodes[0][0][2] = 1;
      }),
      'a softmax head': edit((t) => (t.config.layers.find((l) => l.name === 'head').config.activation = 'softmax')),
      'an unknown layer': edit((t) => (t.config.layers.find((l) => l.name === 'attention').class_name = 'Other')),
      'one output': edit((t) => (t.config.output_layers = t.config.output_layers.slice(0, 1))),
    };
    for (const [what, topo] of Object.entries(cases)) assert.strictEqual(attentionPlan(topo, weights), null, what);
    assert.strictEqual(attentionPlan(topology, weights.slice(1)), null, 'a weight missing');
    const wrong = weights.map((w, i) => (i === 3 ? { shape: [4, 7], values: new Float32Array(28) } : w));
    assert.strictEqual(attentionPlan(topology, wrong), null, 'a wrong shape');
  });

  it('forecasts a batch larger than one kernel call in chunks, the same as one by one', () => {
    const rand = seededRandom(10);
    const spec = { window: 4, features: 2, horizon: 2 };
    const g = buildGraph(spec, resolveModelConfig({ type: 'attention', units: 4, attentionUnits: 3, seed: 1 }));
    randomizeWeights(g.serve, rand);
    const { topology, weights } = stored(g.serve);
    disposeModels(g.serve, g.train);
    const plan = attentionPlan(topology, weights);
    const n = 600;
    const x = Float32Array.from({ length: n * 8 }, () => rand() * 2 - 1);
    const all = predictAttention(plan, x, n);
    for (const i of [0, 255, 256, 599]) {
      const one = predictAttention(plan, x.subarray(i * 8, i * 8 + 8), 1);
      assert.deepStrictEqual(Array.from(one.forecast), Array.from(all.forecast.subarray(i * 2, i * 2 + 2)));
      assert.deepStrictEqual(Array.from(one.alpha), Array.from(all.alpha.subarray(i * 4, i * 4 + 4)));
    }
  });

  it("keeps every step's states of the packed forecast encoder bit for bit those of encode (row-major)", () => {
    // encode (row-major K, R, every step's C and Z kept) is what training and gca share; the attention
    // forecasts read [K; R] packed and keep only H: their states must not differ by a bit.
    const rand = seededRandom(14);
    const k = kernelExports();
    const [n, T, F, U] = [7, 5, 2, 6];
    const K = Float32Array.from({ length: F * 4 * U }, () => rand() - 0.5);
    const R = Float32Array.from({ length: U * 4 * U }, () => rand() - 0.5);
    const b = Float32Array.from({ length: 4 * U }, () => rand() - 0.5);
    const x = Float32Array.from({ length: n * T * F }, () => rand() * 4 - 2);
    let at = align(k.heapBase());
    const place = (floats) => {
      const o = at;
      at += align(floats * 4);
      return o;
    };
    const [cfg, kAt, rAt, bAt, pAt, xAt] = [CFG_INTS, K.length, R.length, b.length, K.length + R.length, x.length].map(
      place,
    );
    const [s1, s2] = [n * U * (6 * T + 2), n * U * (T + 6)].map(place);
    if (at > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((at - k.memory.buffer.byteLength) / PAGE));
    makeResident({}); // the weights of the last forecast are overwritten here
    const f32 = (o, len) => new Float32Array(k.memory.buffer, o, len);
    [
      [kAt, K],
      [rAt, R],
      [bAt, b],
      [xAt, x],
    ].forEach(([o, a]) => f32(o, a.length).set(a));
    packGates(K, R, 4 * U, f32(pAt, K.length + R.length));
    const ints = new Int32Array(k.memory.buffer, cfg, CFG_INTS).fill(0);
    ints.set([n, T, F, 1, U]);
    [ints[8], ints[9], ints[10], ints[12], ints[13], ints[14], ints[22]] = [3, 1, xAt, kAt, rAt, bAt, s1];
    k.encode(cfg);
    const want = Array.from(f32(s1, (T + 1) * n * U));
    ints[12] = pAt;
    ints[22] = s2;
    f32(s2, (T + 1) * n * U).fill(NaN);
    k.encodeStates(cfg);
    const got = Array.from(f32(s2, (T + 1) * n * U));
    assert.ok(
      want.slice(n * U).some((v) => Math.abs(v) > 1e-3),
      'states that are not all zeros',
    );
    assert.deepStrictEqual(got, want);
  });

  it('an lstm forecast after an attention one (and back) uses its own weights in the kernel', () => {
    const rand = seededRandom(11);
    const spec = { window: 4, features: 2, horizon: 2 };
    const ga = buildGraph(spec, resolveModelConfig({ type: 'attention', units: 4, seed: 1 }));
    const gl = buildGraph(spec, resolveModelConfig({ units: 4, seed: 2 }));
    randomizeWeights(ga.serve, rand);
    randomizeWeights(gl.serve, rand);
    const a = stored(ga.serve);
    const l = stored(gl.serve);
    disposeModels(ga.serve, ga.train, gl.serve, gl.train);
    const ap = attentionPlan(a.topology, a.weights);
    const lp = kernelPlan(l.topology, l.weights);
    const x = Float32Array.from({ length: 3 * 8 }, () => rand() * 2 - 1);
    const lFirst = Array.from(predictBatch(lp, x, 3));
    const aFirst = Array.from(predictAttention(ap, x, 3).forecast);
    assert.deepStrictEqual(Array.from(predictBatch(lp, x, 3)), lFirst);
    assert.deepStrictEqual(Array.from(predictAttention(ap, x, 3).forecast), aFirst);
  });
});
