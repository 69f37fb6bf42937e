'use strict';
// The 'gca' type's forecasts through the kernel's LSTM encoder (model/kernel-gca.ts gcaPlan, predictGca) against
// tfjs (the reference): forecasts, attention weights and feature maps, on random shapes and every gate, initial
// memory, iteration count and feature-attention setting.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { disposeModels } = require('../../../nodes/core/model/artifact');
const { resolveModelConfig } = require('../../../nodes/core/settings/model');
const { seededRandom } = require('../../../nodes/core/base/random');
const { attentionPlan, predictAttention, kernelPlan, predictBatch } = require('../../../nodes/core/model/kernel');
const { gcaPlan, predictGca } = require('../../../nodes/core/model/kernel-gca');

const {
  stored,
  storedGraph,
  randomizeWeights,
  maxAbsDiff,
  tfjsModel,
  withActivations,
} = require('../../helpers/kernel-weights');

/** The tfjs serve model's outputs for x: [forecast, alpha] or [forecast, alpha, beta]. */
function tfjsPredict(model, x, shape) {
  return tf().tidy(() => model.predict(tf().tensor3d(x, shape)).map((o) => o.dataSync().slice()));
}

/** The topology with the GcaAttention layer's gate and initial memory set. */
function withModes(topology, gate, memory) {
  const topo = JSON.parse(JSON.stringify(topology));
  const gca = topo.config.layers.find((l) => l.class_name === 'GcaAttention');
  gca.config.gate = gate;
  gca.config.initial_memory = memory;
  return topo;
}

