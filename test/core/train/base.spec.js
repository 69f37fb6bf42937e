'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { mae } = require('../../../nodes/core/data/metrics');

const L = 36;
const H = 12;

/** Seeded windows (stride 1) of a series y(t, noise). */
function dataset(n, y) {
  let s = 11;
  const noise = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  const series = [];
  for (let t = 0; t < n; t++) series.push(y(t, noise, series));
  const inputs = [];
  const targets = [];
  for (let o = L; o + H <= n; o++) {
    inputs.push(series.slice(o - L, o).map((v) => [v]));
    targets.push(series.slice(o, o + H).map((v) => [v]));
  }
  return { inputs, targets, features: ['y'], target: 'y', window: L, horizon: H };
}

// A bending trend, a 12-step cycle and noise: Holt-Winters' home ground; the naive forecasts miss the trend,
// the seasonal references carry the noise of the few rows they read.
const seasonalTrend = dataset(
  420,
  (t, noise) => 100 + 0.08 * t + 0.0002 * t * t + 4 * Math.sin((2 * Math.PI * t) / 12) + 1.5 * noise(),
);
// A random walk: nothing beats the last value.
const walk = dataset(420, (t, noise, s) => (t ? s[t - 1] : 10) + noise());

const valPart = (data) => {
  const nVal = Math.round(data.inputs.length * 0.2);
  return { inputs: data.inputs.slice(-nVal), truth: data.targets.slice(-nVal).map((t) => t.map((r) => r[0])) };
};

function assertNotWorseThanBaselines(report) {
  const v = report.validation;
  const tol = 1e-6 * (1 + v.lastValue.mae);
  assert.ok(v.model.mae <= v.lastValue.mae + tol, `model ${v.model.mae} vs last value ${v.lastValue.mae}`);
  if (v.seasonalNaive)
    assert.ok(
      v.model.mae <= v.seasonalNaive.mae + tol,
      `model ${v.model.mae} vs seasonal naive ${v.seasonalNaive.mae}`,
    );
}

