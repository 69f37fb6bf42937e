'use strict';
const assert = require('assert');
const { prepare, restoreForecast, seasonsThatFit, chooseReference } = require('../../../nodes/core/data/scaler');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { validateArtifact } = require('../../../nodes/core/model/artifact');
const { co2Dataset } = require('../../helpers/co2-fixture');

const close = (a, b, tol = 1e-5) => Math.abs(a - b) <= tol;
const assertClose = (actual, expected, tol, what) =>
  actual.forEach((v, i) => assert.ok(close(v, expected[i], tol), `${what}[${i}]: ${v} vs ${expected[i]}`));

// One window of L = 5 rows x 1 feature, origin o = row 4 (value 3); season m = 2.
// Values by row: 0:1  1:4  2:2  3:6  4:3
const win = [[1], [4], [2], [6], [3]];
// Scaler mean 2, std 2: scaled value z = (v - 2) / 2; level z[o] = 0.5.
const zscore = { mean: [2], std: [2] };

describe('core/scaler seasonal reference', () => {
  before(() => initBackend());

  it('counts the seasons that fit: m * (ceil(H/m) + K - 1) <= L - 1', () => {
    assert.strictEqual(seasonsThatFit(5, 2, 2), 2); // k = 1, 2: rows 2 and 0
    assert.strictEqual(seasonsThatFit(5, 3, 2), 1); // h = 3 needs k = 2 already
    assert.strictEqual(seasonsThatFit(2, 2, 2), 0); // o - m = row -1
    assert.strictEqual(seasonsThatFit(36, 12, 12), 2); // co2 task
    assert.strictEqual(seasonsThatFit(72, 24, 24), 2); // hourly task
    assert.strictEqual(seasonsThatFit(72, 24, 24, 1), 1);
    assert.strictEqual(seasonsThatFit(10, 2, 0), 0);
  });

  it('computes ref_h = y[o] + mean_k (y[o+h-m*k] - y[o-m*k]) by hand', () => {
    // K = 1: h=1: 3 + (y[3]-y[2]) = 3 + 4 = 7; h=2: 3 + (y[4]-y[2]) = 3 + 1 = 4 (real units)
    const p1 = prepare([win], undefined, { ...zscore, reference: 'seasonal', season: 2, seasons: 1 }, 0, 2);
    assertClose(Array.from(p1.refs), [(7 - 2) / 2, (4 - 2) / 2], 1e-6, 'K=1 refs');
    // K = 2 adds k = 2: h=1: y[1]-y[0] = 3; h=2: y[2]-y[0] = 1
    // h=1: 3 + (4 + 3)/2 = 6.5; h=2: 3 + (1 + 1)/2 = 4
    const p2 = prepare([win], undefined, { ...zscore, reference: 'seasonal', season: 2, seasons: 2 }, 0, 2);
    assertClose(Array.from(p2.refs), [(6.5 - 2) / 2, (4 - 2) / 2], 1e-6, 'K=2 refs');
    // inputs stay relative to the last value, whatever the reference
    assertClose(
      Array.from(p2.x),
      [1, 4, 2, 6, 3].map((v) => (v - 3) / 2),
      1e-6,
      'x',
    );
    assert.strictEqual(p2.levels[0], 0.5);
  });

  it('goes ceil(h/m) seasons back when the horizon is longer than the season', () => {
    // H = 3, m = 2, K = 1: h=3 uses k = 2: 3 + (y[4+3-4] - y[0]) = 3 + (6 - 1) = 8
    const p = prepare([win], undefined, { ...zscore, reference: 'seasonal', season: 2, seasons: 1 }, 0, 3);
    assertClose(
      Array.from(p.refs),
      [7, 4, 8].map((v) => (v - 2) / 2),
      1e-6,
      'refs',
    );
  });

  it('round-trips prepare -> restoreForecast to the exact targets', () => {
    const inputs = [win, [[4], [2], [6], [3], [5]]];
    const targets = [
      [[9], [1]],
      [[2], [7]],
    ];
    const scaler = { ...zscore, reference: 'seasonal', season: 2, seasons: 2 };
    const p = prepare(inputs, targets, scaler, 0);
    // target 9 of window 0 against ref 6.5: (9 - 6.5) / 2
    assert.ok(close(p.y[0], 1.25, 1e-6), `y[0] ${p.y[0]}`);
    const back = restoreForecast(p.y, p.levels, scaler, 0, 2, p.refs);
    assertClose(back.flat(), targets.flat(2), 1e-5, 'restored');
    // references for prediction (no targets, horizon given) are the same
    const q = prepare(inputs, undefined, scaler, 0, 2);
    assert.deepStrictEqual(Array.from(q.refs), Array.from(p.refs));
  });

  it("is the last value for every step with reference 'last' or no reference (old scalers)", () => {
    for (const scaler of [zscore, { ...zscore, reference: 'last' }]) {
      const p = prepare([win], [[[9], [1]]], scaler, 0);
      assert.deepStrictEqual(Array.from(p.refs), [0.5, 0.5]);
      assert.deepStrictEqual(
        restoreForecast(p.y, p.levels, scaler, 0, 2),
        restoreForecast(p.y, p.levels, scaler, 0, 2, p.refs),
      );
    }
  });

  it('refuses a seasonal scaler whose season does not fit the window', () => {
    const scaler = { ...zscore, reference: 'seasonal', season: 3, seasons: 2 };
    assert.throws(
      () => prepare([win], undefined, scaler, 0, 2),
      (e) =>
        e.code === 'SPEC_MISMATCH' &&
        /needs 2 seasons of 3 steps back in a window of 5 rows with horizon 2, only 1 fit/.test(e.message),
    );
  });

  it('chooses K on the training targets and falls back to the last value when the season does not fit', () => {
    // A pure cycle of period 4 on a trend: one season back predicts exactly.
    const s = Array.from(
      { length: 40 },
      (_, t) => t * 0.1 + [0, 3, 1, 2][t % 4] + (t > 20 ? 0.5 * [0, 1, 0, -1][t % 4] : 0),
    );
    const inputs = [];
    const targets = [];
    for (let o = 8; o + 2 < s.length; o++) {
      inputs.push(s.slice(o - 8, o + 1).map((v) => [v]));
      targets.push(s.slice(o + 1, o + 3).map((v) => [v]));
    }
    const ref = chooseReference(inputs, targets, { mean: [0], std: [1] }, 0, 4);
    assert.strictEqual(ref.reference, 'seasonal');
    assert.strictEqual(ref.season, 4);
    assert.ok(ref.seasons >= 1 && ref.seasons <= 2, `seasons ${ref.seasons}`);
    // L = 9: a season of 8 still fits once (row o - 8 = row 0), 9 does not
    assert.deepStrictEqual(chooseReference(inputs, targets, { mean: [0], std: [1] }, 0, 8), {
      reference: 'seasonal',
      season: 8,
      seasons: 1,
    });
    assert.deepStrictEqual(chooseReference(inputs, targets, { mean: [0], std: [1] }, 0, 9), { reference: 'last' });
    assert.deepStrictEqual(chooseReference(inputs, targets, { mean: [0], std: [1] }, 0, 0), { reference: 'last' });
    assert.deepStrictEqual(chooseReference(inputs, targets, { mean: [0], std: [1] }, 0, 1), { reference: 'last' }); // m = 1: no season
    // a series without a cycle: the last value beats last season's change
    const flat = inputs.map((w, i) => w.map((_, j) => [Math.sin(i * 7 + j * 13) * 0.01 + 5]));
    const flatTg = targets.map((t) => t.map(() => [5]));
    assert.deepStrictEqual(chooseReference(flat, flatTg, { mean: [0], std: [1] }, 0, 4), { reference: 'last' });
  });
});

