'use strict';
const assert = require('assert');
const { checkTrainRequest } = require('../../../nodes/core/train/request');
const { splitWindows, scalerFor, prepareSplit } = require('../../../nodes/core/train/split');
const { fitScaler } = require('../../../nodes/core/data/scaler');
const { co2Dataset } = require('../../helpers/co2-fixture');

describe('core/train/split', function () {
  it('validates on the last windows, in order, at least one', () => {
    const data = co2Dataset(12, 3, 35); // 21 windows
    const { train, val } = splitWindows(checkTrainRequest(data, {}, { validationFraction: 0.2 }));
    assert.strictEqual(train.inputs.length, 17);
    assert.deepStrictEqual(val.inputs, data.inputs.slice(17));
    assert.deepStrictEqual(val.targets, data.targets.slice(17));
    assert.deepStrictEqual(train.targets, data.targets.slice(0, 17));
    const tiny = splitWindows(checkTrainRequest(data, {}, { validationFraction: 0.001 }));
    assert.deepStrictEqual(tiny.val.inputs, [data.inputs[20]]);
  });

  it('validates on the newest windows of each series when the windows carry series ids', () => {
    // Two series concatenated (a's windows, then b's), as one model across several series is trained.
    const a = co2Dataset(12, 3, 35); // 21 windows
    const b = co2Dataset(12, 3, 35);
    const data = {
      ...a,
      inputs: [...a.inputs, ...b.inputs],
      targets: [...a.targets, ...b.targets],
      seriesIds: [...a.inputs.map(() => 'a'), ...b.inputs.map(() => 'b')],
    };
    const { train, val, valIds } = splitWindows(checkTrainRequest(data, {}, { validationFraction: 0.2 }));
    // the newest 20 % of the concatenation would be series b's only: each series gives its newest 4 of 21
    assert.strictEqual(val.inputs.filter((w) => a.inputs.slice(17).includes(w)).length, 4);
    assert.deepStrictEqual(val.inputs, [...a.inputs.slice(17), ...b.inputs.slice(17)]);
    assert.deepStrictEqual(valIds, ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b']);
    assert.deepStrictEqual(train.inputs, [...a.inputs.slice(0, 17), ...b.inputs.slice(0, 17)]);
    assert.deepStrictEqual(train.targets, [...a.targets.slice(0, 17), ...b.targets.slice(0, 17)]);
  });

  it('refuses series ids that do not match the windows', () => {
    const data = co2Dataset(12, 3, 35);
    assert.throws(
      () => checkTrainRequest({ ...data, seriesIds: ['a'] }, {}, {}),
      (e) => e.code === 'BAD_INPUT' && /expected one series id per window \(21\), got 1/.test(e.message),
    );
    assert.throws(
      () => checkTrainRequest({ ...data, seriesIds: data.inputs.map((_, i) => (i ? 'a' : 7)) }, {}, {}),
      (e) => e.code === 'BAD_INPUT' && /series id of window 0: expected a text/.test(e.message),
    );
  });

  it('trains on all the data when validation windows are given', () => {
    const data = co2Dataset(12, 3, 35);
    const validation = { inputs: data.inputs.slice(0, 2), targets: data.targets.slice(0, 2) };
    const { train, val } = splitWindows(checkTrainRequest(data, {}, {}, { validation }));
    assert.strictEqual(train.inputs, data.inputs);
    assert.strictEqual(val.inputs, validation.inputs);
  });

  it('refuses too few windows, saying how the split went', () => {
    const data = co2Dataset(12, 3, 35);
    assert.throws(
      () => splitWindows(checkTrainRequest(data, {}, { minWindows: 20 })),
      (e) =>
        e.code === 'BAD_INPUT' &&
        e.message ===
          'not enough windows: need at least 20 for training and 1 for validation, got 17 + 4 ' +
            '(21 windows split by validationFraction 0.2)',
    );
    const validation = { inputs: [], targets: [] };
    assert.throws(
      () => splitWindows(checkTrainRequest(data, {}, {}, { validation })),
      (e) => e.code === 'BAD_INPUT' && /got 21 \+ 0$/.test(e.message),
    );
  });

  it('fits the scaler on the training windows only, or keeps the previous one', () => {
    const data = co2Dataset(12, 3, 60);
    const req = checkTrainRequest(data, {}, { reference: 'last' });
    const { train } = splitWindows(req);
    const scaler = scalerFor(req, train);
    assert.deepStrictEqual(scaler, { ...fitScaler(train.inputs), reference: 'last' });
    assert.notDeepStrictEqual(scaler.mean, fitScaler(data.inputs).mean);
    const kept = { mean: [300], std: [10], reference: 'last' };
    assert.strictEqual(scalerFor({ ...req, previous: { scaler: kept } }, train), kept);
  });

  it('prepares both parts with the one scaler', () => {
    const data = co2Dataset(12, 3, 60);
    const p = prepareSplit(checkTrainRequest(data, {}, { validationFraction: 0.25 }));
    assert.strictEqual(p.train.count, p.trainWindows.inputs.length);
    assert.strictEqual(p.val.count, 12);
    assert.deepStrictEqual([p.val.window, p.val.features, p.val.horizon], [12, 1, 3]);
    // window-relative: the last input row of the target channel is 0 after scaling
    assert.strictEqual(p.val.x[11], 0);
    const level = (data.inputs[data.inputs.length - 12][11][0] - p.scaler.mean[0]) / p.scaler.std[0];
    assert.strictEqual(p.val.levels[0], Math.fround(level));
  });
});