describe('core/train chosen base', function () {
  this.timeout(240000);
  before(() => initBackend());
  const opts = { epochs: 2, season: 12, validationFraction: 0.2 };

  it('chooses Holt-Winters where it is clearly best; the stored model is not worse than either baseline', async () => {
    // without the highway the candidates are the references alone (a ridge on top of any of them is a close second)
    const { report, artifact } = await trainForecaster(seasonalTrend, { units: 8, seed: 1, highway: false }, opts);
    // the state carried across the history sees the bending trend better than each window alone
    assert.strictEqual(report.base.name, 'holt-winters history');
    assert.strictEqual(artifact.scaler.reference, 'holt-winters');
    assert.deepStrictEqual(Object.keys(artifact.scaler.hw).sort(), [
      'alpha',
      'beta',
      'gamma',
      'phi',
      'profile',
      'trend',
    ]);
    assert.strictEqual(artifact.scaler.hw.profile.length, 12);
    const names = report.base.candidates.map((c) => c.name);
    for (const n of ['last', 'seasonal-naive', 'seasonal K=1', 'seasonal K=2', 'holt-winters', 'holt-winters history'])
      assert.ok(names.includes(n), `candidate ${n} in ${names.join(', ')}`);
    const byName = Object.fromEntries(report.base.candidates.map((c) => [c.name, c.mae]));
    assert.ok(report.base.mae <= Math.min(...Object.values(byName)) + 1e-12);
    assert.ok(report.base.mae < 0.8 * byName['seasonal K=2'], JSON.stringify(byName));
    assertNotWorseThanBaselines(report);
    assert.ok(
      report.validation.model.mae <= report.base.mae + 1e-4,
      `${report.validation.model.mae} vs base ${report.base.mae}`,
    );
    assert.ok(['kept', 'dropped'].includes(report.base.network));
    // the artifact stores the report with its base
    assert.deepStrictEqual(artifact.report.base, JSON.parse(JSON.stringify(report.base)));
  });

  it('chooses the last value on a random walk', async () => {
    const { report, artifact } = await trainForecaster(walk, { units: 8, seed: 1, highway: false }, opts);
    assert.strictEqual(report.base.name, 'last');
    assert.strictEqual(artifact.scaler.reference, 'last');
    assertNotWorseThanBaselines(report);
  });

  it('drops a network that is worse than its base: the stored model forecasts the base', async () => {
    // a learning rate of 0.9 wrecks the network within an epoch
    const { report, artifact } = await trainForecaster(
      seasonalTrend,
      { units: 8, seed: 2 },
      // refit off: the stored model is then the held-out fit validation scored (base-refit.spec covers it on)
      { ...opts, learningRate: 0.9, linearPath: 'joint', patience: 5, refit: false },
    );
    assert.strictEqual(report.base.network, 'dropped', JSON.stringify(report.base));
    assert.strictEqual(report.bestEpoch, 0);
    assert.ok(Math.abs(report.validation.model.mae - report.base.mae) < 1e-4 * (1 + report.base.mae));
    assertNotWorseThanBaselines(report);
    const f = Forecaster.fromArtifact(artifact);
    try {
      const { inputs, truth } = valPart(seasonalTrend);
      assert.ok(Math.abs(mae(truth, f.predict(inputs).forecast) - report.validation.model.mae) < 1e-4);
    } finally {
      f.dispose();
    }
  });

  it('labels the network consistently: kept only when it beat the base, so best epoch 0 is always the base', async () => {
    // Epoch 0 of the linear start is the base itself: its float32 score must not be compared with the base's
    // float64 one (it came out a hair below, and the base was reported as a kept network).
    for (const seed of [2, 5]) {
      const { report } = await trainForecaster(
        seasonalTrend,
        { units: 8, seed },
        { ...opts, learningRate: 0.9, linearPath: 'joint', patience: 5 },
      );
      assert.strictEqual(report.bestEpoch, 0, `seed ${seed}`);
      assert.strictEqual(report.base.network, 'dropped', `seed ${seed}: ${JSON.stringify(report.base)}`);
    }
    const { report } = await trainForecaster(seasonalTrend, { units: 8, seed: 1 }, { ...opts, epochs: 3 });
    assert.strictEqual(report.base.network === 'kept', report.bestEpoch > 0, JSON.stringify(report.base));
    if (report.base.network === 'kept') assert.ok(report.base.networkMae < report.base.mae + 1e-4);
  });

  it('continued training never stores a model worse than its base or the previous model on validation', async () => {
    const first = await trainForecaster(seasonalTrend, { units: 8, seed: 4 }, opts);
    // a learning rate of 0.9 wrecks the continued network; without the check it would be stored
    const { report, artifact } = await trainForecaster(
      seasonalTrend,
      { seed: 4 },
      { ...opts, learningRate: 0.9, patience: 5 },
      { previous: first.artifact },
    );
    assert.strictEqual(report.incremental, true);
    assert.ok(report.base, 'the continued run reports its base');
    assert.match(report.base.name, /^holt-winters history/);
    const byName = Object.fromEntries(report.base.candidates.map((c) => [c.name, c.mae]));
    assert.ok('previous model' in byName, JSON.stringify(report.base.candidates));
    assert.notStrictEqual(report.base.network, 'kept', JSON.stringify(report.base));
    const floor = Math.min(report.base.mae, byName['previous model']);
    assert.ok(report.validation.model.mae <= floor + 1e-4, `${report.validation.model.mae} vs ${floor}`);
    assertNotWorseThanBaselines(report);
    const f = Forecaster.fromArtifact(artifact);
    try {
      const { inputs, truth } = valPart(seasonalTrend);
      assert.ok(Math.abs(mae(truth, f.predict(inputs).forecast) - report.validation.model.mae) < 1e-4);
    } finally {
      f.dispose();
    }
  });

  for (const type of ['lstm', 'attention', 'gca']) {
    it(`${type}: predict on the validation windows scores what the report says, attention intact, no tensor leak`, async () => {
      const before = tf().memory().numTensors;
      const { report, artifact } = await trainForecaster(
        seasonalTrend,
        { type, units: 8, seed: 3 },
        { ...opts, refit: false },
      );
      assert.strictEqual(tf().memory().numTensors, before);
      assert.match(report.base.name, /^holt-winters/); // 'holt-winters + ridge' with the default highway
      const f = Forecaster.fromArtifact(JSON.parse(JSON.stringify(artifact)));
      try {
        const { inputs, truth } = valPart(seasonalTrend);
        const p = f.predict(inputs);
        const got = mae(truth, p.forecast);
        assert.ok(Math.abs(got - report.validation.model.mae) < 1e-4, `${got} vs ${report.validation.model.mae}`);
        if (type !== 'lstm') {
          assert.strictEqual(p.attention.length, inputs.length);
          const row = p.attention[0][p.attention[0].length - 1];
          assert.strictEqual(row.length, L);
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
        }
      } finally {
        f.dispose();
      }
    });
  }

  it('artifacts stored before the chosen base load and forecast as they did', () => {
    const fixtures = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'pre-base-artifacts.json'), 'utf8'),
    );
    assert.strictEqual(fixtures.length, 3);
    for (const fx of fixtures) {
      assert.strictEqual(fx.artifact.report.base, undefined);
      const f = Forecaster.fromArtifact(fx.artifact);
      const type = fx.artifact.model.type;
      try {
        // attention and gca were recorded through tfjs: bitwise there; through the kernel within 1e-5 scaled
        const env = process.env.LSTM_FORECAST_KERNEL;
        const attends = type === 'attention' || type === 'gca';
        if (attends) process.env.LSTM_FORECAST_KERNEL = 'tfjs';
        let p;
        try {
          p = f.predict(fx.windows);
        } finally {
          if (env === undefined) delete process.env.LSTM_FORECAST_KERNEL;
          else process.env.LSTM_FORECAST_KERNEL = env;
        }
        assert.deepStrictEqual(p.forecast, fx.forecast, type);
        if (fx.attention) assert.deepStrictEqual(p.attention, fx.attention);
        if (attends && env === undefined) {
          assert.strictEqual(f.path, 'kernel');
          const k = f.predict(fx.windows);
          const tol = 1e-5 * fx.artifact.scaler.std[fx.artifact.spec.targetIndex];
          k.forecast.forEach((row, i) =>
            row.forEach((v, j) => assert.ok(Math.abs(v - fx.forecast[i][j]) <= tol, `${i}, ${j}: ${v}`)),
          );
          k.attention.forEach((w, i) =>
            w.forEach((row, n) =>
              row.forEach((a, t) => assert.ok(Math.abs(a - fx.attention[i][n][t]) <= 1e-5, `${i}, ${n}, ${t}: ${a}`)),
            ),
          );
        }
      } finally {
        f.dispose();
      }
    }
  });
});

