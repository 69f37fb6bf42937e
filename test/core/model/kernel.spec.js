'use strict';
// The fused WebAssembly LSTM kernel against tfjs (the reference), on random shapes and seeded weights.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const { kernelPlan, predictBatch, kernelExports, packGates } = require('../../../nodes/core/model/kernel');

const {
  stored,
  storedGraph,
  randomizeWeights,
  maxAbsDiff,
  tfjsModel,
  withActivations,
} = require('../../helpers/kernel-weights');

function tfjsForecast(model, x, shape) {
  return tf().tidy(() => model.predict(tf().tensor3d(x, shape)).dataSync().slice());
}

describe('core/model/kernel: the fused wasm LSTM kernel', function () {
  this.timeout(60000);
  before(async () => {
    await initBackend();
  });

  it('loads the committed wasm', () => {
    const k = kernelExports();
    assert.ok(k, 'kernel loaded');
    assert.strictEqual(typeof k.forward, 'function');
  });

  it('forecasts what tfjs model.predict does, within 1e-5, on random shapes', () => {
    const rand = seededRandom(12);
    const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases = [];
    for (let c = 0; c < 8; c++) {
      const spec = { window: pick(1, 20), features: pick(1, 4), horizon: pick(1, 7) };
      const cfg = resolveModelConfig({
        type: 'lstm',
        units: pick(1, 24),
        layers: 1 + (c % 2),
        seed: c,
        highway: c !== 3,
      });
      cases.push({ spec, cfg, batch: pick(1, 9) });
    }
    cases.push({
      spec: { window: 48, features: 1, horizon: 12 },
      cfg: resolveModelConfig({ units: 64, seed: 1 }),
      batch: 3,
    });
    for (const { spec, cfg, batch } of cases) {
      const g = buildGraph(spec, cfg);
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = kernelPlan(topology, weights);
        assert.ok(plan, `plan for ${JSON.stringify({ spec, cfg })}`);
        assert.strictEqual(plan.units.length, cfg.layers);
        const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
        const want = tfjsForecast(g.serve, x, [batch, spec.window, spec.features]);
        const got = predictBatch(plan, x, batch);
        const d = maxAbsDiff(got, want);
        const what = `units ${cfg.units}, layers ${cfg.layers}, L ${spec.window}, F ${spec.features}, H ${spec.horizon}, B ${batch}`;
        assert.ok(d <= 1e-5, `max |kernel - tfjs| = ${d} (${what})`);
        assert.ok(
          want.some((v) => Math.abs(v) > 1e-3),
          `a forecast that is not all zeros (${what})`,
        );
      } finally {
        disposeModels(g.serve, g.train);
      }
    }
  });

  it('computes the activations the stored topology names (sigmoid, relu)', async () => {
    const rand = seededRandom(5);
    const spec = { window: 6, features: 2, horizon: 3 };
    const g = buildGraph(spec, resolveModelConfig({ units: 5, layers: 2, seed: 2 }));
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
        const want = tfjsForecast(model, x, [4, 6, 2]);
        const got = predictBatch(kernelPlan(topo, weights), x, 4);
        disposeModels(model);
        assert.ok(maxAbsDiff(got, want) <= 1e-5, `${activation}/${recurrent}: ${maxAbsDiff(got, want)}`);
      }
    } finally {
      disposeModels(g.serve, g.train);
    }
  });

  it('declines what it does not compute: attention types, unknown activations, changed weights', () => {
    const spec = { window: 5, features: 1, horizon: 2 };
    for (const type of ['attention', 'gca']) {
      const { topology, weights } = storedGraph(spec, { type, units: 4, seed: 1 });
      assert.strictEqual(kernelPlan(topology, weights), null, type);
    }
    const { topology, weights } = storedGraph(spec, { units: 4, seed: 1 });
    assert.ok(kernelPlan(topology, weights));
    const selu = JSON.parse(JSON.stringify(topology));
    selu.config.layers.find((l) => l.class_name === 'LSTM').config.activation = 'selu';
    assert.strictEqual(kernelPlan(selu, weights), null, 'unknown activation');
    const back = JSON.parse(JSON.stringify(topology));
    back.config.layers.find((l) => l.class_name === 'LSTM').config.go_backwards = true;
    assert.strictEqual(kernelPlan(back, weights), null, 'go_backwards');
    assert.strictEqual(kernelPlan(topology, weights.slice(1)), null, 'a weight missing');
    const wrong = weights.map((w, i) => (i === 0 ? { shape: [2, 16], values: new Float32Array(32) } : w));
    assert.strictEqual(kernelPlan(topology, wrong), null, 'a wrong shape');
  });

  it('forecasts a batch larger than one kernel call in chunks, the same as one by one', () => {
    const rand = seededRandom(9);
    const spec = { window: 4, features: 2, horizon: 2 };
    const g = buildGraph(spec, resolveModelConfig({ units: 4, seed: 1 }));
    randomizeWeights(g.serve, rand);
    const { topology, weights } = stored(g.serve);
    disposeModels(g.serve, g.train);
    const plan = kernelPlan(topology, weights);
    const n = 600;
    const x = Float32Array.from({ length: n * 8 }, () => rand() * 2 - 1);
    const all = predictBatch(plan, x, n);
    for (const i of [0, 255, 256, 599]) {
      assert.deepStrictEqual(
        Array.from(predictBatch(plan, x.subarray(i * 8, i * 8 + 8), 1)),
        Array.from(all.subarray(i * 2, i * 2 + 2)),
      );
    }
  });

  it('packs [K; R] in blocks of 8 gate columns, the last one 4 wide, each block row by row', () => {
    // inDim 2, U 3: n = 12 columns, a block of 8 and one of 4, 5 rows each
    const n = 12;
    const K = Float32Array.from({ length: 2 * n }, (_, i) => i);
    const R = Float32Array.from({ length: 3 * n }, (_, i) => 100 + i);
    const packed = new Float32Array(K.length + R.length).fill(NaN);
    packGates(K, R, n, packed);
    const at = (r, c) => (r < 2 ? K[r * n + c] : R[(r - 2) * n + c]);
    const want = [];
    for (let r = 0; r < 5; r++) for (let c = 0; c < 8; c++) want.push(at(r, c));
    for (let r = 0; r < 5; r++) for (let c = 8; c < 12; c++) want.push(at(r, c));
    assert.deepStrictEqual(Array.from(packed), want);
  });

  it('forecasts any count of windows (blocks of four and the rest) with odd units as tfjs, one by one alike', () => {
    const rand = seededRandom(21);
    // units 5 and 7: 4U is not a multiple of 8, so the packed weights end in a block 4 columns wide
    for (const [units, layers] of [
      [5, 1],
      [7, 2],
    ]) {
      const spec = { window: 7, features: 2, horizon: 3 };
      const g = buildGraph(spec, resolveModelConfig({ units, layers, seed: 4 }));
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const plan = kernelPlan(topology, weights);
        const per = spec.window * spec.features;
        const x = Float32Array.from({ length: 11 * per }, () => rand() * 4 - 2);
        const one = Array.from({ length: 11 }, (_, i) =>
          Array.from(predictBatch(plan, x.subarray(i * per, (i + 1) * per), 1)),
        );
        for (let count = 1; count <= 11; count++) {
          const got = predictBatch(plan, x.subarray(0, count * per), count);
          const want = tfjsForecast(g.serve, x.subarray(0, count * per), [count, spec.window, spec.features]);
          const d = maxAbsDiff(got, want);
          assert.ok(d <= 1e-5, `max |kernel - tfjs| = ${d} (units ${units}, layers ${layers}, ${count} windows)`);
          assert.deepStrictEqual(Array.from(got), one.slice(0, count).flat(), `${count} windows as one by one`);
        }
      } finally {
        disposeModels(g.serve, g.train);
      }
    }
  });
});
