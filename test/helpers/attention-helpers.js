'use strict';
// Helpers of the attention and GCA specs (not a spec itself).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

/** n numbers in [0, 1) from a seeded LCG (deterministic test data). */
function seededUniform(n, seed) {
  let s = (seed * 2654435761) >>> 0;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

/**
 * The lag task: n windows of L steps of [value, position] (value uniform in [-1, 1],
 * position t / (L - 1)); the target repeats the value `lag` steps before the last
 * step, i.e. at index L - 1 - lag. Returns { xs [n][L][2], ys [n] , index }.
 */
function lagTask(n, L, lag, seed) {
  const index = L - 1 - lag;
  const u = seededUniform(n * L, seed).map((v) => 2 * v - 1);
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    const w = u.slice(i * L, (i + 1) * L);
    xs.push(w.map((v, j) => [v, j / (L - 1)]));
    ys.push(w[index]);
  }
  return { xs, ys, index };
}

// Runs in a new node process: registers the layer by requiring its compiled module,
// rebuilds the model from the JSON topology, sets the weights, prints the predictions.
const FRESH = `
const fs = require('fs');
const path = require('path');
const [modulePath, file] = process.argv.slice(1);
const { initBackend, tf } = require(path.join(path.dirname(modulePath), '..', 'base', 'backend.js'));
(async () => {
  await initBackend();
  require(modulePath);
  const t = tf();
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const model = await t.models.modelFromJSON({ modelTopology: saved.topology });
  model.setWeights(saved.weights.map((w) => t.tensor(w.values, w.shape)));
  const out = [].concat(model.predict(t.tensor(saved.input.values, saved.input.shape)));
  process.stdout.write(JSON.stringify(out.map((o) => Array.from(o.dataSync()))));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * Saves `model` (topology JSON + weights) to a temp file, loads it in a fresh
 * node process that only requires `modulePath`, and returns its predictions on x
 * (one flat array per output).
 */
function roundTripInFreshProcess(modulePath, model, x) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-forecast-'));
  const file = path.join(dir, 'model.json');
  try {
    fs.writeFileSync(
      file,
      JSON.stringify({
        topology: model.toJSON(null, false),
        weights: model.getWeights().map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) })),
        input: { shape: x.shape, values: Array.from(x.dataSync()) },
      }),
    );
    const run = spawnSync(process.execPath, ['-e', FRESH, modulePath, file], { encoding: 'utf8', timeout: 60000 });
    if (run.status !== 0) throw new Error(`fresh process failed (${run.status}): ${run.stderr}`);
    return JSON.parse(run.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Predicts `rounds` times with `model` on a seeded batch [B, L, F] and asserts
 * that tf.memory().numTensors is back where it was after the first (warm-up) call.
 */
function assertFlatTensorCount(t, model, [B, L, F], seed, rounds = 5) {
  const assert = require('assert');
  const x = t.tensor3d(seededUniform(B * L * F, seed), [B, L, F]);
  try {
    t.dispose(model.predict(x));
    const before = t.memory().numTensors;
    for (let i = 0; i < rounds; i++) t.dispose(model.predict(x));
    assert.strictEqual(t.memory().numTensors, before);
  } finally {
    x.dispose();
  }
}

module.exports = { seededUniform, lagTask, roundTripInFreshProcess, assertFlatTensorCount };
