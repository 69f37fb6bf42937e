'use strict';
// lstm-predict's prediction intervals and anomaly output through the real
// Node-RED runtime: readings stream through a real sequence-windower into
// lstm-predict with a model trained by the core; the intervals sit beside the
// forecast, the chart carries the band, a spike leaves on the second output and
// clean readings do not, and a model stored before intervals still forecasts.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, collect, nextMessage } = require('../helpers/runtime');
const { initBackend } = require('../../nodes/core/base/backend');
const { trainForecaster } = require('../../nodes/core/train/trainer');
const { co2Dataset, co2Series } = require('../helpers/co2-fixture');
const { conformalHalfWidth } = require('../../nodes/core/data/conformal');

const nodes = [require('../../nodes/sequence-windower.js'), require('../../nodes/lstm-predict.js')];
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3600000;
const co2 = co2Series().map((r) => r.co2);

let run = 0;
/** Windower (stream, L = 12) into predict (two outputs) into helpers; ids fresh per test. */
function flow(predictProps = {}) {
  run++;
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'intervals' },
    {
      id: `w${run}`,
      type: 'sequence-windower',
      z,
      window: 12,
      features: 'co2',
      target: 'co2',
      wires: [[`p${run}`], []],
    },
    { id: `p${run}`, type: 'lstm-predict', z, model: 'tiny', ...predictProps, wires: [['fc'], ['alert']] },
    { id: 'fc', type: 'helper', z },
    { id: 'alert', type: 'helper', z },
  ];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(list, n, ms = 20000) {
  const end = Date.now() + ms;
  while (list.length < n) {
    if (Date.now() > end) throw new Error(`expected ${n} messages, got ${list.length}`);
    await sleep(10);
  }
}
/** Every number in a value, walked. */
function numbers(x, out = []) {
  if (typeof x === 'number') out.push(x);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) numbers(v, out);
  return out;
}

