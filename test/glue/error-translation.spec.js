'use strict';
// The glue's translation of an error (node-util translateError): the node's catalogue text when it has the id,
// else the English message, whatever the translator does.
const assert = require('assert');
const { translateError } = require('../../nodes/glue/node-util');
const { fail } = require('../../nodes/core/base/messages');

const error = () => fail('BAD_INPUT', 'trainRequest.badWindow', { got: 0 });

describe('glue: translateError', function () {
  it("uses the node's catalogue text with the values (key <node>.errors.<id>)", function () {
    const seen = [];
    const t = (id, values) => {
      seen.push([id, values]);
      return `Fenster >= 1 erwartet, bekommen: ${values.got}`;
    };
    const err = translateError(error(), 'lstm-train', t);
    assert.deepStrictEqual(seen, [['lstm-train.errors.trainRequest.badWindow', { got: 0 }]]);
    assert.strictEqual(err.message, 'Fenster >= 1 erwartet, bekommen: 0');
    assert.strictEqual(err.code, 'BAD_INPUT');
  });

  it('keeps the English text when the catalogue lacks the id, the translator throws or there is none', function () {
    const english = 'expected window >= 1, got 0';
    assert.strictEqual(translateError(error(), 'lstm-train', (id) => id).message, english);
    assert.strictEqual(translateError(error(), 'lstm-train', (id) => id.split(':').pop()).message, english);
    const throwing = () => {
      throw new Error('no i18n');
    };
    assert.strictEqual(translateError(error(), 'lstm-train', throwing).message, english);
    assert.strictEqual(translateError(error(), 'lstm-train', () => '').message, english);
    assert.strictEqual(translateError(error(), 'lstm-train').message, english);
    const plain = new Error('plain');
    assert.strictEqual(
      translateError(plain, 'lstm-train', () => 'x'),
      plain,
      'an error without an id is untouched',
    );
  });
});
