'use strict';
// Serve-time intervals and anomaly scores: bounds per level beside the
// forecast, readings scored against the forecasts made for them, adaptive
// levels, bounded streams, finite numbers only.
const assert = require('assert');
const { StreamMonitor, parseLevels, levelKey, MAX_SCORE } = require('../../../nodes/core/serve/intervals');

// Two-step horizon; |residuals| 0.1 .. 1.0 on both steps (n = 10).
const r = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
const cal = { method: 'split-conformal', n: 10, ranks: r.map((_, i) => i + 1), residuals: [r, r], rmse: [0.6, 0.6] };
const opts = { levels: [0.8, 0.95], adaptRate: 0, threshold: 1.5, maxStreams: 3 };
const row = (v) => [v];

/** Feeds window [.., value at t] and a forecast for t+1, t+2. */
function feed(m, t, value, forecast = [10, 10], topic = 'a', c = cal) {
  return m.next('id1', topic, c, 0, [row(10), row(value)], [t - 1, t], forecast, [t + 1, t + 2], 1);
}

describe('core/serve: intervals and anomaly scores', function () {
  it('parses the levels setting and refuses levels outside 50-99.9 %', function () {
    assert.deepStrictEqual(parseLevels('95, 80,80'), [0.8, 0.95]);
    assert.deepStrictEqual(parseLevels(''), []);
    assert.throws(
      () => parseLevels('40'),
      (e) => e.code === 'BAD_CONFIG' && /from 50 to 99.9, got "40"/.test(e.message),
    );
    assert.strictEqual(levelKey(0.995), '99.5');
  });

  it('gives lower and upper bounds per level and step from the calibration', function () {
    const m = new StreamMonitor(opts);
    const { intervals, scores } = feed(m, 100, 10, [10, 20]);
    // 80 %: ceil(11 x 0.8) = 9th = 0.9; 95 %: rank 11 > n -> the largest, 1.0.
    assert.deepStrictEqual(Object.keys(intervals), ['80', '95']);
    assert.deepStrictEqual(
      intervals['80'].lower.map((x) => +x.toFixed(6)),
      [9.1, 19.1],
    );
    assert.deepStrictEqual(intervals['95'].upper, [11, 21]);
    assert.deepStrictEqual(scores, []);
  });

  it('centres the bands and the anomaly score on forecast + the calibrated centre (none: on the forecast)', function () {
    const centred = { ...cal, center: [0.5, -1] };
    const m = new StreamMonitor(opts);
    const { intervals } = feed(m, 100, 10, [10, 20], 'a', centred);
    assert.deepStrictEqual(
      intervals['80'].lower.map((x) => +x.toFixed(6)),
      [9.6, 18.1],
    );
    assert.deepStrictEqual(intervals['95'].upper, [11.5, 20]);
    // 10.5 is the centre of step 1's band: score 0; the same reading from an uncentred calibration scores 0.5
    const hit = feed(m, 101, 10.5, [10, 20], 'a', centred).scores[0];
    assert.deepStrictEqual([hit.score, hit.expected, hit.lower, hit.upper], [0, 10, 9.5, 11.5]);
    const plain = new StreamMonitor(opts);
    feed(plain, 100, 10);
    assert.strictEqual(feed(plain, 101, 10.5).scores[0].score, 0.5);
  });

  it('scores a reading against the forecasts made for it and flags a spike only', function () {
    const m = new StreamMonitor(opts);
    feed(m, 100, 10);
    const clean = feed(m, 101, 10.5).scores;
    assert.strictEqual(clean.length, 1);
    assert.strictEqual(clean[0].anomalous, false);
    assert.strictEqual(clean[0].score, 0.5); // 0.5 / the 95 % half-width 1.0
    assert.strictEqual(clean[0].horizonStep, 1);
    const spike = feed(m, 102, 14).scores[0];
    assert.strictEqual(spike.forecasts, 2, 'the forecasts from 100 (step 2) and 101 (step 1) covered it');
    assert.strictEqual(spike.anomalous, true);
    assert.strictEqual(spike.score, 4);
    assert.deepStrictEqual([spike.actual, spike.expected, spike.lower, spike.upper], [14, 10, 9, 11]);
  });

  it('keeps scores finite when the calibration has zero width', function () {
    const zero = {
      method: 'split-conformal',
      n: 3,
      ranks: [1, 2, 3],
      residuals: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      rmse: [0, 0],
    };
    const m = new StreamMonitor(opts);
    feed(m, 100, 10, [10, 10], 'a', zero);
    const s = feed(m, 101, 11, [10, 10], 'a', zero).scores[0];
    assert.strictEqual(s.score, MAX_SCORE);
    assert.ok(Number.isFinite(s.score) && s.anomalous);
    assert.strictEqual(feed(m, 102, 10, [10, 10], 'a', zero).scores[0].score, 0);
  });

  it('adapts the level up after misses and down after hits (adaptive conformal inference)', function () {
    const m = new StreamMonitor({ ...opts, levels: [0.8], adaptRate: 0.05 });
    feed(m, 100, 10);
    for (let t = 101; t < 110; t++) feed(m, t, 13); // every reading outside
    const wide = m.levelsOf('id1', 'a')[0];
    assert.ok(wide > 0.8, `level after misses: ${wide}`);
    for (let t = 110; t < 200; t++) feed(m, t, 10); // every reading inside
    const narrow = m.levelsOf('id1', 'a')[0];
    assert.ok(narrow < wide && narrow >= 0, `level after hits: ${narrow}`);
    const still = new StreamMonitor(opts);
    feed(still, 100, 10);
    feed(still, 101, 13);
    assert.deepStrictEqual(still.levelsOf('id1', 'a'), [0.8, 0.95], 'rate 0: the calibrated levels');
  });

  it('keeps at most maxStreams streams and a bounded number of forecasts each', function () {
    const m = new StreamMonitor(opts);
    for (let k = 0; k < 50; k++) feed(m, 100, 10, [10, 10], `topic ${k}`);
    assert.strictEqual(m.size, 3);
    assert.strictEqual(m.levelsOf('id1', 'topic 0'), undefined);
    // A topic forgotten and seen again scores nothing (its forecasts are gone) instead of failing.
    assert.deepStrictEqual(feed(m, 101, 10, [10, 10], 'topic 0').scores, []);
  });
});

