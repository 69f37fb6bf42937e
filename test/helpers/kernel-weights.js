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

/** The stored topology and weights of a freshly built model of `spec` and config `cfg` (its models disposed). */
function storedGraph(spec, cfg) {
  const { buildGraph } = require('../../nodes/core/model/graph');
  const { disposeModels } = require('../../nodes/core/model/artifact');
  const { resolveModelConfig } = require('../../nodes/core/settings/model');
  const g = buildGraph(spec, resolveModelConfig(cfg));
  try {
    return stored(g.serve);
  } finally {
    disposeModels(g.serve, g.train);
  }
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

/** max |got - want| over the largest |want| of the tensor (1 when it is all zeros). */
function relativeDiff(got, want) {
  assert.strictEqual(got.length, want.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    d = Math.max(d, Math.abs(got[i] - want[i]));
    m = Math.max(m, Math.abs(want[i]));
  }
  return d / (m || 1);
}

/** A tfjs model of a stored topology and weights (the reference the kernel is checked against). */
async function tfjsModel(topology, weights) {
  const model = await tf().models.modelFromJSON(topology);
  model.setWeights(weights.map((w) => tf().tensor(w.values, w.shape)));
  return model;
}

/** A copy of a topology whose LSTM layers name other activations. */
function withActivations(topology, activation, recurrent) {
  const topo = JSON.parse(JSON.stringify(topology));
  for (const l of topo.config.layers.filter((x) => x.class_name === 'LSTM')) {
    l.config.activation = activation;
    l.config.recurrent_activation = recurrent;
  }
  return topo;
}

module.exports = { stored, storedGraph, randomizeWeights, maxAbsDiff, relativeDiff, tfjsModel, withActivations };
