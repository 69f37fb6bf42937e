'use strict';
// Split-conformal calibration: the (n + 1) corrected quantile of validation
// residuals covers fresh errors of the same law at the nominal level, whatever
// that law (Gaussian, heavy-tailed); the grid stays bounded; the interval
// scores are the textbook ones.
const assert = require('assert');
const { seededRandom } = require('../../../nodes/core/base/random');
const {
  calibrate,
  conformalCenter,
  conformalHalfWidth,
  gaussianHalfWidth,
  normalQuantile,
  scoreIntervals,
  CALIBRATION_MAX_TOTAL,
  calibrateBySeries,
  calibrationFor,
  MAX_SERIES_CALIBRATIONS,
  SERIES_CALIBRATION_BUDGET,
} = require('../../../nodes/core/data/conformal');

function gaussian(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
/** Student t with 2 degrees of freedom: infinite variance, the tails a Gaussian interval misses. */
function heavy(rand) {
  const z = gaussian(rand);
  const chi2 = gaussian(rand) ** 2 + gaussian(rand) ** 2;
  return z / Math.sqrt(chi2 / 2);
}

/** Mean coverage over `reps` calibrations of n residuals, each tested on `m` fresh errors; one step. */
function meanCoverage(draw, n, p, reps, m, seed) {
  const rand = seededRandom(seed);
  let covered = 0;
  for (let r = 0; r < reps; r++) {
    const truth = Array.from({ length: n }, () => [draw(rand)]);
    const cal = calibrate(
      truth,
      truth.map(() => [0]),
    );
    const q = conformalHalfWidth(cal, 0, p);
    for (let i = 0; i < m; i++) if (Math.abs(draw(rand)) <= q) covered++;
  }
  return covered / (reps * m);
}

describe('core/data: split-conformal intervals', function () {
  for (const [name, draw] of [
    ['Gaussian', gaussian],
    ['heavy-tailed (Student t, 2 df)', heavy],
  ]) {
    it(`covers ${name} residuals at the nominal level (80 %, 95 %) with n = 99`, function () {
      for (const p of [0.8, 0.95]) {
        const c = meanCoverage(draw, 99, p, 300, 200, 11);
        // Exact theory: coverage = ceil(100 p) / 100, i.e. >= p and < p + 1/(n+1).
        assert.ok(c >= p - 0.01 && c <= p + 0.02, `${name} ${p}: coverage ${c.toFixed(4)}`);
      }
    });
  }

  it('is narrower than the Gaussian interval on heavy-tailed residuals where both cover 80 %', function () {
    const rand = seededRandom(3);
    const truth = Array.from({ length: 2000 }, () => [heavy(rand)]);
    const cal = calibrate(
      truth,
      truth.map(() => [0]),
    );
    assert.ok(conformalHalfWidth(cal, 0, 0.8) < gaussianHalfWidth(cal, 0, 0.8));
  });

  it('centres the band on the median validation residual: a biased forecaster gets a band as narrow as its spread', function () {
    // Forecasts 1 too low (a damped trend on a rising series) with +-0.1 of spread (step 2: 2 and +-0.2): a band around
    // the forecast needs a half-width of ~1.1 (2.2) to cover; one around forecast + 1 (+ 2) about 0.1 (0.2).
    const rand = seededRandom(5);
    const draw = () => 1 + 0.2 * (rand() - 0.5);
    const truth = Array.from({ length: 99 }, () => [draw(), 2 * draw()]);
    const cal = calibrate(
      truth,
      truth.map(() => [0, 0]),
    );
    for (const p of [0.8, 0.95]) {
      for (const h of [0, 1]) {
        const c = conformalCenter(cal, h);
        const q = conformalHalfWidth(cal, h, p);
        assert.ok(q < 0.13 * (h + 1), `step ${h + 1}, ${p}: half-width ${q}, centre ${c}`);
      }
      // coverage over many calibrations (one calibration's coverage varies by ~4 points at n = 99)
      let covered = 0;
      for (let r = 0; r < 200; r++) {
        const t = Array.from({ length: 99 }, () => [draw()]);
        const k = calibrate(
          t,
          t.map(() => [0]),
        );
        const [c, q] = [conformalCenter(k, 0), conformalHalfWidth(k, 0, p)];
        for (let i = 0; i < 100; i++) if (Math.abs(draw() - c) <= q) covered++;
      }
      assert.ok(covered / 20000 >= p - 0.01, `${p}: coverage ${covered / 20000}`);
    }
    // the Gaussian interval stays around the forecast, from the raw residuals (what evaluate compares with)
    assert.ok(gaussianHalfWidth(cal, 0, 0.8) > 1);
    // a calibration stored before the centre (none) is centred on the forecast
    const { center, ...old } = cal;
    assert.ok(center.length === 2);
    assert.strictEqual(conformalCenter(old, 0), 0);
  });

  it('calibrates each series with enough validation windows on its own; others and unknown ones pooled', function () {
    // One model across a quiet series (sd 1) and a loud one (sd 10): a pooled band is too wide for the
    // quiet one and too narrow for the loud one.
    const rand = seededRandom(7);
    const sd = { quiet: 1, loud: 10, short: 5 };
    const n = { quiet: 1000, loud: 1000, short: 10 };
    const truth = [];
    const pred = [];
    const ids = [];
    for (const id of ['quiet', 'loud', 'short'])
      for (let i = 0; i < n[id]; i++) {
        truth.push([sd[id] * gaussian(rand), 2 * sd[id] * gaussian(rand)]);
        pred.push([0, 0]);
        ids.push(id);
      }
    const cal = calibrateBySeries(truth, pred, ids);
    const forSeries = calibrationFor;
    for (const id of ['quiet', 'loud']) {
      const c = forSeries(cal, id);
      for (const p of [0.8, 0.95]) {
        let inside = 0;
        const m = 4000;
        for (let i = 0; i < m; i++) {
          const e = sd[id] * gaussian(rand);
          if (Math.abs(e - conformalCenter(c, 0)) <= conformalHalfWidth(c, 0, p)) inside++;
        }
        assert.ok(Math.abs(inside / m - p) < 0.03, `${id} at ${p}: coverage ${inside / m}`);
      }
    }
    assert.deepStrictEqual(
      cal.perSeries.map((c) => [c.series, c.n]),
      [
        ['quiet', 1000],
        ['loud', 1000],
      ],
      'the short series (10 windows) has no calibration of its own',
    );
    assert.strictEqual(calibrationFor(cal, 'short'), cal, 'pooled for a series without its own');
    assert.strictEqual(calibrationFor(cal, 'unknown'), cal);
    assert.strictEqual(cal.n, 2010, 'the pooled one has every window');
    assert.strictEqual(calibrationFor(cal, 'loud').residuals.length, 2, 'every horizon step');
    assert.strictEqual(
      calibrateBySeries(
        truth,
        pred,
        ids.map(() => 'one'),
      ).perSeries,
      undefined,
      'one series',
    );
  });

  it('keeps at most 1000 series calibrations and a bounded number of residuals over all of them', function () {
    const truth = [];
    const pred = [];
    const ids = [];
    for (let s = 0; s < 1200; s++)
      for (let i = 0; i < 20 + (s % 7); i++) {
        truth.push(Array.from({ length: 24 }, (_, h) => Math.sin(s + i + h)));
        pred.push(Array.from({ length: 24 }, () => 0));
        ids.push(`s${s}`);
      }
    const cal = calibrateBySeries(truth, pred, ids);
    const kept = (c) => c.residuals.reduce((a, g) => a + g.length, 0);
    assert.ok(cal.perSeries.length <= MAX_SERIES_CALIBRATIONS, `${cal.perSeries.length} series calibrations`);
    assert.ok(cal.perSeries.length >= 400, 'as many as the budget allows');
    const total = cal.perSeries.reduce((a, c) => a + kept(c), 0);
    assert.ok(total <= SERIES_CALIBRATION_BUDGET, `${total} residuals`);
    // the series with most windows are the ones kept
    assert.ok(cal.perSeries.every((c) => c.n >= 24));
    // with each series' backtest grid (twice the ranks) beside its own, still within the budget: fewer series
    const bt = { truth: truth.concat(truth), pred: pred.concat(pred), ids: ids.concat(ids) };
    const both = calibrateBySeries(truth, pred, ids, bt);
    const all = both.perSeries.reduce((a, c) => a + kept(c) + kept(c.backtest), 0);
    assert.ok(all <= SERIES_CALIBRATION_BUDGET, `${all} residuals with the backtest grids`);
    assert.ok(both.perSeries.length >= 130 && both.perSeries.every((c) => c.backtest.n === 2 * c.n));
  });

  it('uses the (n + 1) rank and stays finite beyond what n residuals can promise', function () {
    // sorted -2 -1 0 3 4, median 0; each from the median of the other four (1.5, 1.5, 1, -0.5, -0.5):
    // 3.5 2.5 1 3.5 4.5, sorted 1 2.5 3.5 3.5 4.5, n = 5
    const truth = [[4], [-2], [3], [-1], [0]];
    const cal = calibrate(
      truth,
      truth.map(() => [0]),
    );
    assert.deepStrictEqual(cal.center, [0]);
    assert.deepStrictEqual(cal.residuals, [[1, 2.5, 3.5, 3.5, 4.5]]);
    assert.strictEqual(conformalHalfWidth(cal, 0, 0.3), 2.5); // ceil(6 x 0.3) = 2nd
    assert.strictEqual(conformalHalfWidth(cal, 0, 0.4), 3.5); // ceil(2.4) = 3rd, not the plain median
    assert.strictEqual(conformalHalfWidth(cal, 0, 0.95), 4.5); // rank 6 > n: the largest, finite
    assert.strictEqual(cal.rmse[0], 2.44949); // sqrt(30 / 5) = 2.4494897, rounded up to 6 digits
  });

  it('keeps a bounded grid and never rounds a half-width down on it', function () {
    const rand = seededRandom(5);
    const H = 500;
    const truth = Array.from({ length: 1000 }, () => Array.from({ length: H }, () => gaussian(rand)));
    const zeros = truth.map((r) => r.map(() => 0));
    const cal = calibrate(truth, zeros);
    const kept = cal.residuals.reduce((a, g) => a + g.length, 0);
    assert.ok(kept <= CALIBRATION_MAX_TOTAL, `${kept} residuals kept`);
    assert.strictEqual(cal.n, 1000);
    // The grid is dense in the upper tail (the levels served), coarse near the median.
    for (const [p, slack] of [
      [0.5, 1.25],
      [0.8, 1.1],
      [0.95, 1.05],
      [0.99, 1.05],
    ]) {
      const exact = truth.map((r) => Math.abs(r[7])).sort((a, b) => a - b)[Math.ceil(1001 * p) - 1];
      const got = conformalHalfWidth(cal, 7, p);
      assert.ok(got >= exact && got <= exact * slack, `${p}: ${got} vs exact ${exact}`);
    }
  });

  it('stores residuals to 6 significant digits, rounded up (intervals only ever get wider)', function () {
    const { roundUp6 } = require('../../../nodes/core/data/conformal');
    const rand = seededRandom(9);
    for (let i = 0; i < 10000; i++) {
      const x = Math.exp(40 * (rand() - 0.5));
      const v = roundUp6(x);
      assert.ok(v >= x && v <= x * (1 + 1e-5) && Number(v.toPrecision(6)) === v, `${x} -> ${v}`);
    }
    assert.strictEqual(roundUp6(0), 0);
    assert.strictEqual(roundUp6(1.2345671), 1.23457);
    assert.strictEqual(roundUp6(1.2345649), 1.23457);
  });

  describe('backtest residuals (the stored model over its training windows)', function () {
    const H = 2;
    const zeros = (m) => m.map((r) => r.map(() => 0));
    /** n windows of H residuals: bias(i) + noise of sd `sd` at every step. */
    function rows(rand, n, bias, sd) {
      return Array.from({ length: n }, (_, i) => Array.from({ length: H }, () => bias(i) + sd * gaussian(rand)));
    }
    function coverage(cal, errors, p) {
      let inside = 0;
      for (const r of errors) {
        r.forEach((e, h) => {
          if (Math.abs(e - conformalCenter(cal, h)) <= conformalHalfWidth(cal, h, p)) inside++;
        });
      }
      return inside / (errors.length * H);
    }

    it('covers a drifting forecaster whose calm validation stretch understates the errors of its history', function () {
      // The error wanders: blocks of 40 windows biased +0.5 or -0.5 (spread 0.1) over the training history, a calm
      // validation stretch (bias 0), then a test stretch that drifts as the history did. The validation band alone
      // (about +-0.13) misses nearly every test error; with the backtest residuals it covers them at the level.
      const rand = seededRandom(21);
      const block = (i) => (Math.floor(i / 40) % 2 ? -0.5 : 0.5);
      const train = rows(rand, 400, block, 0.1);
      const val = rows(rand, 40, () => 0, 0.1);
      const test = rows(rand, 2000, (i) => block(i + 17), 0.1);
      const cal = calibrate(val, zeros(val), undefined, { truth: train, pred: zeros(train) });
      const valOnly = calibrate(val, zeros(val));
      for (const p of [0.8, 0.95]) {
        const c = coverage(cal, test, p);
        assert.ok(c >= p - 0.02 && c <= p + 0.05, `${p}: coverage ${c.toFixed(4)} with the backtest`);
        assert.ok(
          coverage(valOnly, test, p) < 0.1,
          `${p}: the validation band alone covers ${coverage(valOnly, test, p)}`,
        );
      }
      assert.strictEqual(cal.backtest.n, 400);
      // the centre stays the validation one, the Gaussian sigma the validation RMSE (evaluate's comparison)
      assert.deepStrictEqual(cal.center, valOnly.center);
      assert.deepStrictEqual(cal.rmse, valOnly.rmse);
    });

    it('keeps the validation band where the backtest residuals are smaller (in-sample errors, no drift)', function () {
      const rand = seededRandom(22);
      const train = rows(rand, 400, () => 0, 0.05);
      const val = rows(rand, 60, () => 0, 0.1);
      const cal = calibrate(val, zeros(val), undefined, { truth: train, pred: zeros(train) });
      const valOnly = calibrate(val, zeros(val));
      for (const p of [0.5, 0.8, 0.95, 0.99]) {
        for (let h = 0; h < H; h++)
          assert.strictEqual(conformalHalfWidth(cal, h, p), conformalHalfWidth(valOnly, h, p));
      }
    });

    it('keeps a bounded backtest grid; a non-finite backtest forecast leaves the validation band alone', function () {
      const rand = seededRandom(23);
      const train = rows(rand, 5000, () => 0, 1);
      const val = rows(rand, 30, () => 0, 0.1);
      const cal = calibrate(val, zeros(val), undefined, { truth: train, pred: zeros(train) });
      assert.strictEqual(cal.backtest.n, 5000);
      assert.ok(cal.backtest.residuals.every((g) => g.length <= 400 && g.every(Number.isFinite)));
      assert.ok(cal.backtest.ranks.length <= 400);
      // the 95 % level read on the thinned grid: never below the exact order statistic, within 5 %
      const exact = train.map((r) => Math.abs(r[1] - cal.center[1])).sort((a, b) => a - b)[Math.ceil(5001 * 0.95) - 1];
      const got = conformalHalfWidth(cal, 1, 0.95);
      assert.ok(got >= exact && got <= exact * 1.05, `${got} vs ${exact}`);
      const bad = zeros(train);
      bad[7][1] = NaN;
      const nan = calibrate(val, zeros(val), undefined, { truth: train, pred: bad });
      assert.strictEqual(nan.backtest, undefined);
      assert.deepStrictEqual(nan.residuals, calibrate(val, zeros(val)).residuals);
    });
  });

  it('gives null for a non-finite validation forecast (the artifact then has no intervals)', function () {
    assert.strictEqual(calibrate([[1]], [[NaN]]), null);
    assert.strictEqual(calibrate([], []), null);
  });

  it('normal quantile and Winkler score match their definitions', function () {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.1) + 1.281552) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.001) + 3.090232) < 1e-6);
    // pred 0 +- 1 at 80 %: truth 0 inside (score 2), truth 3 outside by 2 (2 + 2 / 0.2 x 2 = 22).
    const s = scoreIntervals([[0], [3]], [[0], [0]], 0.8, () => 1);
    assert.deepStrictEqual([s.level, s.coverage, s.width], [0.8, 0.5, 2]);
    assert.ok(Math.abs(s.winkler - 12) < 1e-9, String(s.winkler));
  });
});
