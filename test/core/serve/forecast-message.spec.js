'use strict';
// Times at the edge of predict: a step or timestamps that would make forecast
// times non-finite are refused with the value and position.
const assert = require('assert');
const { readPredictInput, MAX_TIME } = require('../../../nodes/core/serve/forecast-message');

const window = { type: 'window', inputs: [[1], [2], [3]], features: ['x'] };

describe('core/serve: forecast-message times', function () {
  it('refuses a step that is not a finite number of ms within the Date range', function () {
    for (const step of [Infinity, 1e308, MAX_TIME * 2]) {
      assert.throws(
        () => readPredictInput({ ...window, step }),
        (e) => e.code === 'BAD_TIMESTAMP' && /expected payload.step to be a number of ms from 0 to/.test(e.message),
      );
    }
    assert.strictEqual(readPredictInput({ ...window, step: 1000 }).input.step, 1000);
  });

  it('refuses numeric timestamps beyond the Date range, naming the row (and window)', function () {
    assert.throws(
      () => readPredictInput({ ...window, timestamps: [0, Infinity, 2] }),
      (e) => e.code === 'BAD_TIMESTAMP' && /got Infinity at row 1$/.test(e.message),
    );
    assert.throws(
      () =>
        readPredictInput({
          type: 'dataset',
          inputs: [window.inputs, window.inputs],
          timestamps: [
            [0, 1, 2],
            [0, 1e308, 2],
          ],
        }),
      (e) => e.code === 'BAD_TIMESTAMP' && /got 1e\+308 at row 1 of window 1/.test(e.message),
    );
    assert.deepStrictEqual(readPredictInput({ ...window, timestamps: [0, 1, 2] }).times, [[0, 1, 2]]);
  });
});
