'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { carryHoltWinters, fitHoltWintersHistory } = require('../../../nodes/core/data/holt-winters');

const DATA = path.join(__dirname, '..', '..', '..', 'node_modules', 'vega-datasets', 'data');

describe('core/data carryHoltWinters', () => {
  const y = Array.from(
    { length: 240 },
    (_, t) => 10 + 0.05 * t + 3 * Math.sin((2 * Math.PI * t) / 12) + ((t * 7) % 5) / 10,
  );

  it('over the history it was fitted on gives the fitted end state; over a longer one, the state after it', () => {
    const fitted = fitHoltWintersHistory(y.slice(0, 200), 36, 12, 12);
    const same = carryHoltWinters(y.slice(0, 200), fitted, 36);
    assert.deepStrictEqual(same, fitted);
    const on = carryHoltWinters(y, fitted, 36);
    assert.deepStrictEqual(
      [on.alpha, on.beta, on.gamma, on.phi],
      [fitted.alpha, fitted.beta, fitted.gamma, fitted.phi],
    );
    assert.strictEqual(on.profile.length, 12);
    assert.notDeepStrictEqual(on.profile, fitted.profile);
    // the trend of a series rising 0.05 per step, seen through 40 more rows
    assert.ok(Math.abs(on.trend - 0.05) < 0.05, `trend ${on.trend}`);
  });
});

/** Rows [n][F] of a CSV column list, optionally only the rows whose `filter` column equals a value. */
function csvRows(file, columns, filter) {
  const [head, ...lines] = fs.readFileSync(path.join(DATA, file), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines
    .map((l) => l.split(','))
    .filter((r) => !filter || r[cols.indexOf(filter[0])] === filter[1])
    .map((r) => columns.map((c) => Number(r[cols.indexOf(c)])));
}

describe('core/train the chosen base refitted on training + validation windows (real series)', function () {
  this.timeout(240000);
  const { initBackend, tf } = require('../../../nodes/core/base/backend');
  const { trainForecaster } = require('../../../nodes/core/train/trainer');
  const { Forecaster } = require('../../../nodes/core/serve/forecaster');
  const { validateArtifact } = require('../../../nodes/core/model/artifact');
  const { mae } = require('../../../nodes/core/data/metrics');
  const { splitSizes, splitWindows } = require('../../../nodes/core/analysis/evaluate');

  /** The protocol's chronological 70/10/20 split of `rows`, and the training request's parts. */
  function task(rows, features, L, H, season) {
    const parts = splitWindows(rows, 0, L, H, splitSizes(rows.length));
    const data = { ...parts.train, features, target: features[0], window: L, horizon: H };
    const hooks = () => ({ validation: { inputs: parts.val.inputs, targets: parts.val.targets } });
    return { rows, parts, data, hooks, opts: { epochs: 1, season } };
  }

  function forecastMae(artifact, windows) {
    const f = Forecaster.fromArtifact(validateArtifact(JSON.parse(JSON.stringify(artifact))));
    try {
      return mae(
        windows.targets.map((t) => t.map((r) => r[0])),
        f.predict(windows.inputs).forecast,
      );
    } finally {
      f.dispose();
    }
  }

  before(() => initBackend());

  // New York daily maximum temperature (weather.csv): a combined base whose members carry ridges
  const ny = () =>
    task(
      csvRows('weather.csv', ['temp_max', 'temp_min', 'wind'], ['location', 'New York']),
      ['temp_max', 'temp_min', 'wind'],
      28,
      7,
      7,
    );
  // Monthly CO2 1964-05 .. 2020-04 (the protocol's segment): Holt-Winters with its state carried over the history
  const co2 = () => {
    const [head, ...lines] = fs.readFileSync(path.join(DATA, 'co2-concentration.csv'), 'utf8').trim().split('\n');
    const i = head.split(',').indexOf('CO2');
    const all = lines.map((l) => l.split(','));
    const from = all.findIndex((r) => r[0] === '1964-05-01');
    const to = all.findIndex((r) => r[0] === '2020-04-01');
    return task(
      all.slice(from, to + 1).map((r) => [Number(r[i])]),
      ['CO2'],
      36,
      12,
      12,
    );
  };

  for (const [name, make] of [
    ['New York daily maximum', ny],
    ['monthly CO2', co2],
  ]) {
    it(`${name}: the report keeps the held-out scores; the stored model forecasts with the refit, no tensor leak`, async () => {
      const t = make();
      const cfg = { units: 8, seed: 1 };
      const before = tf().memory().numTensors;
      const held = await trainForecaster(t.data, cfg, { ...t.opts, refit: false }, t.hooks());
      const refit = await trainForecaster(t.data, cfg, t.opts, t.hooks());
      assert.strictEqual(tf().memory().numTensors, before);
      assert.strictEqual(held.report.base.refit, undefined);
      const r = refit.report.base.refit;
      assert.ok(r, 'report.base.refit');
      assert.strictEqual(r.windows, t.parts.train.inputs.length + t.parts.val.inputs.length);
      assert.strictEqual(r.ridge, refit.report.base.ridge || /\+ ridge/.test(refit.report.base.name));
      // same choice, same held-out figures: the refit changes what is stored, not what validation scored
      assert.strictEqual(refit.report.base.name, held.report.base.name);
      assert.deepStrictEqual(refit.report.validation, held.report.validation);
      assert.deepStrictEqual(refit.artifact.calibration, held.artifact.calibration);
      // the held-out model forecasts validation as the report scored it; the refitted one has seen those windows
      const vHeld = forecastMae(held.artifact, t.parts.val);
      const vRefit = forecastMae(refit.artifact, t.parts.val);
      assert.ok(
        Math.abs(vHeld - held.report.validation.model.mae) < 1e-4,
        `${vHeld} vs ${held.report.validation.model.mae}`,
      );
      assert.ok(vRefit < vHeld, `validation MAE refit ${vRefit} vs held-out fit ${vHeld}`);
    });
  }

  it('monthly CO2: the carried Holt-Winters state is the one after the validation rows, and it pays on the test part', async () => {
    const t = co2();
    const { artifact, report } = await trainForecaster(t.data, { units: 8, seed: 1 }, t.opts, t.hooks());
    const held = await trainForecaster(t.data, { units: 8, seed: 1 }, { ...t.opts, refit: false }, t.hooks());
    const testHeld = forecastMae(held.artifact, t.parts.test);
    const testRefit = forecastMae(artifact, t.parts.test);
    assert.ok(testRefit < testHeld, `test MAE refit ${testRefit} vs held-out fit ${testHeld}`);
    assert.strictEqual(report.base.refit.state, true);
    const parts = artifact.scaler.reference === 'combination' ? artifact.scaler.mix : [artifact.scaler];
    const hw = parts.find((p) => p.hw && p.hw.profile).hw;
    // the rows the training and validation windows cover: the series up to the end of the validation part
    const sizes = splitSizes(t.rows.length);
    const history = t.rows.slice(0, sizes.train + sizes.val).map((r) => r[0]);
    assert.deepStrictEqual(hw, carryHoltWinters(history, hw, 36));
    // not the state at the end of the training part
    assert.notDeepStrictEqual(hw, carryHoltWinters(history.slice(0, sizes.train), hw, 36));
  });
});
