'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { initBackend, tf } = require('../../../nodes/core/base/backend');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { exportArtifact, importExported } = require('../../../nodes/core/model/export');
const { prepare, restoreForecast } = require('../../../nodes/core/data/scaler');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { co2Dataset } = require('../../helpers/co2-fixture');

const data = co2Dataset(12, 3, 120);
const CLI = path.join(__dirname, '..', '..', '..', 'nodes', 'cli', 'lstm-forecast.js');

/** Loads a model.json + weights.bin directory with plain tfjs: no code of this pack builds the model. */
async function loadWithPlainTfjs(dir) {
  const t = tf();
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, modelJson.weightsManifest[0].paths[0]));
  const handler = {
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: modelJson.format,
    }),
  };
  return t.loadLayersModel(handler);
}

describe('core/model/export (a standard tfjs layers model and back)', function () {
  this.timeout(120000);
  let artifact;
  let dir;

  before(async () => {
    await initBackend();
    ({ artifact } = await trainForecaster(data, { units: 8, seed: 5 }, { epochs: 2, batchSize: 32, name: 'co2' }));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('import(export(a)) gives the artifact back exactly', () => {
    const { modelJson, weightsBin, settings } = exportArtifact(artifact);
    assert.strictEqual(modelJson.format, 'layers-model');
    assert.strictEqual(settings.format, 'lstm-forecast-export');
    assert.ok(!('weights' in settings) && !('topology' in settings));
    const expectedBytes = artifact.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    assert.strictEqual(weightsBin.byteLength, expectedBytes);
    const back = importExported(
      JSON.parse(JSON.stringify(modelJson)),
      weightsBin,
      JSON.parse(JSON.stringify(settings)),
    );
    assert.deepStrictEqual(back, artifact);
  });

  it('the exported files load with tf.loadLayersModel and forecast what the pack forecasts', async () => {
    const out = execFileSync(
      process.execPath,
      [CLI, 'export', '--artifact', writeArtifact(dir, artifact), '--out', dir],
      {
        encoding: 'utf8',
      },
    );
    assert.match(out, /exported model 'co2' v1 \(lstm\)/);
    const model = await loadWithPlainTfjs(dir);
    const settings = JSON.parse(fs.readFileSync(path.join(dir, 'forecast-settings.json'), 'utf8'));
    const windows = data.inputs.slice(-4);
    // The preprocessing the settings file describes, applied with the settings file's scaler.
    const p = prepare(windows, undefined, settings.scaler, settings.spec.targetIndex, settings.spec.horizon);
    const scaled = tf().tidy(() => {
      const y = model.predict(tf().tensor3d(p.x, [p.count, p.window, p.features]));
      return Array.from((Array.isArray(y) ? y[0] : y).dataSync());
    });
    model.dispose();
    const plain = restoreForecast(scaled, p.levels, settings.scaler, settings.spec.targetIndex, 3, p.refs);
    const f = Forecaster.fromArtifact(artifact);
    try {
      const pack = f.predict(windows).forecast;
      for (let i = 0; i < 4; i++) for (let h = 0; h < 3; h++) assert.ok(Math.abs(plain[i][h] - pack[i][h]) < 1e-4);
    } finally {
      f.dispose();
    }
  });

  it('the CLI finds the model in a localfilesystem context directory and imports it back', () => {
    const ctx = path.join(dir, 'context');
    fs.mkdirSync(path.join(ctx, 'f1'), { recursive: true });
    fs.mkdirSync(path.join(ctx, 'global'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'f1', 'flow.json'), JSON.stringify({ co2: artifact, other: 1 }));
    fs.writeFileSync(path.join(ctx, 'global', 'global.json'), JSON.stringify({ unrelated: 'x' }));
    const exp = path.join(dir, 'from-context');
    execFileSync(process.execPath, [CLI, 'export', '--context', ctx, '--name', 'co2', '--out', exp]);
    const file = path.join(dir, 'imported.json');
    const out = execFileSync(process.execPath, [CLI, 'import', '--dir', exp, '--out', file], { encoding: 'utf8' });
    assert.match(out, /imported model 'co2' v1/);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(file, 'utf8')), artifact);
  });

  it('names what does not fit: a short weights file, a foreign settings file, a missing model, a usage error', () => {
    const { modelJson, weightsBin, settings } = exportArtifact(artifact);
    assert.throws(
      () => importExported(modelJson, weightsBin.subarray(4), settings),
      (e) => e.code === 'BAD_ARTIFACT' && /needs \d+ bytes, the weights file has \d+/.test(e.message),
    );
    assert.throws(
      () => importExported(modelJson, weightsBin, { format: 'keras' }),
      (e) => e.code === 'BAD_ARTIFACT' && /format 'lstm-forecast-export', got format "keras"/.test(e.message),
    );
    const bent = JSON.parse(JSON.stringify(modelJson));
    bent.weightsManifest[0].weights[0].dtype = 'int32';
    assert.throws(() => importExported(bent, weightsBin, settings), /expected dtype float32, got "int32"/);
    const missing = spawnSync(process.execPath, [CLI, 'export', '--context', dir, '--name', 'nope', '--out', dir], {
      encoding: 'utf8',
    });
    assert.strictEqual(missing.status, 1);
    assert.match(missing.stderr, /no model 'nope' in the context files/);
    const usage = spawnSync(process.execPath, [CLI, 'export', '--artifact', 'x.json'], { encoding: 'utf8' });
    assert.strictEqual(usage.status, 2);
    assert.match(usage.stderr, /export needs --out DIR/);
  });
});

function writeArtifact(dir, artifact) {
  const file = path.join(dir, 'artifact.json');
  fs.writeFileSync(file, JSON.stringify(artifact));
  return file;
}