describe('core/serve: adaptive intervals beyond the calibration', function () {
  it('widen past the largest residual when errors grow, finite (at most 2.9x it for n = 10)', function () {
    const m = new StreamMonitor({ levels: [0.8], adaptRate: 0.05, threshold: 1.5, maxStreams: 1 });
    let last;
    for (let t = 100; t < 400; t++) last = feed(m, t, t % 2 ? 15 : 5).intervals['80']; // misses by 5 every time
    const half = last.upper[0] - 10;
    assert.ok(half > 1 && half < 2.9 && Number.isFinite(half), `half-width ${half} (largest residual 1.0)`);
  });

  it('serves an artifact stored before the backtest residuals the same bands as then (fixture)', function () {
    // test/fixtures/make-pre-backtest-calibration.js: the bands served at commit ec55455, static and adaptive
    const { validateArtifact } = require('../../../nodes/core/model/artifact');
    const fx = require('../../fixtures/pre-backtest-calibration.json');
    const artifact = validateArtifact(fx.artifact);
    assert.strictEqual(artifact.calibration.backtest, undefined);
    [0, 0.005].forEach((adaptRate, a) => {
      const monitor = new StreamMonitor({ levels: fx.levels, adaptRate, threshold: 1.5, maxStreams: 1 });
      fx.windows.forEach((w, i) => {
        const times = w.map((_, j) => i + j);
        const ft = fx.forecast[i].map((_, h) => i + w.length + h);
        const got = monitor.next(artifact.id, 't', artifact.calibration, 0, w, times, fx.forecast[i], ft, 1);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(got)), fx.served[a][i], `adaptRate ${adaptRate}, window ${i}`);
      });
    });
  });

  it('never serves a band narrower than the backtest grid at the level, adapted or not', function () {
    const wide = Array.from({ length: 10 }, (_, i) => (i + 1) / 5); // 0.2 .. 2.0, twice the validation residuals
    const bt = { n: 10, ranks: wide.map((_, i) => i + 1), residuals: [wide, wide] };
    const m = new StreamMonitor(opts);
    const out = feed(m, 1, 10, [10, 10], 'a', { ...cal, backtest: bt }).intervals;
    // level 80 %: rank ceil(11 x 0.8) = 9 of both grids, 0.9 and 1.8: the larger
    assert.deepStrictEqual(out['80'], { lower: [8.2, 8.2], upper: [11.8, 11.8] });
    const a = new StreamMonitor({ levels: [0.95], adaptRate: 0.05, threshold: 1.5, maxStreams: 1 });
    let last;
    for (let t = 100; t < 400; t++)
      last = a.next(
        'id1',
        'a',
        { ...cal, backtest: bt },
        0,
        [row(10), row(t % 2 ? 15 : 5)],
        [t - 1, t],
        [10, 10],
        [t + 1, t + 2],
        1,
      ).intervals['95'];
    const half = last.upper[0] - 10;
    assert.ok(half > 2 && half < 2 * 2.9 && Number.isFinite(half), `adapted half-width ${half} (largest backtest 2.0)`);
  });
});

