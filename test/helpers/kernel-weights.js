'use strict';
const assert = require('assert');
// Shared by the kernel specs: a model's weights as the artifact holds them, and seeded random weights.
const { tf } = require('../../nodes/core/base/backend');

/** The serve model's topology and weights as the artifact holds them. */
function stored(model) {
  return {
    topology: model.toJSON(null, false),
    weights: model.weights.map((w) => ({ shape: w.shape.slice(), values: w.read().dataSync().slice() })),
  };
}

/** Sets every weight (highway and biases included, which start at zero) to seeded values in [-s, s]. */
function randomizeWeights(model, rand, s = 0.5) {
  const values = model.weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    return tf().tensor(
      Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s),
      w.shape,
    );
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}

/** The largest absolute difference of two equally long arrays. */
function maxAbsDiff(a, b) {
  assert.strictEqual(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

module.exports = { stored, randomizeWeights, maxAbsDiff };
