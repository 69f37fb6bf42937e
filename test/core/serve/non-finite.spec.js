'use strict';
// "A number that is not finite never leaves a node": non-finite weights are
// refused at load, inputs beyond float32 are refused with their value and
// position, and a forecast that comes out non-finite is an error, never a message.
const assert = require('assert');
const { initBackend } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { validateArtifact, encodeFloat32, decodeFloat32 } = require('../../../nodes/core/model/artifact');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { co2Dataset } = require('../../helpers/co2-fixture');

const data = co2Dataset(12, 3, 120);
const clone = (x) => JSON.parse(JSON.stringify(x));

/** The artifact with one value of weight `w` replaced. */
function withWeight(artifact, w, index, value) {
  const a = clone(artifact);
  const values = decodeFloat32(a.weights[w].data);
  values[index] = value;
  a.weights[w].data = encodeFloat32(values);
  return a;
}

describe('core/serve: no silent non-numbers', function () {
  this.timeout(120000);
  let artifact;
  before(async () => {
    await initBackend();
    ({ artifact } = await trainForecaster(data, { units: 6, seed: 1 }, { epochs: 1, batchSize: 32, name: 'co2' }));
  });

  for (const [label, value] of [
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ]) {
    it(`refuses an artifact with a ${label} weight, naming the weight and the position`, () => {
      const a = withWeight(artifact, 1, 2, value);
      const re = new RegExp(`weights\\[1\\] \\(${a.weights[1].name}\\): holds ${label} at index 2`);
      assert.throws(
        () => validateArtifact(a),
        (e) => e.code === 'BAD_ARTIFACT' && re.test(e.message),
      );
      assert.throws(
        () => Forecaster.fromArtifact(a),
        (e) => e.code === 'BAD_ARTIFACT',
      );
    });
  }

  it('refuses inputs beyond float32 range with the value and position (finite in float64, Infinity in float32)', () => {
    const f = Forecaster.fromArtifact(artifact);
    try {
      const w = data.inputs[0].map((r) => r.slice());
      w[7][0] = 1e39;
      assert.throws(
        () => f.predict([w]),
        (e) =>
          e.code === 'BAD_INPUT' &&
          /got 1e\+39 at row 7, feature co2; expected finite numbers within float32 range \(\|x\| <= 3\.4e\+38\)/.test(
            e.message,
          ),
      );
      w[7][0] = -3.5e38;
      assert.throws(
        () => f.predict([data.inputs[1], w]),
        (e) => e.code === 'BAD_INPUT' && /at row 7, feature co2 \(window 1\)/.test(e.message),
      );
    } finally {
      f.dispose();
    }
  });

  it('a forecast that comes out non-finite is an error naming the step, never a result', () => {
    // Finite but huge weights on the forecast head: every forecast overflows float32.
    const names = artifact.weights.map((w) => w.name);
    const head = names.findIndex((n) => /^highway_dense\/kernel/.test(n));
    assert.ok(head >= 0, `a highway kernel among ${names.join(', ')}`);
    const a = clone(artifact);
    const values = decodeFloat32(a.weights[head].data).map(() => 3e38);
    a.weights[head].data = encodeFloat32(values);
    const f = Forecaster.fromArtifact(a);
    try {
      assert.throws(
        () => f.predict([data.inputs[0]]),
        (e) =>
          e.code === 'NOT_FINITE' &&
          /model 'co2' produced a non-finite forecast \((NaN|Infinity|-Infinity) at step 1 of window 0\)/.test(
            e.message,
          ),
      );
    } finally {
      f.dispose();
    }
  });
});
