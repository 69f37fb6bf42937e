'use strict';
const assert = require('assert');
const { WindowAccumulator } = require('../../../nodes/core/train/train-data');

describe('core: streamed training windows', function () {
  it('keeps the series of each window when several series are collected, bounded with the windows', function () {
    const acc = new WindowAccumulator(4);
    const w = (v, series) => ({
      type: 'window',
      series,
      features: ['a'],
      target: 'a',
      window: 2,
      horizon: 1,
      step: 1,
      inputs: [[v], [v + 1]],
      timestamps: [0, 1],
      targets: [[v + 2]],
    });
    acc.add(w(0, 's'));
    acc.add(w(1, 's'));
    assert.strictEqual(acc.take().seriesIds, undefined, 'one series: no ids');
    for (let i = 2; i < 6; i++) acc.add(w(i, i % 2 ? 'u' : 't'));
    const d = acc.take();
    assert.deepStrictEqual(d.seriesIds, ['t', 'u', 't', 'u'], 'the ids of the kept (newest) windows');
    assert.deepStrictEqual(
      d.inputs.map((x) => x[0][0]),
      [2, 3, 4, 5],
    );
    acc.clear();
    acc.add(w(0, 'v'));
    assert.strictEqual(acc.take().seriesIds, undefined, 'cleared with the windows');
  });

  it('keeps at most max streamed windows and refuses windows of another spec', function () {
    const acc = new WindowAccumulator(10);
    const w = (v, extra = {}) => ({
      type: 'window',
      series: 's',
      features: ['a'],
      target: 'a',
      window: 2,
      horizon: 1,
      step: 1,
      inputs: [[v], [v + 1]],
      timestamps: [0, 1],
      targets: [[v + 2]],
      ...extra,
    });
    for (let i = 0; i < 12; i++) acc.add(w(i));
    assert.strictEqual(acc.size, 10);
    assert.strictEqual(acc.dropped, 2);
    const d = acc.take();
    assert.deepStrictEqual(d.inputs[0], [[2], [3]], 'the oldest were dropped');
    assert.throws(
      () => acc.add(w(0, { features: ['b'], target: 'b' })),
      /expected windows like the 10 collected .*features a, target a\), got .*features b, target b/,
    );
    assert.throws(() => acc.add(w(0, { targets: undefined })), /expected a training window with targets/);
  });
});

describe('core: a malformed streamed window never poisons the collection', function () {
  const w = (v, extra = {}) => ({
    type: 'window',
    series: 's',
    features: ['a', 'b'],
    target: 'a',
    window: 3,
    horizon: 2,
    step: 1,
    inputs: [
      [v, 1],
      [v + 1, 2],
      [v + 2, 3],
    ],
    timestamps: [0, 1, 2],
    targets: [[v + 3], [v + 4]],
    ...extra,
  });
  const bad = [
    ['a row missing', w(0, { inputs: [[0, 1]] }), /window: expected 3 rows x 2 features \(a, b\), got 1 x 2/],
    ['a short row', w(0, { inputs: [[0, 1], [1], [2, 3]] }), /expected 3 rows x 2 features .*got row 1 of 1/],
    [
      'NaN',
      w(0, {
        inputs: [
          [0, 1],
          [NaN, 2],
          [2, 3],
        ],
      }),
      /got NaN at row 1, feature a; expected finite/,
    ],
    [
      'a string',
      w(0, {
        inputs: [
          [0, 1],
          [1, '2'],
          [2, 3],
        ],
      }),
      /got "2" at row 1, feature b; expected finite/,
    ],
    [
      'beyond float32',
      w(0, {
        inputs: [
          [0, 1],
          [1, 2],
          [2, 1e39],
        ],
      }),
      /got 1e\+39 at row 2, feature b; .*float32/,
    ],
    ['a target missing', w(0, { targets: [[3]] }), /expected 2 targets of one finite number, got an array of 1/],
    ['a NaN target', w(0, { targets: [[3], [NaN]] }), /target 1 is NaN; expected a finite float32 number/],
    ['a wrong target shape', w(0, { targets: [3, 4] }), /expected 2 targets of one finite number/],
    ['features not names', w(0, { features: 'a,b' }), /expected features as a list of names, got "a,b"/],
    ['a target not among the features', w(0, { target: 'c' }), /target "c" is not one of the features \(a, b\)/],
    ['a bad window length', w(0, { window: 0 }), /expected window \(L\) as a positive integer, got 0/],
    ['inputs not an array', w(0, { inputs: 'x' }), /expected 3 rows x 2 features/],
  ];
  for (const [what, win, text] of bad) {
    it(`refuses ${what} and leaves the collection unchanged`, function () {
      const acc = new WindowAccumulator(10);
      assert.throws(
        () => acc.add(win),
        (err) => err.code === 'BAD_INPUT' && text.test(err.message),
      );
      assert.strictEqual(acc.size, 0, 'a bad first window sets no spec');
      acc.add(w(10));
      acc.add(w(11));
      const before = JSON.stringify({ d: acc.take(), fresh: acc.fresh, size: acc.size });
      acc.add(w(12));
      acc.take();
      const acc2 = new WindowAccumulator(10);
      acc2.add(w(10));
      acc2.add(w(11));
      assert.throws(
        () => acc2.add(win),
        (err) => ['BAD_INPUT', 'SPEC_MISMATCH'].includes(err.code),
      );
      assert.strictEqual(JSON.stringify({ d: acc2.take(), fresh: acc2.fresh, size: acc2.size }), before);
    });
  }
});

describe('core: datasets for lstm-train', function () {
  const { datasetToTrainData } = require('../../../nodes/core/train/train-data');
  const ds = (n) => ({
    type: 'dataset',
    series: '',
    features: ['a'],
    target: 'a',
    window: 1,
    horizon: 1,
    step: 0,
    count: n,
    inputs: Array.from({ length: n }, (_, i) => [[i]]),
    timestamps: [],
    targets: Array.from({ length: n }, (_, i) => [[i + 1]]),
  });
  it('keeps the newest windows up to the bound', function () {
    const { data, dropped } = datasetToTrainData(ds(15), 10);
    assert.strictEqual(dropped, 5);
    assert.strictEqual(data.inputs.length, 10);
    assert.deepStrictEqual(data.inputs[0], [[5]]);
    assert.deepStrictEqual(data.targets[9], [[15]]);
  });
  it('refuses a dataset without targets', function () {
    assert.throws(
      () => datasetToTrainData({ ...ds(3), targets: undefined }),
      /expected a dataset with targets \(set a horizon on the windower\), got 3 windows without targets/,
    );
  });
});