describe('core/serve: intervals recalibrated on the stream’s own residuals', function () {
  const { recalibratedHalfWidth } = require('../../../nodes/core/data/conformal');
  const ropts = { ...opts, recalibrate: true };

  it('serves the calibrated band until a reading arrives, then moves it towards the residuals observed', function () {
    const m = new StreamMonitor(ropts);
    const first = feed(m, 100, 10).intervals;
    assert.deepStrictEqual(first, feed(new StreamMonitor(opts), 100, 10).intervals, 'no reading yet: as calibrated');
    // every reading 3 off the forecast (the calibration's largest residual is 1): the band widens step by step
    let last = first['80'].upper[0] - 10;
    for (let t = 101; t < 106; t++) {
      const half = feed(m, t, 13).intervals['80'].upper[0] - 10;
      assert.ok(half >= last, `80 % half-width ${half} after ${last}`);
      last = half;
    }
    assert.strictEqual(last, 3, 'half the calibration residuals replaced by 3: the 9th of 10 is now 3');
    // the static node keeps the calibrated band whatever arrives
    const still = new StreamMonitor(opts);
    for (let t = 100; t < 106; t++) feed(still, t, 13);
    assert.strictEqual(feed(still, 106, 13).intervals['80'].upper[0], 10.9);
  });

  it('serves the order statistic of the newest residuals alone once they replaced every calibration one', function () {
    const m = new StreamMonitor(ropts);
    feed(m, 100, 10);
    // reading t is 0.05 (t - 100) off the forecast made at t - 1 for it: step 1's residuals 0.05 .. 1.0
    let served;
    for (let t = 101; t <= 120; t++) served = feed(m, t, 10 + (t - 100) * 0.05).intervals;
    // n = 10: the newest ten (t 111 .. 120: 0.55 .. 1.0) alone; the 80 % band is their 9th smallest
    assert.strictEqual(+(served['80'].upper[0] - 10).toFixed(9), 0.95);
    assert.strictEqual(+(served['95'].upper[0] - 10).toFixed(9), 1);
    assert.strictEqual(m.residualsOf('id1', 'a')[0].length, 10, 'at most n per step');
  });

  it('computes the mixture quantile of calibration and own residuals', function () {
    // none observed: the calibrated half-width
    assert.strictEqual(recalibratedHalfWidth(cal, 0, 0.8, []), 0.9);
    // 5 of 10 replaced by 2.0: F(x) = 0.5 F_calibration(x) + 0.5 F_own(x) reaches 0.9 (the 9th of 10) at 2
    assert.strictEqual(recalibratedHalfWidth(cal, 0, 0.8, [2, 2, 2, 2, 2]), 2);
    // the 5 calibration slots left stand for its quantiles at 1/6 .. 5/6: 0.2, 0.4, 0.5, 0.7, 0.9 (never its largest)
    assert.strictEqual(recalibratedHalfWidth(cal, 0, 0.4, [2, 2, 2, 2, 2]), 0.9);
    assert.strictEqual(recalibratedHalfWidth(cal, 0, 0.5, [2, 2, 2, 2, 2]), 2);
    // every one replaced: the (n + 1) p-th smallest of the own residuals
    const own = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.5];
    assert.strictEqual(recalibratedHalfWidth(cal, 0, 0.8, own), 0.9);
    assert.strictEqual(recalibratedHalfWidth(cal, 0, 0.95, own), 1.5);
    // with a backtest grid the calibration part never falls below it, as the static band
    const bt = { ...cal, backtest: { n: 10, ranks: cal.ranks, residuals: [r.map((x) => 2 * x), r.map((x) => 2 * x)] } };
    assert.strictEqual(recalibratedHalfWidth(bt, 0, 0.8, []), 1.8);
    // one observed: 9 slots at the served distribution's 1/10 .. 9/10 (0.2 .. 1.8, the backtest's) and 0.1
    assert.strictEqual(recalibratedHalfWidth(bt, 0, 0.8, [0.1]), 1.6);
    assert.strictEqual(recalibratedHalfWidth(bt, 0, 0.8, own), 0.9, 'all replaced: the backtest no longer binds');
  });

  it('does not jump to the largest calibration or backtest residual while the own residuals arrive', function () {
    // n = 20: at 95 % the rank is ceil(21 x 0.95) = 20 of 20; the backtest's largest (rank 40 of 40) is an outlier
    const v = Array.from({ length: 20 }, (_, i) => (i + 1) / 10);
    const b = Array.from({ length: 40 }, (_, i) => (i < 39 ? (i + 1) / 20 : 30));
    const c20 = {
      ...cal,
      n: 20,
      ranks: v.map((_, i) => i + 1),
      residuals: [v],
      backtest: { n: 40, ranks: b.map((_, i) => i + 1), residuals: [b] },
    };
    const calibrated = recalibratedHalfWidth(c20, 0, 0.95, []);
    assert.strictEqual(calibrated, 2, 'the calibrated band: validation rank 20 (2.0) over backtest rank 39 (1.95)');
    // a calm stream: every residual 0.5; the band never widens past the calibrated one and ends at 0.5
    let last = calibrated;
    for (let m = 1; m <= 20; m++) {
      const half = recalibratedHalfWidth(c20, 0, 0.95, Array(m).fill(0.5));
      assert.ok(half <= last, `m = ${m}: ${half} after ${last}`);
      last = half;
    }
    assert.strictEqual(last, 0.5);
  });

  it('stays finite for a stored grid whose largest kept rank is below n', function () {
    const cut = { ...cal, ranks: cal.ranks.slice(0, 9), residuals: [r.slice(0, 9), r.slice(0, 9)] };
    const half = recalibratedHalfWidth(cut, 0, 0.95, [0.2]);
    assert.ok(Number.isFinite(half) && half <= 0.9, `${half}`);
  });

  it('adapts the level on top of the recalibrated residuals, finite beyond what they cover', function () {
    const m = new StreamMonitor({ ...ropts, levels: [0.8], adaptRate: 0.05 });
    feed(m, 100, 10);
    // errors that grow with every reading: each one falls outside, the level rises past what 10 residuals cover
    let b;
    for (let t = 101; t < 160; t++) {
      b = feed(m, t, 10 + (t - 100)).intervals['80'];
      assert.ok([...b.lower, ...b.upper].every(Number.isFinite));
    }
    const level = m.levelsOf('id1', 'a')[0];
    assert.ok(level > 10 / 11, `the level rose to ${level}`);
    const own = m.residualsOf('id1', 'a')[0];
    assert.ok(b.upper[0] - 10 > Math.max(...own), 'stretched past the largest own residual');
    // a calm stream: inside every time, the level falls; the band is the recalibrated quantile at that level
    const calm = new StreamMonitor({ ...ropts, levels: [0.8], adaptRate: 0.05 });
    for (let t = 100; t < 140; t++) b = feed(calm, t, 10 + (t % 3) * 0.1).intervals['80'];
    const lower = calm.levelsOf('id1', 'a')[0];
    assert.ok(lower < 0.8, `${lower}`);
    const sorted = [...calm.residualsOf('id1', 'a')[0]].sort((x, y) => x - y);
    assert.strictEqual(b.upper[0] - 10, recalibratedHalfWidth(cal, 0, lower, sorted));
  });

  it('keeps one stream per topic as long as the ids calibrated on their own (256 characters)', function () {
    const m = new StreamMonitor(ropts);
    const a = 'x'.repeat(220) + 'a';
    const b = 'x'.repeat(220) + 'b';
    feed(m, 100, 10, [10, 10], a);
    feed(m, 101, 13, [10, 10], a);
    assert.deepStrictEqual(m.residualsOf('id1', a)[0], [3]);
    assert.strictEqual(m.residualsOf('id1', b), undefined, "b has not been seen: a's residuals are not its own");
  });

  it('keeps the residuals bounded per stream and every bound finite', function () {
    const big = { ...cal, n: 5000, ranks: r.map((_, i) => 4991 + i) };
    const m = new StreamMonitor(ropts);
    feed(m, 100, 10, [10, 10], 'a', big);
    for (let t = 101; t < 1400; t++) {
      const { intervals } = feed(m, t, t % 7 ? 10 : 1e300, [10, 10], 'a', big);
      for (const b of Object.values(intervals)) assert.ok([...b.lower, ...b.upper].every(Number.isFinite));
    }
    const kept = m.residualsOf('id1', 'a');
    assert.ok(
      kept.every((k) => k.length <= 200),
      `kept ${kept.map((k) => k.length)}`,
    );
    assert.strictEqual(kept[0].length, 200);
    // a 500-step horizon: at most 40 per step (20,000 per stream), as the calibration grid keeps
    const H = 500;
    const long = { ...big, residuals: Array.from({ length: H }, () => r), rmse: Array(H).fill(0.6) };
    const steps = Array.from({ length: H }, (_, h) => h + 1);
    for (let t = 100; t < 700; t++) {
      const f = Array(H).fill(10);
      m.next(
        'id2',
        'b',
        long,
        0,
        [row(10), row(t % 3 ? 10 : 12)],
        [t - 1, t],
        f,
        steps.map((h) => t + h),
        1,
      );
    }
    const many = m.residualsOf('id2', 'b');
    assert.strictEqual(Math.max(...many.map((k) => k.length)), 40);
  });
});
