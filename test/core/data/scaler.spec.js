'use strict';
const assert = require('assert');
const { fitScaler, prepare, restoreForecast, STD_FLOOR } = require('../../../nodes/core/data/scaler');
const { flatten3, unflatten3 } = require('../../../nodes/core/base/arrays');
const { initBackend } = require('../../../nodes/core/base/backend');

// Two windows of 3 rows x 2 features (target = column 1), horizon 2.
const inputs = [
  [
    [1, 10],
    [2, 12],
    [3, 14],
  ],
  [
    [2, 12],
    [3, 14],
    [4, 16],
  ],
];
const targets = [
  [[16], [18]],
  [[18], [20]],
];

describe('core/scaler', () => {
  before(() => initBackend());

  it('fits mean and population std per feature over every row', () => {
    const s = fitScaler(inputs);
    // feature 0 rows: 1,2,3,2,3,4 -> mean 2.5, var = (2.25+.25+.25+.25+.25+2.25)/6 = 5.5/6
    assert.ok(Math.abs(s.mean[0] - 2.5) < 1e-12);
    assert.ok(Math.abs(s.std[0] - Math.sqrt(5.5 / 6)) < 1e-12);
    // feature 1 = 8 + 2 * feature 0 -> mean 13, std twice as large
    assert.ok(Math.abs(s.mean[1] - 13) < 1e-12);
    assert.ok(Math.abs(s.std[1] - 2 * Math.sqrt(5.5 / 6)) < 1e-12);
  });

  it('floors the std of a constant feature instead of dividing by zero', () => {
    const s = fitScaler([
      [
        [5, 1],
        [5, 2],
      ],
    ]);
    assert.strictEqual(s.std[0], STD_FLOOR);
    const p = prepare(
      [
        [
          [5, 1],
          [5, 2],
        ],
      ],
      undefined,
      s,
      1,
    );
    assert.ok(Array.from(p.x).every(Number.isFinite));
  });

  it('makes the target channel and the targets window-relative (0 at the last row)', () => {
    const s = fitScaler(inputs);
    const p = prepare(inputs, targets, s, 1);
    assert.deepStrictEqual([p.count, p.window, p.features, p.horizon], [2, 3, 2, 2]);
    // last row of each window, target channel: exactly 0 after subtracting the level
    assert.strictEqual(p.x[(0 * 3 + 2) * 2 + 1], 0);
    assert.strictEqual(p.x[(1 * 3 + 2) * 2 + 1], 0);
    // the other feature keeps its plain z-score: window 0 row 0 feature 0 = (1 - 2.5) / std0
    assert.ok(Math.abs(p.x[0] - (1 - 2.5) / s.std[0]) < 1e-6);
    // level of window 0 = z(14); first target (16) -> (16 - 14) / std1
    assert.ok(Math.abs(p.levels[0] - (14 - 13) / s.std[1]) < 1e-6);
    assert.ok(Math.abs(p.y[0] - 2 / s.std[1]) < 1e-6);
  });

  it('round-trips targets back to real units', () => {
    const s = fitScaler(inputs);
    const p = prepare(inputs, targets, s, 1);
    const f = restoreForecast(p.y, p.levels, s, 1, 2);
    assert.strictEqual(f.length, 2);
    f.flat().forEach((v, i) => assert.ok(Math.abs(v - targets.flat(2)[i]) < 1e-4, `target ${i}: ${v}`));
  });

  it('flattens and unflattens row-major', () => {
    const flat = flatten3(inputs);
    assert.deepStrictEqual(Array.from(flat.slice(0, 4)), [1, 10, 2, 12]);
    assert.deepStrictEqual(unflatten3(flat, 2, 3, 2), inputs);
    assert.throws(() => unflatten3(flat, 2, 3, 3), /expected 18 values/);
  });

  it('refuses a scaler of the wrong width', () => {
    assert.throws(
      () => prepare(inputs, targets, { mean: [0], std: [1] }, 0),
      (e) => e.code === 'SPEC_MISMATCH' && /1 features, the windows have 2/.test(e.message),
    );
  });
});
