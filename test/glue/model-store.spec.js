'use strict';
const assert = require('assert');
const { checkModelName } = require('../../nodes/glue/model-store');

describe('glue: model names', function () {
  it('accepts 1-80 letters, digits, - and _', function () {
    assert.strictEqual(checkModelName('pump-7_a'), 'pump-7_a');
    assert.strictEqual(checkModelName('x'.repeat(80)), 'x'.repeat(80));
  });

  it('refuses anything else with a short text, also a BigInt or a huge name (no TypeError, no echo)', function () {
    const refused = (name, re) =>
      assert.throws(
        () => checkModelName(name),
        (e) => e.code === 'BAD_CONFIG' && re.test(e.message) && e.message.length < 200,
      );
    refused('a/b', /got "a\/b"/);
    refused(10n, /got bigint/);
    refused('y'.repeat(100000), /got "y{40}\.\.\."/);
    refused({ name: 'm' }, /got an object with keys name/);
  });
});
