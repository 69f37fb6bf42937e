'use strict';
const assert = require('assert');
const path = require('path');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { AdditiveAttention, buildAttentionGraph } = require('../../../nodes/core/model/attention');
const { timeSteps } = require('../../../nodes/core/model/layer-math');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { DEFAULT_MODEL_CONFIG } = require('../../../nodes/core/settings/model');
const { roundTripInFreshProcess, seededUniform, assertFlatTensorCount } = require('../../helpers/attention-helpers');

const close = (actual, expected, tol = 1e-5) => {
  assert.strictEqual(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} vs ${expected[i]} (tolerance ${tol})`),
  );
};

describe('core/attention (additive temporal attention)', function () {
  this.timeout(120000);
  let t;
  before(async () => {
    await initBackend();
    t = tf();
  });

  it('validates its arguments', () => {
    assert.throws(
      () => new AdditiveAttention({ units: 0 }),
      (e) => e.code === 'BAD_CONFIG' && /units to be an integer from 1 to 1024, got 0/.test(e.message),
    );
    assert.throws(() => new AdditiveAttention({ units: 2.5 }), /units/);
    assert.throws(() => new AdditiveAttention({ units: 2, seed: -1 }), /seed/);
  });

  it('forward pass matches a hand computation (L=3, d=2, da=1)', () => {
    // H = [[1,0],[0,1],[1,1]], q = h_3 = [1,1]
    // W_h = [[1],[0]] -> W_h h_t = [1, 0, 1];  W_q = [[.5],[.5]] -> W_q q = 1;  b = -1
    // pre_t = [1, 0, 1];  v = 2 -> e = [2 tanh 1, 0, 2 tanh 1] = [1.5231883, 0, 1.5231883]
    // alpha = softmax(e) = [0.4508534, 0.0982931, 0.4508534]
    // context = .4508534 [1,0] + .0982931 [0,1] + .4508534 [1,1] = [0.9017069, 0.5491466]
    // output 0 = [context ; q] = [0.9017069, 0.5491466, 1, 1]
    const input = t.input({ shape: [3, 2] });
    const layer = new AdditiveAttention({ units: 1, name: 'att' });
    const [summary, alpha] = layer.apply(input);
    const model = t.model({ inputs: input, outputs: [summary, alpha] });
    layer.setWeights([t.tensor2d([[1], [0]]), t.tensor2d([[0.5], [0.5]]), t.tensor1d([-1]), t.tensor2d([[2]])]);
    const [s, a] = model.predict(
      t.tensor3d([
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
      ]),
    );
    close(Array.from(s.dataSync()), [0.9017069, 0.5491466, 1, 1]);
    close(Array.from(a.dataSync()), [0.4508534, 0.0982931, 0.4508534]);
    assert.deepStrictEqual(a.shape, [1, 1, 3]);
    assert.deepStrictEqual(
      layer.getWeights().map((w) => w.shape),
      [[2, 1], [2, 1], [1], [1, 1]],
    );
    assert.deepStrictEqual(
      layer.weights.map((w) => w.originalName),
      ['att/w_h', 'att/w_q', 'att/b', 'att/v'],
    );
  });

  it('timeSteps splits [B, L, k] into L steps in order', () => {
    const x = t.tensor3d([
      [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
        [9, 10],
      ],
    ]);
    const steps = timeSteps(x);
    assert.strictEqual(steps.length, 5);
    assert.deepStrictEqual(
      steps.map((s) => Array.from(s.dataSync())),
      [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
        [9, 10],
      ],
    );
    assert.deepStrictEqual(steps[0].shape, [1, 2]);
  });

  const spec = { window: 6, features: 2, horizon: 3 };
  const cfg = { ...DEFAULT_MODEL_CONFIG, type: 'attention', units: 4, attentionUnits: 3, seed: 5 };

  it('builds train [B,1,H] and serve [forecast [B,H], attention [B,1,L]] with rows summing to 1', () => {
    const g = buildGraph(spec, cfg);
    assert.strictEqual(g.hasAttention, true);
    assert.strictEqual(g.iterations, 1);
    const x = t.tensor3d(seededUniform(4 * 6 * 2, 1), [4, 6, 2]);
    assert.deepStrictEqual(g.train.predict(x).shape, [4, 1, 3]);
    const [f, a] = g.serve.predict(x);
    assert.deepStrictEqual(f.shape, [4, 3]);
    assert.deepStrictEqual(a.shape, [4, 1, 6]);
    close(Array.from(t.sum(a, -1).dataSync()), [1, 1, 1, 1]);
    // LSTM 4(2+4+1)4 = 112, attention 2*4*3 + 3 + 3 = 30, head 8*3+3 = 27, highway 12*3+3 = 39
    assert.strictEqual(g.serve.countParams(), 112 + 30 + 27 + 39);
    // train and serve share every weight, so the train forecast equals the served one
    close(Array.from(g.train.predict(x).dataSync()), Array.from(f.dataSync()));
  });

  it('getConfig round trip', () => {
    const layer = new AdditiveAttention({ units: 7, seed: 3, name: 'a1' });
    const config = layer.getConfig();
    assert.strictEqual(config.units, 7);
    assert.strictEqual(config.seed, 3);
    JSON.parse(JSON.stringify(config)); // plain JSON
    const again = AdditiveAttention.fromConfig(AdditiveAttention, config);
    assert.deepStrictEqual(again.getConfig(), config);
  });

  it('saves and loads through toJSON + modelFromJSON + setWeights, here and in a fresh process', async () => {
    const g = buildAttentionGraph(spec, cfg);
    const x = t.tensor3d(seededUniform(3 * 6 * 2, 2), [3, 6, 2]);
    const expected = g.serve.predict(x).map((o) => Array.from(o.dataSync()));
    const topology = g.serve.toJSON(null, false);
    assert.ok(JSON.stringify(topology).includes('"class_name":"AdditiveAttention"'));
    const loaded = await t.models.modelFromJSON({ modelTopology: JSON.parse(JSON.stringify(topology)) });
    loaded.setWeights(g.serve.getWeights());
    const again = loaded.predict(x).map((o) => Array.from(o.dataSync()));
    assert.deepStrictEqual(again, expected);

    const fresh = roundTripInFreshProcess(
      path.resolve(__dirname, '../../../nodes/core/model/attention.js'),
      g.serve,
      x,
    );
    assert.strictEqual(fresh.length, 2);
    fresh.forEach((out, i) => close(out, expected[i], 1e-6));
  });

  it('does not grow the tensor count over repeated predictions', () => {
    assertFlatTensorCount(t, buildGraph(spec, cfg).serve, [2, 6, 2], 3);
  });

  it('toy task: y = x at a fixed lag -> the attention peaks at that lag', async () => {
    // Window L = 8 of [value, position] (value uniform in [-1, 1], position t/(L-1)),
    // target = value at lag 5 (index 2). No highway (the linear path would solve it alone),
    // 4 LSTM units (a wide LSTM also solves it by carrying the value in its state).
    const L = 8;
    const lag = 5;
    const pos = L - 1 - lag;
    const n = 256;
    const u = seededUniform(n * L, 11).map((v) => 2 * v - 1);
    const xs = [];
    const ys = [];
    for (let i = 0; i < n; i++) {
      const w = u.slice(i * L, (i + 1) * L);
      xs.push(w.map((v, j) => [v, j / (L - 1)]));
      ys.push([[w[pos]]]);
    }
    const g = buildGraph(
      { window: L, features: 2, horizon: 1 },
      { ...DEFAULT_MODEL_CONFIG, type: 'attention', units: 4, attentionUnits: 8, highway: false, seed: 1 },
    );
    g.train.compile({ optimizer: t.train.adam(0.02), loss: 'meanSquaredError' });
    const x = t.tensor3d(xs);
    const history = await g.train.fit(x, t.tensor3d(ys), { epochs: 30, batchSize: 32, shuffle: false, verbose: 0 });
    const [, a] = g.serve.predict(x);
    const mean = Array.from(t.mean(a, [0, 1]).dataSync());
    const peak = mean.indexOf(Math.max(...mean));
    const loss = history.history.loss.at(-1);
    assert.ok(loss < 0.1, `final loss ${loss} (target variance 1/3)`);
    assert.ok(
      Math.abs(peak - pos) <= 1,
      `attention peaks at step ${peak}, expected ${pos} +-1: ${mean.map((v) => v.toFixed(2)).join(' ')}`,
    );
  });
});