describe('core/train base: the one-standard-error rule', function () {
  const { oneStandardError } = require('../../../nodes/core/train/base');
  const all = () => true;

  it('takes the first (simplest) candidate within one standard error of the best', function () {
    // candidate 1 is best by a hair, well inside the noise of the paired differences: candidate 0 is taken
    const noise = [0.3, -0.2, 0.25, -0.35, 0.1, -0.05, 0.2, -0.25];
    const best = noise.map((n) => 1 + n);
    const simpler = best.map((v, k) => v + 0.01 + (k % 2 ? 0.3 : -0.3));
    assert.strictEqual(oneStandardError([simpler, best], all), 0);
  });

  it('keeps the best when it wins clearly, and skips candidates that may not be chosen', function () {
    const best = [1, 1, 1, 1, 1, 1];
    const worse = best.map((v, k) => v + 0.5 + (k % 2 ? 0.01 : -0.01));
    assert.strictEqual(oneStandardError([worse, best], all), 1);
    assert.strictEqual(
      oneStandardError([best, best.map((v) => v - 0.2)], (i) => i === 0),
      0,
    );
    assert.strictEqual(oneStandardError([null, best], all), 1);
    assert.strictEqual(oneStandardError([null], all), -1);
  });
});

describe('core/train base: Holt-Winters history over several series', function () {
  const { candidateScalers } = require('../../../nodes/core/train/base');
  const { slidingWindows } = require('../../helpers/windows');
  const { hwForecast, hwHistoryForecast } = require('../../../nodes/core/data/holt-winters');

  /** Windows (stride 1) of a series. */
  const windowsOf = (y) => slidingWindows(y, L, H);
  const req = { options: { reference: 'auto', season: 12 }, targetIndex: 0 };
  const errorOn = (hw, season, w) => {
    let e = 0;
    w.inputs.forEach((x, i) => {
      const y = x.map((r) => r[0]);
      const f = 'profile' in hw ? hwHistoryForecast(y, H, hw) : hwForecast(y, H, hw, season);
      f.forEach((v, h) => (e += Math.abs(v - w.targets[i][h][0])));
    });
    return e / (w.inputs.length * H);
  };

  it("carries no one series' state into another's windows: every Holt-Winters candidate serves each series", function () {
    // A climbs steeply with a wide cycle; B is flat with a narrow cycle in another phase: a state carried from B alone
    // brings no trend and a small profile into A's windows (mean error ~18 there before).
    const a = Array.from({ length: 240 }, (_, t) => 500 + 2 * t + 20 * Math.sin((2 * Math.PI * t) / 12));
    const b = Array.from({ length: 240 }, (_, t) => 10 + Math.sin((2 * Math.PI * (t + 4)) / 12));
    const wa = windowsOf(a);
    const wb = windowsOf(b);
    for (const train of [
      { inputs: [...wa.inputs, ...wb.inputs], targets: [...wa.targets, ...wb.targets] },
      { inputs: [...wb.inputs, ...wa.inputs], targets: [...wb.targets, ...wa.targets] },
    ]) {
      const hws = candidateScalers(req, train).filter((s) => s.reference === 'holt-winters');
      assert.ok(hws.length >= 1, 'the window-only Holt-Winters competes');
      for (const s of hws) {
        // both series are exact seasonal + linear lines: a fitting Holt-Winters forecasts them to rounding
        assert.ok(errorOn(s.hw, s.season, wa) < 0.01, `A: ${errorOn(s.hw, s.season, wa)} (${JSON.stringify(s.hw)})`);
        assert.ok(errorOn(s.hw, s.season, wb) < 0.01, `B: ${errorOn(s.hw, s.season, wb)}`);
      }
    }
    // one series alone still gets the carried candidate
    assert.ok(candidateScalers(req, wa).some((s) => s.hw && 'profile' in s.hw));
  });
});