/** A tfjs model of `topo` holding `weights`. */
describe('core/model/kernel-gca: gca forecasts through the kernel encoder', function () {
  this.timeout(60000);
  before(async () => {
    await initBackend();
  });

  it('forecasts, attends and weighs features as tfjs does, within 1e-5, on random shapes and every mode', async () => {
    const rand = seededRandom(31);
    const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
    const gates = ['softmax', 'max', 'sigmoid'];
    const memories = ['mean', 'last'];
    const cases = [];
    for (let c = 0; c < 12; c++) {
      const featureAttention = c % 3 === 2;
      const spec = { window: pick(1, 16), features: featureAttention ? pick(2, 4) : pick(1, 4), horizon: pick(1, 6) };
      const cfg = resolveModelConfig({
        type: 'gca',
        units: pick(2, 12),
        attentionUnits: pick(1, 9),
        iterations: (c % 3) + 1,
        featureAttention,
        seed: c,
        highway: c !== 4,
      });
      cases.push({ spec, cfg, batch: pick(1, 7), gate: gates[c % 3], memory: memories[Math.floor(c / 3) % 2] });
    }
    // every gate with every initial memory, N = 1-3, with and without feature attention, at the pack's sizes
    for (const [i, gate] of gates.entries()) {
      for (const memory of memories) {
        cases.push({
          spec: { window: 24, features: 3, horizon: 6 },
          cfg: resolveModelConfig({
            type: 'gca',
            units: 16,
            iterations: i + 1,
            featureAttention: memory === 'last',
            seed: 7,
          }),
          batch: 5,
          gate,
          memory,
        });
      }
    }
    // the benchmark's model: window 48, 64 units, N = 2
    cases.push({
      spec: { window: 48, features: 1, horizon: 12 },
      cfg: resolveModelConfig({ type: 'gca', units: 64, seed: 1 }),
      batch: 3,
      gate: 'softmax',
      memory: 'mean',
    });
    for (const { spec, cfg, batch, gate, memory } of cases) {
      const g = buildGraph(spec, cfg);
      const what =
        `units ${cfg.units}, da ${cfg.attentionUnits}, N ${cfg.iterations}, gate ${gate}, memory ${memory}, ` +
        `feature attention ${cfg.featureAttention}, highway ${cfg.highway}, ` +
        `L ${spec.window}, F ${spec.features}, H ${spec.horizon}, B ${batch}`;
      let model;
      try {
        randomizeWeights(g.serve, rand);
        const { topology, weights } = stored(g.serve);
        const topo = withModes(topology, gate, memory);
        model = await tfjsModel(topo, weights);
        const plan = gcaPlan(topo, weights);
        assert.ok(plan, `plan for ${what}`);
        assert.deepStrictEqual(
          [plan.gate, plan.initialMemory, plan.iterations, plan.featureAttention, plan.highway],
          [gate, memory, cfg.iterations, cfg.featureAttention, cfg.highway],
        );
        const x = Float32Array.from({ length: batch * spec.window * spec.features }, () => rand() * 4 - 2);
        const want = tfjsPredict(model, x, [batch, spec.window, spec.features]);
        const got = predictGca(plan, x, batch);
        assert.strictEqual(want.length, cfg.featureAttention ? 3 : 2);
        const dF = maxAbsDiff(got.forecast, want[0]);
        const dA = maxAbsDiff(got.alpha, want[1]);
        assert.ok(dF <= 1e-5, `forecast: max |kernel - tfjs| = ${dF} (${what})`);
        assert.ok(dA <= 1e-5, `attention: max |kernel - tfjs| = ${dA} (${what})`);
        if (cfg.featureAttention) {
          const dB = maxAbsDiff(got.beta, want[2]);
          assert.ok(dB <= 1e-5, `feature attention: max |kernel - tfjs| = ${dB} (${what})`);
        } else assert.strictEqual(got.beta, undefined);
        assert.ok(
          want[0].some((v) => Math.abs(v) > 1e-3),
          `a forecast that is not all zeros (${what})`,
        );
        if (spec.window > 1) {
          assert.ok(
            want[1].some((v) => Math.abs(v - 1 / spec.window) > 1e-3),
            `attention that is not uniform (${what})`,
          );
        }
      } finally {
        disposeModels(g.serve, g.train);
        if (model) disposeModels(model);
      }
    }
  });

  it('the gate and the initial memory change the forecast (the modes above are not all one computation)', async () => {
    const rand = seededRandom(8);
    const spec = { window: 8, features: 2, horizon: 3 };
    const g = buildGraph(spec, resolveModelConfig({ type: 'gca', units: 6, seed: 3 }));
    randomizeWeights(g.serve, rand);
    const { topology, weights } = stored(g.serve);
    disposeModels(g.serve, g.train);
    const x = Float32Array.from({ length: 2 * 16 }, () => rand() * 2 - 1);
    const forecasts = [];
    for (const gate of ['softmax', 'max', 'sigmoid']) {
      for (const memory of ['mean', 'last']) {
        forecasts.push(Array.from(predictGca(gcaPlan(withModes(topology, gate, memory), weights), x, 2).forecast));
      }
    }
    for (let i = 0; i < forecasts.length; i++) {
      for (let j = i + 1; j < forecasts.length; j++) {
        assert.ok(maxAbsDiff(forecasts[i], forecasts[j]) > 1e-4, `modes ${i} and ${j} give the same forecast`);
      }
    }
  });

  it('computes the activations the stored topology names for layer 1 (sigmoid, relu)', async () => {
    const rand = seededRandom(9);
    const spec = { window: 6, features: 2, horizon: 3 };
    const g = buildGraph(spec, resolveModelConfig({ type: 'gca', units: 5, attentionUnits: 4, seed: 2 }));
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
        disposeModels(model);
        const got = predictGca(gcaPlan(topo, weights), x, 4);
        assert.ok(maxAbsDiff(got.forecast, wantF) <= 1e-5, `${activation}/${recurrent}: forecast`);
        assert.ok(maxAbsDiff(got.alpha, wantA) <= 1e-5, `${activation}/${recurrent}: attention`);
      }
    } finally {
      disposeModels(g.serve, g.train);
    }
  });

  it('declines what it does not compute: other types, unknown options, changed graphs and weights', () => {
    const spec = { window: 5, features: 2, horizon: 2 };
    for (const type of ['lstm', 'attention']) {
      const { topology, weights } = storedGraph(spec, { type, units: 4, seed: 1 });
      assert.strictEqual(gcaPlan(topology, weights), null, type);
    }
    const { topology, weights } = storedGraph(spec, { type: 'gca', units: 4, seed: 1 });
    assert.ok(gcaPlan(topology, weights));
    const edit = (fn) => {
      const topo = JSON.parse(JSON.stringify(topology));
      fn(topo);
      return topo;
    };
    const layer = (topo, name) => topo.config.layers.find((l) => l.name === name);
    const cases = {
      'unknown activation': edit((t) => (layer(t, 'lstm_1').config.activation = 'selu')),
      go_backwards: edit((t) => (layer(t, 'lstm_1').config.go_backwards = true)),
      'last state only': edit((t) => (layer(t, 'lstm_1').config.return_sequences = false)),
      'unknown gate': edit((t) => (layer(t, 'gca').config.gate = 'hard')),
      'unknown initial memory': edit((t) => (layer(t, 'gca').config.initial_memory = 'first')),
      'four iterations': edit((t) => (layer(t, 'gca').config.iterations = 4)),
      'an option this code does not know': edit((t) => (layer(t, 'gca').config.dropout = 0.1)),
      'feature attention without the window input': edit((t) => (layer(t, 'gca').config.feature_attention = true)),
      'head on the memories of every iteration': edit((t) => (layer(t, 'head').inbound_nodes[0][0][2] = 1)),
      'a softmax head': edit((t) => (layer(t, 'head').config.activation = 'softmax')),
      'an unknown layer': edit((t) => (layer(t, 'gca').class_name = 'Other')),
      'one output': edit((t) => (t.config.output_layers = t.config.output_layers.slice(0, 1))),
      'the memories as second output': edit((t) => (t.config.output_layers[1][2] = 1)),
    };
    for (const [what, topo] of Object.entries(cases)) assert.strictEqual(gcaPlan(topo, weights), null, what);
    assert.strictEqual(gcaPlan(topology, weights.slice(1)), null, 'a weight missing');
    const wrong = weights.map((w, i) => (i === 3 ? { shape: [4, 7], values: new Float32Array(28) } : w));
    assert.strictEqual(gcaPlan(topology, wrong), null, 'a wrong shape');
  });

  it("declines a model too large for the kernel's memory bound (tfjs forecasts it)", () => {
    const spec = { window: 6, features: 1, horizon: 2 };
    const { topology } = storedGraph(spec, { type: 'gca', units: 4, attentionUnits: 4, seed: 1 });
    // 1024 units (the most the settings allow) in both LSTMs: about 48 MB of weights in the kernel's memory, and a
    // window of 3,000 steps whose layer-1 states alone take 74 MB; zeros of the shapes the plan expects
    const sized = (units, T) => {
      const topo = JSON.parse(JSON.stringify(topology));
      for (const l of topo.config.layers) if (l.name === 'lstm_1' || l.name === 'gca') l.config.units = units;
      topo.config.layers[0].config.batch_input_shape = [null, T, 1];
      const [d, da, H] = [units, 4, 2];
      const shapes = [[1, 4 * d], [d, 4 * d], [4 * d], [d, da], [d, da], [da], [da, 1], [d, 4 * d], [d, 4 * d]];
      shapes.push([4 * d], [2 * d, d], [d], [2 * d, d], [d], [d, H], [H], [T, H], [H]);
      const weights = shapes.map((shape) => ({ shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)) }));
      return gcaPlan(topo, weights);
    };
    assert.strictEqual(sized(1024, 3000), null);
    assert.ok(sized(1024, 48), 'the same units with a window of 48 fit');
    assert.ok(sized(64, 3000), 'the same window with 64 units fits');
  });

  it('forecasts a batch larger than one kernel call in chunks, bitwise the same as one by one', () => {
    const rand = seededRandom(10);
    const spec = { window: 4, features: 2, horizon: 2 };
    const g = buildGraph(
      spec,
      resolveModelConfig({ type: 'gca', units: 4, attentionUnits: 3, featureAttention: true, seed: 1 }),
    );
    randomizeWeights(g.serve, rand);
    const { topology, weights } = stored(g.serve);
    disposeModels(g.serve, g.train);
    const plan = gcaPlan(topology, weights);
    const n = 600;
    const x = Float32Array.from({ length: n * 8 }, () => rand() * 2 - 1);
    const all = predictGca(plan, x, n);
    for (const i of [0, 1, 255, 256, 599]) {
      const one = predictGca(plan, x.subarray(i * 8, i * 8 + 8), 1);
      assert.deepStrictEqual(Array.from(one.forecast), Array.from(all.forecast.subarray(i * 2, i * 2 + 2)));
      assert.deepStrictEqual(Array.from(one.alpha), Array.from(all.alpha.subarray(i * 8, i * 8 + 8)));
      assert.deepStrictEqual(Array.from(one.beta), Array.from(all.beta.subarray(i * 16, i * 16 + 16)));
    }
  });

  it('gca, lstm and attention forecasts in turn each use their own weights in the kernel', () => {
    const rand = seededRandom(11);
    const spec = { window: 4, features: 2, horizon: 2 };
    const graphs = ['gca', 'attention', 'lstm'].map((type) =>
      buildGraph(spec, resolveModelConfig({ type, units: 4, seed: 1 })),
    );
    const [gg, ga, gl] = graphs.map((g) => {
      randomizeWeights(g.serve, rand);
      const s = stored(g.serve);
      disposeModels(g.serve, g.train);
      return s;
    });
    const gp = gcaPlan(gg.topology, gg.weights);
    const ap = attentionPlan(ga.topology, ga.weights);
    const lp = kernelPlan(gl.topology, gl.weights);
    const x = Float32Array.from({ length: 3 * 8 }, () => rand() * 2 - 1);
    const runs = () => [
      Array.from(predictGca(gp, x, 3).forecast),
      Array.from(predictBatch(lp, x, 3)),
      Array.from(predictAttention(ap, x, 3).forecast),
    ];
    const first = runs();
    assert.deepStrictEqual(runs(), first);
    assert.deepStrictEqual(Array.from(predictGca(gp, x, 3).forecast), first[0]);
  });
});