describe('core/trainer + forecaster with the seasonal reference', function () {
  this.timeout(180000);
  before(() => initBackend());
  const data = co2Dataset(24, 6, 200);

  it('stores the reference in the artifact and predicts with it', async () => {
    const before = tf().memory().numTensors;
    const { artifact } = await trainForecaster(
      data,
      { units: 4, seed: 1 },
      {
        epochs: 2,
        season: 12,
        name: 'co2',
        reference: 'seasonal',
      },
    );
    assert.strictEqual(tf().memory().numTensors, before);
    assert.strictEqual(artifact.scaler.reference, 'seasonal');
    assert.strictEqual(artifact.scaler.season, 12);
    assert.ok([1].includes(artifact.scaler.seasons), `seasons ${artifact.scaler.seasons}`); // L 24, H 6: only k = 1 fits
    const json = JSON.parse(JSON.stringify(artifact));
    const f = Forecaster.fromArtifact(json);
    try {
      const w = data.inputs.slice(-3);
      const pred = f.predict(w).forecast;
      // The forecast is the reference plus the network's (small, scaled) residual:
      // far closer to the seasonal reference than to the last value on CO2.
      const p = prepare(w, undefined, json.scaler, 0, 6);
      const refs = restoreForecast(new Float32Array(18), p.levels, json.scaler, 0, 6, p.refs);
      const out = Forecaster.fromArtifact({ ...json, scaler: { ...json.scaler, reference: 'last' } });
      try {
        const lastPred = out.predict(w).forecast;
        // the same weights with the last-value reference differ by exactly refs - level
        pred.forEach((row, i) =>
          row.forEach((v, h) => {
            const level = w[i][23][0];
            assert.ok(close(v - lastPred[i][h], refs[i][h] - level, 1e-3), `window ${i} step ${h}`);
          }),
        );
      } finally {
        out.dispose();
      }
    } finally {
      f.dispose();
    }
  });

  it("keeps 'last' when asked, when no season is set (seasonal family), and for old artifacts without the field", async () => {
    const { artifact: a } = await trainForecaster(
      data,
      { units: 4, seed: 1 },
      { epochs: 1, season: 12, reference: 'last' },
    );
    assert.strictEqual(a.scaler.reference, 'last');
    const { artifact: b } = await trainForecaster(data, { units: 4, seed: 1 }, { epochs: 1, reference: 'seasonal' });
    assert.strictEqual(b.scaler.reference, 'last');
    // an artifact written before the field existed: mean and std only
    const old = JSON.parse(JSON.stringify(a));
    old.scaler = { mean: old.scaler.mean, std: old.scaler.std };
    assert.doesNotThrow(() => validateArtifact(old));
    const f1 = Forecaster.fromArtifact(a);
    const f2 = Forecaster.fromArtifact(old);
    try {
      assert.deepStrictEqual(
        f2.predict(data.inputs.slice(0, 2)).forecast,
        f1.predict(data.inputs.slice(0, 2)).forecast,
      );
    } finally {
      f1.dispose();
      f2.dispose();
    }
  });

  it('refuses an artifact whose seasonal reference does not fit its window', async () => {
    const { artifact } = await trainForecaster(
      data,
      { units: 4, seed: 1 },
      {
        epochs: 1,
        season: 12,
        reference: 'seasonal',
      },
    );
    const bad = { ...JSON.parse(JSON.stringify(artifact)) };
    bad.scaler.seasons = 3;
    assert.throws(
      () => validateArtifact(bad),
      (e) =>
        e.code === 'BAD_ARTIFACT' &&
        /seasonal reference \(3 seasons of 12 steps\) does not fit window 24 with horizon 6/.test(e.message),
    );
    delete bad.scaler.season;
    assert.throws(
      () => validateArtifact(bad),
      (e) => e.code === 'BAD_ARTIFACT' && /scaler.season or scaler.seasons is missing/.test(e.message),
    );
  });
});
