'use strict';
const assert = require('assert');
const m = require('../../../nodes/core/data/metrics');

const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-12, `${msg || ''} expected ${b}, got ${a}`);

describe('core/metrics', () => {
  const truth = [
    [1, 2],
    [3, 4],
  ];
  const pred = [
    [2, 2],
    [1, 7],
  ];
  // errors: 1, 0, -2, 3 -> |e| = 1, 0, 2, 3

  it('MAE, RMSE and MAE per step (hand-computed)', () => {
    close(m.mae(truth, pred), 6 / 4); // (1+0+2+3)/4
    close(m.rmse(truth, pred), Math.sqrt(14 / 4)); // (1+0+4+9)/4
    const by = m.maeByStep(truth, pred);
    close(by[0], 1.5); // (1+2)/2
    close(by[1], 1.5); // (0+3)/2
  });

  it('refuses mismatched shapes', () => {
    assert.throws(() => m.mae(truth, [[1, 2]]), /1 forecasts for 2 truths/);
    assert.throws(() => m.rmse(truth, [[1], [2]]), /expected 2 forecast steps, got 1/);
  });

  it('MASE scale: mean |y[t]-y[t-m]| inside the windows, m = 1 when season is 0 or >= window', () => {
    const w = [
      [[1], [2], [4], [7]],
      [[2], [4], [7], [11]],
    ];
    // lag 1: window 1 diffs 1,2,3; window 2 diffs 2,3,4 -> 15/6
    close(m.maseScale(w, 0, 0), 15 / 6);
    close(m.maseScale(w, 0, 4), 15 / 6); // season = window -> fallback lag 1
    // lag 2: window 1: |4-1|,|7-2| = 3,5; window 2: |7-2|,|11-4| = 5,7 -> 20/4
    close(m.maseScale(w, 0, 2), 5);
    assert.strictEqual(m.maseLag(2, 4), 2);
    assert.strictEqual(m.maseLag(4, 4), 1);
    assert.strictEqual(m.maseLag(0, 4), 1);
  });

  it('MASE = MAE / scale, null when the scale is 0', () => {
    const s = m.scoreForecast(truth, pred, 0.5);
    close(s.mase, 3); // 1.5 / 0.5
    assert.strictEqual(m.scoreForecast(truth, pred, 0).mase, null);
  });

  it('last-value baseline repeats the last target value', () => {
    const w = [
      [
        [9, 1],
        [8, 2],
        [7, 3],
      ],
    ];
    assert.deepStrictEqual(m.lastValueForecast(w, 1, 3), [[3, 3, 3]]);
  });

  it('seasonal naive: yhat[o+h] = y[o+h-m*ceil(h/m)]', () => {
    // window of 6 values 10..15, o = 5 (value 15)
    const w = [[10, 11, 12, 13, 14, 15].map((v) => [v])];
    // m = 3, H = 5: h=1 -> y[3]=13, h=2 -> y[4]=14, h=3 -> y[5]=15, h=4 -> y[3]=13, h=5 -> y[4]=14
    assert.deepStrictEqual(m.seasonalNaiveForecast(w, 0, 5, 3), [[13, 14, 15, 13, 14]]);
    // m = window = 6: h=1 -> y[0]
    assert.deepStrictEqual(m.seasonalNaiveForecast(w, 0, 2, 6), [[10, 11]]);
    // m = 1 is the last value
    assert.deepStrictEqual(m.seasonalNaiveForecast(w, 0, 2, 1), [[15, 15]]);
    assert.strictEqual(m.seasonalNaiveForecast(w, 0, 2, 7), null); // longer than the window
    assert.strictEqual(m.seasonalNaiveForecast(w, 0, 2, 0), null); // no season
  });

  it('validationScores puts the model beside both baselines on one scale', () => {
    const train = [[[1], [2], [4], [7]]]; // lag-1 scale = (1+2+3)/3 = 2
    const val = [[[7], [11], [16], [22]]];
    const valTruth = [[29, 37]];
    const v = m.validationScores(train, val, valTruth, [[28, 37]], 0, 2);
    close(v.maseScale, 4); // season 2 < window 4 -> lag 2: |4-1|, |7-2| -> 4
    assert.strictEqual(v.maseLag, 2);
    close(v.model.mae, 0.5);
    close(v.model.mase, 0.5 / 4);
    close(v.lastValue.mae, (7 + 15) / 2); // 22 repeated
    // seasonal m=2: h=1 -> y[2]=16, h=2 -> y[3]=22 -> errors 13, 15
    close(v.seasonalNaive.mae, 14);
    assert.strictEqual(m.validationScores(train, val, valTruth, [[28, 37]], 0, 0).seasonalNaive, null);
    assert.doesNotThrow(() => JSON.stringify(v));
  });
});