describe('lstm-predict: prediction intervals and anomaly output', function () {
  this.timeout(120000);
  let artifact;
  before(async () => {
    // Small and seeded, but with 45 validation windows so the 95 % half-width is a real estimate (about 4 s).
    await initBackend();
    const data = co2Dataset(12, 3, 240);
    ({ artifact } = await trainForecaster(data, { units: 8, seed: 1 }, { epochs: 3, batchSize: 32, name: 'tiny' }));
    artifact = JSON.parse(JSON.stringify(artifact));
  });
  afterEach(async () => {
    await stopRuntime();
  });

  async function start(props, stored = artifact) {
    await startRuntime(nodes, flow(props));
    helper.getNode(`p${run}`).context().flow.set('tiny', stored);
    return { w: helper.getNode(`w${run}`), fc: collect(helper.getNode('fc')), alert: collect(helper.getNode('alert')) };
  }

  /** Streams co2[from..to) hourly on one topic, value v(i) at reading i; waits for every forecast. */
  async function stream(ctx, from, to, v = (i) => co2[i], topic = 'site-1') {
    const before = ctx.fc.length;
    for (let i = from; i < to; i++) {
      ctx.w.receive({ topic, payload: { co2: v(i) }, timestamp: T0 + i * HOUR });
      await sleep(2);
    }
    await until(ctx.fc, before + Math.max(0, to - Math.max(from, 11)));
  }

  it('sends intervals per level beside the forecast: nested, finite, in real units', async function () {
    // recalibrate off: the calibrated band as trained, whatever the readings (on, see below)
    const ctx = await start({ levels: '80, 95', recalibrate: false });
    await stream(ctx, 0, 13);
    const p = ctx.fc[ctx.fc.length - 1].payload;
    assert.deepStrictEqual(Object.keys(p.intervals), ['80', '95']);
    for (let h = 0; h < 3; h++) {
      const i80 = [p.intervals['80'].lower[h], p.intervals['80'].upper[h]];
      const i95 = [p.intervals['95'].lower[h], p.intervals['95'].upper[h]];
      // Symmetric around forecast + the stored calibration's centre for that step, nested.
      const mid = p.forecast[h] + artifact.calibration.center[h];
      assert.ok(i95[0] <= i80[0] && i80[0] < mid && mid < i80[1] && i80[1] <= i95[1], `step ${h + 1}`);
      assert.ok(Math.abs(mid - i95[0] - (i95[1] - mid)) < 1e-6);
      assert.ok(Math.abs(mid - i80[0] - (i80[1] - mid)) < 1e-6);
    }
    assert.ok(numbers(p).every(Number.isFinite));
    // the half-widths evaluate scores (conformalHalfWidth: the validation grid, never below the backtest's)
    const c = artifact.calibration;
    assert.strictEqual(c.backtest.n, artifact.report.trainWindows);
    for (const [key, level] of [
      ['80', 0.8],
      ['95', 0.95],
    ]) {
      for (let h = 0; h < 3; h++) {
        const mid = p.forecast[h] + c.center[h];
        assert.ok(Math.abs(p.intervals[key].upper[h] - mid - conformalHalfWidth(c, h, level)) < 1e-9);
      }
    }
  });

  it('serves a calibration stored before centred bands around the forecast, as then', async function () {
    const old = JSON.parse(JSON.stringify(artifact));
    delete old.calibration.center;
    delete old.calibration.backtest; // stored after centred bands
    const ctx = await start({ levels: '95', recalibrate: false }, old);
    await stream(ctx, 0, 13);
    const p = ctx.fc[ctx.fc.length - 1].payload;
    const c = old.calibration;
    const half = c.residuals[0][c.ranks.findIndex((r) => r >= Math.min(c.n, Math.ceil((c.n + 1) * 0.95)))];
    assert.ok(Math.abs(p.intervals['95'].upper[0] - p.forecast[0] - half) < 1e-9);
    assert.ok(Math.abs(p.forecast[0] - p.intervals['95'].lower[0] - half) < 1e-9);
  });

  it('draws the band in chart output: two extra lines (messages) per level', async function () {
    const ctx = await start({ output: 'chart', levels: '90' });
    await stream(ctx, 0, 12);
    await until(ctx.fc, 3);
    assert.deepStrictEqual(
      ctx.fc.map((m) => m.topic),
      ['co2 forecast', 'co2 90% lower', 'co2 90% upper'],
    );
    const b = ctx.fc[0].forecast.intervals['90'];
    assert.deepStrictEqual(
      ctx.fc.map((m) => m.payload),
      [ctx.fc[0].forecast.forecast[0], b.lower[0], b.upper[0]],
    );
  });

  it('chart points output: the whole horizon and the band as [{x, y, series}] in one message', async function () {
    const ctx = await start({ output: 'points', levels: '90' });
    await stream(ctx, 0, 12);
    await until(ctx.fc, 1);
    const m = ctx.fc[0];
    const f = m.forecast;
    const H = f.forecast.length;
    assert.strictEqual(m.payload.length, 3 * H);
    const series = (name) => m.payload.filter((q) => q.series === name);
    assert.deepStrictEqual(
      series('co2 forecast').map((q) => [q.x, q.y]),
      f.forecast.map((y, h) => [f.timestamps[h], y]),
    );
    assert.deepStrictEqual(
      series('co2 90% lower').map((q) => q.y),
      f.intervals['90'].lower,
    );
    assert.deepStrictEqual(
      series('co2 90% upper').map((q) => q.y),
      f.intervals['90'].upper,
    );
  });

  it('scores each new reading; fires the second output on an injected spike only', async function () {
    const ctx = await start({ threshold: 1.5 });
    // Readings of the model's own training range: nothing anomalous.
    await stream(ctx, 0, 120);
    const scored = ctx.fc.filter((m) => m.anomaly);
    assert.ok(scored.length >= 105, `${scored.length} readings scored`);
    assert.ok(scored.every((m) => m.anomaly.forecasts >= 1 && Number.isFinite(m.anomaly.score)));
    assert.deepStrictEqual(
      ctx.alert.map((m) => m.anomaly.score),
      [],
      'no alert on clean readings',
    );
    // A +25 ppm spike at reading 120 (the yearly swing is about 6 ppm).
    await stream(ctx, 120, 121, (i) => co2[i] + 25);
    await until(ctx.alert, 1);
    const a = ctx.alert[0].payload;
    assert.strictEqual(a.anomalous, true);
    assert.strictEqual(a.time, T0 + 120 * HOUR);
    assert.strictEqual(a.actual, co2[120] + 25);
    assert.ok(a.score > 1.5 && a.actual > a.upper && a.lower < a.expected && a.expected < a.upper, JSON.stringify(a));
    assert.deepStrictEqual(Object.keys(a).sort(), [
      'actual',
      'anomalous',
      'expected',
      'forecasts',
      'horizonStep',
      'lower',
      'score',
      'threshold',
      'time',
      'topic',
      'upper',
    ]);
    assert.strictEqual(a.topic, 'site-1');
    assert.strictEqual(ctx.fc[ctx.fc.length - 1].anomaly.anomalous, true, 'the forecast message carries it too');
    // Another topic has its own memory: its first readings are not scored against site-1's forecasts.
    await stream(ctx, 0, 12, (i) => co2[i], 'site-2');
    assert.strictEqual(ctx.fc[ctx.fc.length - 1].anomaly, undefined);
  });

  it('widens the bands of a stream when its noise grows if adaptRate is set, not when it is 0', async function () {
    const widthAfterShift = async (adaptRate) => {
      const ctx = await start({ levels: '80', adaptRate, recalibrate: false });
      await stream(ctx, 0, 40);
      // From reading 40 on, +-1.5 ppm alternating: every forecast misses by about 3 ppm.
      await stream(ctx, 40, 80, (i) => co2[i] + (i % 2 ? 1.5 : -1.5));
      const b = ctx.fc[ctx.fc.length - 1].payload.intervals['80'];
      await stopRuntime();
      return b.upper[0] - b.lower[0];
    };
    const fixed = await widthAfterShift(0);
    const adapted = await widthAfterShift(0.05);
    const calibrated = 2 * conformalHalfWidth(artifact.calibration, 0, 0.8);
    assert.ok(Math.abs(fixed - calibrated) < 1e-9, `rate 0: the calibrated width (${fixed} vs ${calibrated})`);
    assert.ok(adapted > fixed, `adapted ${adapted} > fixed ${fixed}`);
  });

  it('recalibrates a stream on its own errors (recalibrate, on by default): wider under noise, narrower on calmer data', async function () {
    const widths = async (recalibrate, noise) => {
      const ctx = await start({ levels: '80', recalibrate });
      await stream(ctx, 0, 90, (i) => co2[i] + (i >= 12 ? noise * (i % 2 ? 1 : -1) : 0));
      const last = ctx.fc[ctx.fc.length - 1].payload;
      await stopRuntime();
      assert.ok(numbers(last.intervals).every(Number.isFinite));
      return last.intervals['80'].upper[0] - last.intervals['80'].lower[0];
    };
    const calibrated = 2 * conformalHalfWidth(artifact.calibration, 0, 0.8);
    const fixed = await widths(false, 1.5);
    assert.ok(Math.abs(fixed - calibrated) < 1e-9, `off: the calibrated width (${fixed} vs ${calibrated})`);
    const noisy = await widths(undefined, 1.5); // the default

    assert.ok(noisy > calibrated, `noisy stream: ${noisy} > calibrated ${calibrated}`);
    // the model's own training series, replayed: its errors are smaller than the validation weeks' (it saw them)
    const calm = await widths(true, 0);
    assert.ok(calm < calibrated, `calm ${calm} < calibrated ${calibrated}`);
  });

  it('forecasts with a model stored before intervals, and warns once that it has none', async function () {
    const old = JSON.parse(JSON.stringify(artifact));
    delete old.calibration;
    const ctx = await start({}, old);
    await stream(ctx, 0, 14);
    const p = helper.getNode(`p${run}`);
    const warnings = p.warn
      .getCalls()
      .filter((c) => c.thisValue === p)
      .map((c) => String(c.args[0]));
    assert.strictEqual(ctx.fc.length, 3);
    assert.ok(ctx.fc.every((m) => m.payload.forecast.length === 3 && m.payload.intervals === undefined && !m.anomaly));
    assert.strictEqual(warnings.filter((w) => /has no interval calibration/.test(w)).length, 1, warnings.join('\n'));
  });

  it('refuses levels outside 50-99.9 % at deploy with what it accepts', async function () {
    await startRuntime(nodes, flow({ levels: '80, 30' }));
    const p = helper.getNode(`p${run}`);
    const errors = p.error.getCalls().filter((c) => c.thisValue === p);
    assert.ok(
      errors.some((c) => /levels must be interval levels in % from 50 to 99.9, got "30"/.test(String(c.args[0]))),
    );
    void nextMessage;
  });
});
