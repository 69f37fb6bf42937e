'use strict';
// Holt-Winters with its state carried per series, for one model trained on several series: real data (the Seattle
// hourly temperature normals, a winter and a summer stretch as two "sensors" with different daily cycles).
const assert = require('assert');
const { slidingWindows } = require('../../helpers/windows');
const fs = require('fs');
const path = require('path');
const {
  fitHoltWintersHistory,
  fitHoltWintersHistories,
  hwHistoryForecast,
  hwStateFor,
  carryHoltWinters,
} = require('../../../nodes/core/data/holt-winters');

const FILE = path.join(__dirname, '..', '..', '..', 'node_modules', 'vega-datasets', 'data');
const temps = fs
  .readFileSync(path.join(FILE, 'seattle-weather-hourly-normals.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => Number(l.split(',')[2]));
const L = 48;
const H = 12;
const SEASON = 24;
// winter (January-February) and summer (July-August): the summer daily cycle is about twice as wide
const SERIES = { winter: temps.slice(0, 1400), summer: temps.slice(4400, 5600) };

/** Sliding windows (stride 1) of one series, [N][L][1] and [N][H][1]. */
const windowsOf = (y) => slidingWindows(y, L, H);

/** Both series' windows one after the other, named by series, as lstm-train collects several topics. */
function dataset() {
  const inputs = [];
  const targets = [];
  const seriesIds = [];
  for (const [id, y] of Object.entries(SERIES)) {
    const w = windowsOf(y);
    inputs.push(...w.inputs);
    targets.push(...w.targets);
    seriesIds.push(...w.inputs.map(() => id));
  }
  return { inputs, targets, seriesIds, features: ['temperature'], target: 'temperature', window: L, horizon: H };
}

const range = (a) => Math.max(...a) - Math.min(...a);

describe('core/data Holt-Winters fitted on several histories', () => {
  it('one history: the same fit as fitHoltWintersHistory, bit for bit', () => {
    const y = SERIES.winter;
    assert.deepStrictEqual(
      fitHoltWintersHistories([y], L, H, SEASON).states[0],
      fitHoltWintersHistory(y, L, H, SEASON),
    );
  });

  it("several: one set of parameters, each history's own profile and trend", () => {
    const { states } = fitHoltWintersHistories([SERIES.winter, SERIES.summer], L, H, SEASON);
    const [w, s] = states;
    assert.deepStrictEqual([w.alpha, w.beta, w.gamma, w.phi], [s.alpha, s.beta, s.gamma, s.phi]);
    assert.strictEqual(w.profile.length, SEASON);
    // the summer profile carries the wider daily cycle
    assert.ok(range(s.profile) > 1.5 * range(w.profile), `${range(s.profile)} vs ${range(w.profile)}`);
  });

  it('hwStateFor: the named series, else the top-level state', () => {
    const top = { alpha: 0.1, beta: 0, gamma: 0.2, phi: 1, profile: [1, -1], trend: 0 };
    const state = { ...top, series: [{ id: 'a', profile: [2, -2], trend: 0.5 }] };
    assert.deepStrictEqual(hwStateFor(state, 'a').profile, [2, -2]);
    assert.strictEqual(hwStateFor(state, 'a').trend, 0.5);
    assert.strictEqual(hwStateFor(state, 'b'), state);
    assert.strictEqual(hwStateFor(state, undefined), state);
    assert.strictEqual(hwStateFor(top, 'a'), top);
  });
});

describe('core/train one model across several series: Holt-Winters carried per series', function () {
  this.timeout(240000);
  const { initBackend, tf } = require('../../../nodes/core/base/backend');
  const { checkTrainRequest } = require('../../../nodes/core/train/request');
  const { splitWindows } = require('../../../nodes/core/train/split');
  const { candidateScalers, refitBase } = require('../../../nodes/core/train/base');
  const { prepare } = require('../../../nodes/core/data/scaler');
  const { trainForecaster } = require('../../../nodes/core/train/trainer');
  const { Forecaster } = require('../../../nodes/core/serve/forecaster');
  const { validateArtifact } = require('../../../nodes/core/model/artifact');
  const { mae } = require('../../../nodes/core/data/metrics');

  before(() => initBackend());

  it('competes with one state per series (before: not offered for several series)', () => {
    const req = checkTrainRequest(dataset(), {}, { season: SEASON });
    const split = splitWindows(req);
    const carried = candidateScalers(req, split.train, split.trainIds).find((s) => s.hw && s.hw.profile);
    assert.ok(carried, 'a carried Holt-Winters candidate');
    const ids = carried.hw.series.map((s) => s.id);
    assert.deepStrictEqual(ids.slice().sort(), ['summer', 'winter']);
    // the series with most windows first, and its state at the top level
    assert.strictEqual(ids[0], 'winter');
    assert.deepStrictEqual(carried.hw.profile, carried.hw.series[0].profile);
    const own = (id) => carried.hw.series.find((s) => s.id === id);
    assert.ok(range(own('summer').profile) > 1.5 * range(own('winter').profile));
    // each window's reference comes from its series' state
    const w = split.train.inputs[split.train.inputs.length - 1];
    const id = split.trainIds[split.trainIds.length - 1];
    const p = prepare([w], undefined, carried, 0, H, [id]);
    const col = w.map((r) => r[0]);
    const want = hwHistoryForecast(col, H, { ...carried.hw, ...own(id) });
    const { mean, std } = carried;
    want.forEach((v, h) => assert.ok(Math.abs(p.refs[h] - (v - mean[0]) / std[0]) < 1e-5, `step ${h + 1}`));
  });

  it("trains with the candidate in the report; refits each series' state through its validation rows", async () => {
    const data = dataset();
    const before = tf().memory().numTensors;
    const { report } = await trainForecaster(data, { units: 4, seed: 1 }, { epochs: 1, season: SEASON });
    assert.strictEqual(tf().memory().numTensors, before);
    const names = report.base.candidates.map((c) => c.name);
    assert.ok(names.includes('holt-winters history'), names.join(', '));
    // the refit of a base holding the per-series state: each series' state carried on through its validation rows
    const req = checkTrainRequest(data, {}, { season: SEASON });
    const split = splitWindows(req);
    const carried = candidateScalers(req, split.train, split.trainIds).find((c) => c.hw && c.hw.profile);
    const refit = refitBase(req, split, [{ prepared: { scaler: carried }, ridge: null }]);
    assert.strictEqual(refit.state, true);
    for (const [id, y] of Object.entries(SERIES)) {
      const mine = refit.scaler.hw.series.find((o) => o.id === id);
      // the validation windows are the newest of each series: its whole history, all rows
      const want = carryHoltWinters(y, carried.hw, L);
      assert.deepStrictEqual([mine.profile, mine.trend], [want.profile, want.trend], id);
    }
    assert.deepStrictEqual(refit.scaler.hw.profile, refit.scaler.hw.series[0].profile);
  });

  it('serves the per-series state: predict by series id, the top-level state for an unknown or no id', async () => {
    const data = dataset();
    const req = checkTrainRequest(data, {}, { season: SEASON });
    const split = splitWindows(req);
    const carried = candidateScalers(req, split.train, split.trainIds).find((c) => c.hw && c.hw.profile);
    // a model whose base is the carried candidate and whose network adds nothing (no highway, head at zero)
    const { artifact, report } = await trainForecaster(
      data,
      { units: 4, seed: 1, highway: false },
      { epochs: 1, season: SEASON },
    );
    // dropped: the stored head is zero, so the model forecasts its reference exactly, whichever reference it holds
    assert.strictEqual(report.base.network, 'dropped');
    const a = JSON.parse(JSON.stringify({ ...artifact, scaler: carried }));
    const f = Forecaster.fromArtifact(validateArtifact(a));
    try {
      const { inputs, targets } = windowsOf(SERIES.summer);
      const w = inputs.slice(-50);
      const truth = targets.slice(-50).map((t) => t.map((r) => r[0]));
      const named = (id) =>
        f.predict(
          w,
          w.map(() => id),
        ).forecast;
      const asSummer = named('summer');
      const asWinter = named('winter');
      const summer = { ...carried.hw, ...carried.hw.series.find((o) => o.id === 'summer') };
      asSummer.forEach((row, i) => {
        const want = hwHistoryForecast(
          w[i].map((r) => r[0]),
          H,
          summer,
        );
        row.forEach((v, h) => assert.ok(Math.abs(v - want[h]) < 1e-4, `window ${i} step ${h + 1}: ${v} vs ${want[h]}`));
      });
      // the top-level state is winter's (most windows): a window without a known series gets it
      assert.deepStrictEqual(f.predict(w).forecast, asWinter);
      assert.deepStrictEqual(named('roof'), asWinter);
      // summer's own state forecasts summer's hours better than winter's does
      assert.ok(mae(truth, asSummer) < mae(truth, asWinter), `${mae(truth, asSummer)} vs ${mae(truth, asWinter)}`);
    } finally {
      f.dispose();
    }
    const bad = JSON.parse(JSON.stringify(a));
    bad.scaler.hw.series[1].profile.pop();
    assert.throws(
      () => validateArtifact(bad),
      (e) =>
        e.code === 'BAD_ARTIFACT' &&
        /hw\.series\[1\]\.profile has 23 values, expected the season \(24\)/.test(e.message),
    );
  });

  it('lstm-predict (real runtime) forecasts each msg.topic from its own state, batched or not', async () => {
    const { helper, startRuntime, stopRuntime, collect } = require('../../helpers/runtime');
    const data = dataset();
    const req = checkTrainRequest(data, {}, { season: SEASON });
    const split = splitWindows(req);
    const carried = candidateScalers(req, split.train, split.trainIds).find((c) => c.hw && c.hw.profile);
    const { artifact } = await trainForecaster(
      data,
      { units: 4, seed: 1, highway: false },
      { epochs: 1, season: SEASON, name: 'sensors' },
    );
    const a = JSON.parse(JSON.stringify({ ...artifact, scaler: carried }));
    const window = (y) => ({
      type: 'window',
      features: ['temperature'],
      target: 'temperature',
      step: 3600000,
      inputs: y.slice(-L).map((v) => [v]),
      timestamps: y.slice(-L).map((_, j) => Date.UTC(2010, 0, 1) + j * 3600000),
    });
    const f = Forecaster.fromArtifact(validateArtifact(JSON.parse(JSON.stringify(a))));
    const w = window(SERIES.summer);
    const want = (id) => f.predict([w.inputs], [id]).forecast[0];
    try {
      await startRuntime(
        [require('../../../nodes/lstm-predict.js')],
        [
          { id: 'tab', type: 'tab', label: 'series' },
          { id: 'p', type: 'lstm-predict', z: 'tab', model: 'sensors', wires: [['out'], []] },
          { id: 'out', type: 'helper', z: 'tab' },
        ],
      );
      helper.getNode('p').context().flow.set('sensors', a);
      const out = collect(helper.getNode('out'));
      // in one tick: one batch of three topics
      for (const topic of ['summer', 'winter', 'roof']) helper.getNode('p').receive({ topic, payload: w });
      const end = Date.now() + 20000;
      while (out.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.strictEqual(out.length, 3);
      const byTopic = Object.fromEntries(out.map((m) => [m.topic, m.payload.forecast]));
      assert.deepStrictEqual(byTopic.summer, want('summer'));
      assert.deepStrictEqual(byTopic.winter, want('winter'));
      assert.deepStrictEqual(byTopic.roof, want('winter'));
      assert.notDeepStrictEqual(byTopic.summer, byTopic.winter);
    } finally {
      f.dispose();
      await stopRuntime();
    }
  });

  it('a series id too long to store (a long msg.topic) gets the top-level state; the artifact stays valid', async () => {
    const long = 'x'.repeat(1200);
    const data = dataset();
    data.seriesIds = data.seriesIds.map((id) => (id === 'summer' ? long : id));
    const req = checkTrainRequest(data, {}, { season: SEASON });
    const split = splitWindows(req);
    const carried = candidateScalers(req, split.train, split.trainIds).find((c) => c.hw && c.hw.profile);
    assert.deepStrictEqual(
      carried.hw.series.map((o) => o.id),
      ['winter'],
    );
    const { artifact } = await trainForecaster(data, { units: 4, seed: 1 }, { epochs: 1, season: SEASON });
    validateArtifact(JSON.parse(JSON.stringify({ ...artifact, scaler: carried })));
  });
});
