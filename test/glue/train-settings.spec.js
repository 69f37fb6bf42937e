'use strict';
const assert = require('assert');
const { parseTrainNodeConfig } = require('../../nodes/glue/train-settings');
const { DEFAULT_MODEL_CONFIG } = require('../../nodes/core/settings/model');
const { DEFAULT_TRAIN_OPTIONS } = require('../../nodes/core/settings/training');
const { DEFAULT_TRAIN_NODE_SETTINGS } = require('../../nodes/core/settings/train-node');

describe('glue: lstm-train settings', function () {
  it('an empty config gives the declared defaults', function () {
    const s = parseTrainNodeConfig({}, 'm');
    assert.deepStrictEqual(s.model, { ...DEFAULT_MODEL_CONFIG });
    assert.deepStrictEqual(s.options, { ...DEFAULT_TRAIN_OPTIONS, name: 'm' });
    for (const [k, v] of Object.entries(DEFAULT_TRAIN_NODE_SETTINGS)) assert.deepStrictEqual(s[k], v, k);
  });

  it("converts the editor strings, reads modelType as the model type and ignores the node's other properties", function () {
    const s = parseTrainNodeConfig(
      { id: 'n1', type: 'lstm-train', z: 'f', units: '8', learningRate: '0.01', modelType: 'gca', maxWindows: '50' },
      'm',
    );
    assert.strictEqual(s.model.units, 8);
    assert.strictEqual(s.model.type, 'gca');
    assert.strictEqual(s.options.learningRate, 0.01);
    assert.strictEqual(s.options.name, 'm');
    assert.strictEqual(s.maxWindows, 50);
  });

  it('lists every bad setting with what it accepts', function () {
    assert.throws(
      () => parseTrainNodeConfig({ units: 0, layers: 3, epochs: 'many', overlap: 'wait' }, 'm'),
      (e) => {
        assert.strictEqual(e.code, 'BAD_CONFIG');
        assert.match(e.message, /^invalid lstm-train config: /);
        assert.match(e.message, /units must be an integer from 1 to 1024, got 0/);
        assert.match(e.message, /layers must be an integer from 1 to 2, got 3/);
        assert.match(e.message, /epochs must be an integer from 1 to 100000, got "many"/);
        assert.match(e.message, /overlap must be one of 'queue', 'reject', got "wait"/);
        return true;
      },
    );
    assert.throws(
      () => parseTrainNodeConfig({ overlap: 'wait', trainEvery: '-1' }, 'm'),
      /trainEvery must be an integer from 0 to 1e9, got -1; overlap must be one of 'queue', 'reject', got "wait"/,
    );
  });
});
