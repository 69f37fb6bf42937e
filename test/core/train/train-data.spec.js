'use strict';
const assert = require('assert');
const { WindowAccumulator } = require('../../../nodes/core/train/train-data');

describe('core: streamed training windows', function () {
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
