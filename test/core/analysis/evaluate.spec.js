'use strict';
const assert = require('node:assert/strict');
const ev = require('../../../nodes/core/analysis/evaluate');
const { parseCsv } = require('../../../nodes/core/data/csv');

describe('evaluate: split and origins (accuracy-protocol-v1)', function () {
  it('splits like Python: n_test = round(0.2 n), n_val = round(0.1 n), halves to even', function () {
    assert.deepEqual(ev.splitSizes(50), { train: 35, val: 5, test: 10 });
    // protocol tasks: co2 672 rows, hourly 8759 rows
    assert.deepEqual(ev.splitSizes(672), { train: 471, val: 67, test: 134 });
    assert.deepEqual(ev.splitSizes(8759), { train: 6131, val: 876, test: 1752 });
    // 0.1 * 25 = 2.5 -> 2 (Python round), 0.1 * 35 = 3.5 -> 4
    assert.equal(ev.splitSizes(25).val, 2);
    assert.equal(ev.splitSizes(35).val, 4);
    // sizes in rows
    assert.deepEqual(ev.splitSizes(50, 12, 6), { train: 32, val: 6, test: 12 });
    assert.throws(
      () => ev.splitSizes(50, 2.5),
      /test size must be a fraction between 0 and 1 or a whole number of rows/,
    );
  });

  it('cuts train / val / test origins by the protocol rules (checked by hand)', function () {
    // n = 50, L = 5, H = 3: train rows [0,35), val [35,40), test [40,50)
    const sizes = ev.splitSizes(50);
    assert.deepEqual(ev.originRanges(sizes, 5, 3), {
      train: [4, 31], // o >= L-1 = 4, o+3 <= 34
      val: [34, 36], // o >= 34, o+3 <= 39
      test: [39, 46], // o >= 39, o+3 <= 49
    });
    const rows = Array.from({ length: 50 }, (_, i) => [i, 100 + i]);
    const w = ev.splitWindows(rows, 0, 5, 3, sizes, 2);
    assert.equal(w.train.origins.length, 28);
    assert.equal(w.train.origins[0], 4);
    assert.equal(w.train.origins[27], 31);
    assert.deepEqual(w.val.origins, [34, 35, 36]);
    assert.deepEqual(w.test.origins, [39, 41, 43, 45]);
    // the window ending at origin 34 reaches back into train; its targets are val rows 35..37
    assert.deepEqual(w.val.inputs[0], [
      [30, 130],
      [31, 131],
      [32, 132],
      [33, 133],
      [34, 134],
    ]);
    assert.deepEqual(w.val.targets[0], [[35], [36], [37]]);
    // no train target enters val, no val target enters test
    assert.ok(w.train.targets.every((t) => t[2][0] <= 34));
    assert.ok(w.val.targets.every((t) => t[0][0] >= 35 && t[2][0] <= 39));
    assert.ok(w.test.targets.every((t) => t[0][0] >= 40 && t[2][0] <= 49));
  });

  it('says which part has too few rows', function () {
    assert.throws(
      () => ev.checkSplit({ train: 7, val: 5, test: 10 }, 5, 3),
      /the train part has 7 of 22 rows, needs at least 8 \(window 5 \+ horizon 3\)/,
    );
    assert.throws(
      () => ev.checkSplit({ train: 20, val: 2, test: 10 }, 5, 3),
      /the validation part has 2 of 32 rows, needs at least 3/,
    );
    assert.throws(
      () => ev.checkSplit({ train: 20, val: 5, test: 2 }, 5, 3),
      (e) => e.code === 'BAD_INPUT' && /test part has 2/.test(e.message),
    );
  });

  it('computes the MASE scale on the train rows with lag m', function () {
    // y = 0, 1, 4, 9, 16, 25; train = first 5; m = 2: |4-0|, |9-1|, |16-4| -> mean 8
    assert.equal(ev.seriesMaseScale([0, 1, 4, 9, 16, 25], 5, 2), 8);
  });

  it('parses model lists and refuses unknown ones', function () {
    assert.deepEqual(
      ev.parseModels('lstm,gca3').map((m) => [m.label, m.config]),
      [
        ['lstm', { type: 'lstm' }],
        ['gca3', { type: 'gca', iterations: 3 }],
      ],
    );
    assert.deepEqual(
      ev.parseModels('all').map((m) => m.label),
      ['lstm', 'attention', 'gca'],
    );
    assert.throws(() => ev.parseModels('lstm2'), /unknown model "lstm2"/);
  });

  it('parses seeds: a count or a list', function () {
    assert.deepEqual(ev.parseSeeds('3'), [0, 1, 2]);
    assert.deepEqual(ev.parseSeeds('1,2'), [1, 2]);
    for (const bad of ['0', '', 'x', '1,', '-1', '1.5'])
      assert.throws(
        () => ev.parseSeeds(bad),
        (e) => e.code === 'BAD_CONFIG' && /seeds must be a count \(3\) or a list \(0,1,2\)/.test(e.message),
        bad,
      );
  });

  it('reads a series from a table: target first, time range, clear errors', function () {
    const t = parseCsv('date,a,b\n2020-01-01,1,10\n2020-01-02,2,20\n2020-01-03,x,30\n');
    const s = ev.seriesFromTable(t, { target: 'b', features: ['a'], time: 'date', to: Date.UTC(2020, 0, 2) });
    assert.deepEqual(s.features, ['b', 'a']);
    assert.deepEqual(s.rows, [
      [10, 1],
      [20, 2],
    ]);
    assert.throws(
      () => ev.seriesFromTable(t, { target: 'b', features: ['a'] }),
      /row 3, column 'a': expected a number, got "x"/,
    );
    assert.throws(
      () => ev.seriesFromTable(t, { target: 'c' }),
      /column 'c' not found; available columns: 'date', 'a', 'b'/,
    );
  });

  it('mean and population std over seeds', function () {
    assert.deepEqual(ev.meanStd([1, 3]), { mean: 2, std: 1 });
  });

  it('scores conformal, Gaussian and adaptive intervals; adaptation recovers coverage when test errors grow', function () {
    const { seededRandom } = require('../../../nodes/core/base/random');
    const { calibrate } = require('../../../nodes/core/data/conformal');
    const rand = seededRandom(4);
    const noise = (s) => s * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const H = 2;
    const valTruth = Array.from({ length: 200 }, () => [noise(1), noise(1)]);
    const cal = calibrate(
      valTruth,
      valTruth.map(() => [0, 0]),
    );
    // A test series whose errors are twice the validation ones; the forecast is always 0.
    const y = Array.from({ length: 600 }, () => noise(2));
    const origins = Array.from({ length: 590 }, (_, i) => i + 5);
    const inputs = origins.map((o) => y.slice(o - 4, o + 1).map((v) => [v]));
    const truth = origins.map((o) => [y[o + 1], y[o + 2]]);
    const pred = origins.map(() => Array(H).fill(0));
    const [l] = ev.intervalScores(truth, pred, cal, [0.8], { inputs, origins, ti: 0, rate: 0.02 });
    assert.strictEqual(l.level, 0.8);
    assert.ok(l.conformal.coverage < 0.6, `static conformal under-covers: ${l.conformal.coverage}`);
    assert.ok(l.gaussian.coverage < 0.6, `Gaussian under-covers: ${l.gaussian.coverage}`);
    assert.ok(Math.abs(l.adaptive.coverage - 0.8) < 0.06, `adaptive ${l.adaptive.coverage}`);
    assert.ok(l.adaptive.winkler < l.conformal.winkler);
    // the first origins still serve mostly the (too narrow) calibration: near nominal over the whole run, not at it
    assert.ok(Math.abs(l.recalibrated.coverage - 0.8) < 0.06, `recalibrated ${l.recalibrated.coverage}`);
    assert.ok(l.recalibrated.winkler < l.conformal.winkler);
    assert.deepStrictEqual(ev.intervalScores(truth, pred, undefined, [0.8]), []);
  });

  it('recalibrates on the stream: calmer test weeks than validation get a narrower band near nominal', function () {
    const { seededRandom } = require('../../../nodes/core/base/random');
    const { calibrate } = require('../../../nodes/core/data/conformal');
    const rand = seededRandom(7);
    const noise = (s) => s * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const valTruth = Array.from({ length: 150 }, () => [noise(1), noise(1), noise(1)]);
    const cal = calibrate(
      valTruth,
      valTruth.map(() => [0, 0, 0]),
    );
    // test errors half the validation ones
    const y = Array.from({ length: 1000 }, () => noise(0.5));
    const origins = Array.from({ length: 990 }, (_, i) => i + 5);
    const inputs = origins.map((o) => y.slice(o - 4, o + 1).map((v) => [v]));
    const truth = origins.map((o) => [y[o + 1], y[o + 2], y[o + 3]]);
    const pred = origins.map(() => [0, 0, 0]);
    const levels = ev.intervalScores(truth, pred, cal, [0.8, 0.95], { inputs, origins, ti: 0, rate: 0.005 });
    for (const l of levels) {
      assert.ok(l.conformal.coverage > l.level + 0.04, `static over-covers: ${l.conformal.coverage}`);
      assert.ok(l.gaussian.coverage > l.level + 0.04, `Gaussian over-covers: ${l.gaussian.coverage}`);
      assert.ok(Math.abs(l.recalibrated.coverage - l.level) < 0.03, `recalibrated ${l.recalibrated.coverage}`);
      assert.ok(l.recalibrated.width < 0.7 * l.gaussian.width, `${l.recalibrated.width} vs ${l.gaussian.width}`);
      assert.ok(l.recalibrated.winkler < l.conformal.winkler && l.recalibrated.winkler < l.gaussian.winkler);
    }
  });
});
