'use strict';
// Attribution of the whole forecast (analysis/attribution.ts) on real models: completeness,
// exactness of the linear part, the lag task, and no tensor leak.
const assert = require('assert');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { attributeForecast } = require('../../../nodes/core/analysis/attribution');
const { buildGraph } = require('../../../nodes/core/model/graph');
const { prepare, restoreForecast, referenceAffine } = require('../../../nodes/core/data/scaler');
const { DEFAULT_MODEL_CONFIG } = require('../../../nodes/core/settings/model');
const { seededUniform, lagTask } = require('../../helpers/attention-helpers');

/** n windows of L x F from a seeded generator: a daily-like wave plus noise per feature. */
function windows(n, L, F, seed) {
  const u = seededUniform(n * L * F, seed);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: L }, (_, j) =>
      Array.from({ length: F }, (_, f) => 10 * f + 3 * Math.sin((2 * Math.PI * (i + j)) / 12) + u[(i * L + j) * F + f]),
    ),
  );
}

/** Sets every weight of `model` to seeded values in [-s, s] (an untrained but non-trivial network). */
function randomise(t, model, seed, s = 0.4) {
  model.setWeights(
    model.getWeights().map((w, k) => {
      const v = seededUniform(w.size, seed + k).map((x) => (2 * x - 1) * s);
      return t.tensor(v, w.shape);
    }),
  );
}

describe('core/analysis/attribution (the whole forecast to steps and features)', function () {
  this.timeout(120000);
  let t;
  before(async () => {
    await initBackend();
    t = tf();
  });

  it('reads the reference of any kind as an affine map that reproduces prepare() at and around the window', () => {
    const w = windows(3, 30, 2, 3);
    const scalers = [
      { mean: [1, 12], std: [2, 0.5], reference: 'seasonal', season: 12, seasons: 2 },
      { mean: [1, 12], std: [2, 0.5], reference: 'seasonal-naive', season: 12 },
      {
        mean: [1, 12],
        std: [2, 0.5],
        reference: 'holt-winters',
        season: 12,
        hw: { alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 0.9 },
      },
      { mean: [1, 12], std: [2, 0.5] },
    ];
    for (const scaler of scalers) {
      const kind = scaler.reference || 'last';
      w.forEach((win, i) => {
        const { R, c } = referenceAffine(scaler, win, 0, 5);
        // at the window, and at the window with one reading moved by 0.05 z-scores
        const moved = win.map((r, j) => (j === 20 ? [r[0] + 0.1, r[1]] : r));
        for (const probe of [win, moved]) {
          const p = prepare([probe], undefined, scaler, 0, 5);
          const z = probe.map((r) => (r[0] - 1) / 2);
          R.forEach((row, h) => {
            const ref = row.reduce((s, r, j) => s + r * z[j], 0) + c[h];
            assert.ok(Math.abs(ref - p.refs[h]) < 2e-4, `${kind}, window ${i} step ${h}: ${ref} vs ${p.refs[h]}`);
          });
        }
        if (kind !== 'holt-winters') c.forEach((v) => assert.ok(Math.abs(v) < 1e-4, `${kind}: no constant (${v})`));
      });
    }
  });

  for (const type of ['gca', 'attention', 'lstm']) {
    it(`${type}: sums to the forecast minus the baseline forecast per horizon step (48 x 3, seasonal reference)`, () => {
      const L = 48;
      const F = 3;
      const H = 6;
      const g = buildGraph(
        { window: L, features: F, horizon: H },
        { ...DEFAULT_MODEL_CONFIG, type, units: 8, attentionUnits: 4, iterations: 2, featureAttention: type === 'gca' },
      );
      randomise(t, g.serve, 7);
      const scaler = { mean: [1, 11, 21], std: [2, 1.5, 3], reference: 'seasonal', season: 12, seasons: 2 };
      const frame = { scaler, targetIndex: 1, horizon: H };
      const [win] = windows(1, L, F, 5);
      const a = attributeForecast(g.serve, frame, win, 32);
      // the tensor path forecasts what the serve path does
      const p = prepare([win], undefined, scaler, 1, H);
      const out = t.tidy(() => {
        const o = g.serve.predict(t.tensor3d(p.x, [1, L, F]));
        return Array.from((Array.isArray(o) ? o[0] : o).dataSync());
      });
      const served = restoreForecast(out, p.levels, scaler, 1, H, p.refs)[0];
      served.forEach((v, h) => assert.ok(Math.abs(v - a.forecast[h]) < 1e-3, `step ${h}: ${v} vs ${a.forecast[h]}`));
      assert.strictEqual(a.values.length, H);
      let moved = 0;
      for (let h = 0; h < H; h++) {
        assert.strictEqual(a.values[h].length, L);
        assert.strictEqual(a.values[h][0].length, F);
        const sum = a.values[h].flat().reduce((s, v) => s + v, 0);
        const target = a.forecast[h] - a.baselineForecast[h];
        moved = Math.max(moved, Math.abs(target));
        assert.ok(
          Math.abs(sum - target) <= 0.01 * Math.max(1, Math.abs(target)),
          `step ${h}: attributions sum to ${sum}, forecast - baseline = ${target}`,
        );
        // lag 0 is the baseline's own row: nothing to attribute
        a.values[h][L - 1].forEach((v) => assert.strictEqual(v, 0));
      }
      assert.ok(moved > 0.05, `the window moves the forecast (${moved}): a test that can fail`);
      assert.ok(a.completenessError <= 0.01 * Math.max(1, moved), `completeness error ${a.completenessError}`);
    });
  }

  it('is exact for the linear part: highway coefficient x input change plus the reference', () => {
    const L = 10;
    const F = 2;
    const H = 2;
    const g = buildGraph({ window: L, features: F, horizon: H }, { ...DEFAULT_MODEL_CONFIG, type: 'lstm', units: 3 });
    randomise(t, g.serve, 3);
    const dense = g.serve.getLayer('highway_dense');
    const [kernel] = dense.getWeights();
    const K = kernel.arraySync(); // [L*F][H]
    const scaler = { mean: [2, 5], std: [4, 2] };
    const [win] = windows(1, L, F, 9);
    const a = attributeForecast(g.serve, { scaler, targetIndex: 0, horizon: H }, win, 8);
    const last = win[L - 1];
    for (let h = 0; h < H; h++) {
      for (let j = 0; j < L; j++) {
        for (let f = 0; f < F; f++) {
          // x[j][f] = (W - mean) / std (target: minus the level); ref = level; forecast x std_t + mean_t
          const d = win[j][f] - last[f];
          let expected = (K[j * F + f][h] * d * scaler.std[0]) / scaler.std[f];
          if (f === 0 && j === L - 1) expected = 0;
          assert.ok(
            Math.abs(a.linear[h][j][f] - expected) < 1e-4,
            `h ${h} j ${j} f ${f}: ${a.linear[h][j][f]} vs ${expected}`,
          );
        }
      }
    }
  });

  it('lag task (y = x at lag 5): the attribution peaks at the lag, through the network and through the highway', async () => {
    const L = 8;
    const lag = 5;
    const n = 256;
    const task = lagTask(n, L, lag, 11);
    const pos = task.index;
    const xs = task.xs;
    const ys = task.ys.map((y) => [[y]]);
    const scaler = { mean: [0, 0], std: [1, 1] };
    const p = prepare(xs, ys, scaler, 0);
    for (const highway of [false, true]) {
      const g = buildGraph(
        { window: L, features: 2, horizon: 1 },
        { ...DEFAULT_MODEL_CONFIG, type: 'attention', units: 4, attentionUnits: 8, highway, seed: 1 },
      );
      g.train.compile({ optimizer: t.train.adam(0.02), loss: 'meanSquaredError' });
      const x = t.tensor3d(p.x, [n, L, 2]);
      const y = t.tensor3d(p.y, [n, 1, 1]);
      const history = await g.train.fit(x, y, { epochs: 30, batchSize: 32, shuffle: false, verbose: 0 });
      const loss = history.history.loss.at(-1);
      assert.ok(loss < 0.05, `highway ${highway}: final loss ${loss} (target variance 1/3)`);
      x.dispose();
      y.dispose();
      // The value channel's attribution: the position channel is the same in every window (a clock).
      const mass = new Array(L).fill(0);
      const clock = new Array(L).fill(0);
      for (let i = 0; i < 16; i++) {
        const a = attributeForecast(g.serve, { scaler, targetIndex: 0, horizon: 1 }, xs[i], 16);
        a.values[0].forEach((row, j) => {
          mass[j] += Math.abs(row[0]);
          clock[j] += Math.abs(row[1]);
        });
      }
      const peak = mass.indexOf(Math.max(...mass));
      const share = mass[peak] / mass.reduce((s, v) => s + v, 0);
      assert.strictEqual(peak, pos, `highway ${highway}: attribution mass ${mass.map((v) => v.toFixed(2)).join(' ')}`);
      assert.ok(share > 0.4, `highway ${highway}: the lag holds ${share} of the attribution`);
    }
  });

  it('leaves no tensor behind', () => {
    const g = buildGraph({ window: 12, features: 2, horizon: 3 }, { ...DEFAULT_MODEL_CONFIG, type: 'gca', units: 4 });
    const [win] = windows(1, 12, 2, 1);
    const frame = { scaler: { mean: [0, 10], std: [1, 1] }, targetIndex: 0, horizon: 3 };
    attributeForecast(g.serve, frame, win, 4);
    const before = t.memory().numTensors;
    for (let i = 0; i < 3; i++) attributeForecast(g.serve, frame, win, 4);
    assert.strictEqual(t.memory().numTensors, before);
  });
});
