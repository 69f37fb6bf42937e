'use strict';
const assert = require('assert');
const { Windower, parseWindowerConfig } = require('../../../nodes/core/data/windower');
const { slidingWindows, medianStep } = require('../../../nodes/core/data/windowing');

const cfg = (o) => parseWindowerConfig(o);
const T0 = Date.UTC(2024, 0, 1);
const H1 = 3600e3;

describe('core: windowing', function () {
  it('cuts windows with targets at every stride, aligned to the end when asked', function () {
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => [v, 10 * v]);
    const c = slidingWindows(rows, 3, 2, 1, 1);
    // origins o from L-1 = 2 to n-1-H = 7
    assert.deepStrictEqual(c.origins, [2, 3, 4, 5, 6, 7]);
    assert.deepStrictEqual(c.inputs[0], [
      [0, 0],
      [1, 10],
      [2, 20],
    ]);
    assert.deepStrictEqual(c.targets[0], [[30], [40]]);
    const e = slidingWindows(rows, 3, 2, 4, 1, { align: 'end' });
    assert.deepStrictEqual(e.origins, [3, 7]);
    assert.deepStrictEqual(slidingWindows(rows, 3, 2, 1, 0, { minOrigin: 5, maxOrigin: 6 }).origins, [5, 6]);
  });
  it('median step', function () {
    assert.strictEqual(medianStep([0, 10, 20, 50]), 10);
    assert.strictEqual(medianStep([5]), 0);
  });
});

describe('core: windower config', function () {
  it('fills defaults and converts numeric strings from the editor', function () {
    const c = cfg({ window: '12', horizon: '3' });
    assert.strictEqual(c.window, 12);
    assert.strictEqual(c.horizon, 3);
    assert.strictEqual(c.stride, 1);
    assert.strictEqual(c.mode, 'stream');
  });
  it('rejects bad settings, listing what is wrong', function () {
    assert.throws(
      () => cfg({ window: 0, stride: 'x', mode: 'fast' }),
      (e) => {
        assert.strictEqual(e.code, 'BAD_CONFIG');
        assert.match(e.message, /window must be an integer from 1 to 10000, got 0/);
        assert.match(e.message, /stride must be an integer from 1 to 100000, got "x"/);
        assert.match(e.message, /mode must be one of 'stream', 'batch', got "fast"/);
        return true;
      },
    );
    assert.throws(() => cfg({ features: 'a,b', target: 'c' }), /target 'c' must be one of the input features \(a, b\)/);
  });
});

describe('core: windower stream', function () {
  it('emits once a window is full, then every stride readings, with targets when the horizon is known', function () {
    const w = new Windower(cfg({ window: 3, stride: 2, horizon: 2 }));
    const out = [];
    for (let i = 0; i < 9; i++) out.push(w.push('s', { a: i, b: 100 + i }, T0 + i * H1));
    const emitted = out.map((r, i) => (r.forecast ? i : -1)).filter((i) => i >= 0);
    assert.deepStrictEqual(emitted, [2, 4, 6, 8]);
    const r = out[8];
    assert.deepStrictEqual(r.forecast.inputs, [
      [6, 106],
      [7, 107],
      [8, 108],
    ]);
    assert.deepStrictEqual(r.forecast.features, ['a', 'b']);
    assert.strictEqual(r.forecast.target, 'a');
    assert.strictEqual(r.forecast.step, H1);
    assert.deepStrictEqual(r.training.inputs, [
      [4, 104],
      [5, 105],
      [6, 106],
    ]);
    assert.deepStrictEqual(r.training.targets, [[7], [8]]);
    assert.deepStrictEqual(r.training.targetTimestamps, [T0 + 7 * H1, T0 + 8 * H1]);
    assert.strictEqual(out[2].training, undefined, 'no targets known yet at the first window');
    assert.strictEqual(w.buffered('s'), 5, 'holds L + H readings');
  });
  it('keeps series apart', function () {
    const w = new Windower(cfg({ window: 2 }));
    w.push('a', 1, T0);
    const r1 = w.push('b', 10, T0);
    assert.strictEqual(r1.forecast, undefined);
    const r2 = w.push('a', 2, T0 + 1);
    assert.deepStrictEqual(r2.forecast.inputs, [[1], [2]]);
    assert.strictEqual(r2.forecast.series, 'a');
    assert.strictEqual(w.seriesCount, 2);
  });
  it('rejects bad readings without touching the buffer', function () {
    const w = new Windower(cfg({ window: 3 }));
    w.push('s', [1, 2], T0);
    const before = JSON.stringify(w.snapshot());
    assert.throws(
      () => w.push('s', [1, 'x'], T0 + 1),
      /expected numbers for 0, 1 \(finite, \|x\| <= 3\.4e\+38\), got 1 = "x"/,
    );
    assert.throws(() => w.push('s', [1, NaN], T0 + 1), /got 1 = NaN/);
    assert.throws(() => w.push('s', [1, 2, 3], T0 + 1), /expected 2 values per reading, got 3/);
    assert.throws(() => w.push('s', 5, T0 + 1), /expected an array of 2 numbers like the earlier readings, got 5/);
    assert.throws(
      () => w.push('s', [1, 2], T0 - 1),
      /expected a timestamp after 2024-01-01T00:00:00.000Z, got 2023-12-31T23:59:59.999Z/,
    );
    assert.throws(() => w.push('s', [1, 2], NaN), /epoch ms or an ISO 8601 string/);
    assert.strictEqual(JSON.stringify(w.snapshot()), before);
  });
  it('drops or carries bad values per policy', function () {
    const d = new Windower(cfg({ window: 2, invalid: 'drop' }));
    d.push('s', { a: 1 }, T0);
    const r = d.push('s', { a: null }, T0 + 1);
    assert.match(r.warnings[0], /dropped a reading with a = null/);
    assert.strictEqual(d.buffered('s'), 1);
    const c = new Windower(cfg({ window: 2, invalid: 'carry' }));
    c.push('s', { a: 1 }, T0);
    const r2 = c.push('s', { a: 'n/a' }, T0 + 1);
    assert.deepStrictEqual(r2.forecast.inputs, [[1], [1]]);
  });
  it('bounds the number of series', function () {
    const e = new Windower(cfg({ window: 2, maxSeries: 2 }));
    e.push('a', 1, T0);
    e.push('b', 1, T0);
    assert.throws(() => e.push('c', 1, T0), /expected at most 2 series \(maxSeries\), got a new series 'c'/);
    const d = new Windower(cfg({ window: 2, maxSeries: 2, overflow: 'drop-oldest' }));
    d.push('a', 1, T0);
    d.push('b', 1, T0);
    d.push('c', 1, T0);
    assert.strictEqual(d.seriesCount, 2);
  });
  it('restarts a series after a gap longer than maxGap', function () {
    const w = new Windower(cfg({ window: 2, maxGap: 2 * H1 }));
    w.push('s', 1, T0);
    const r = w.push('s', 2, T0 + 5 * H1);
    assert.strictEqual(r.forecast, undefined);
    assert.match(r.warnings[0], /gap/);
    assert.strictEqual(w.buffered('s'), 1);
  });
  it('snapshots and restores, but not under other settings', function () {
    const w = new Windower(cfg({ window: 3 }));
    w.push('s', 1, T0);
    w.push('s', 2, T0 + 1);
    const snap = JSON.parse(JSON.stringify(w.snapshot()));
    const w2 = new Windower(cfg({ window: 3 }));
    assert.strictEqual(w2.restore(snap), true);
    assert.deepStrictEqual(w2.push('s', 3, T0 + 2).forecast.inputs, [[1], [2], [3]]);
    assert.strictEqual(new Windower(cfg({ window: 4 })).restore(snap), false);
  });
});

describe('core: windower batch', function () {
  it('turns csv-style rows with a time column into a dataset and a latest window', function () {
    const rows = [];
    for (let i = 0; i < 10; i++) rows.push({ date: new Date(T0 + i * H1).toISOString(), temp: i, wind: -i });
    const w = new Windower(cfg({ mode: 'batch', window: 4, horizon: 2, stride: 3, target: 'temp' }));
    const r = w.batch('x', rows, 0);
    assert.strictEqual(r.dataset.type, 'dataset');
    assert.deepStrictEqual(r.dataset.features, ['temp', 'wind']);
    // origins aligned to the end: 7, 4 -> count 2
    assert.strictEqual(r.dataset.count, 2);
    assert.deepStrictEqual(r.dataset.targets[1], [[8], [9]]);
    assert.deepStrictEqual(r.dataset.timestamps[1][0], T0 + 4 * H1);
    assert.deepStrictEqual(
      r.latest.inputs.map((x) => x[0]),
      [6, 7, 8, 9],
    );
    assert.strictEqual(r.dataset.step, H1);
  });
  it('dates readings without a time field back from the start time', function () {
    const w = new Windower(cfg({ mode: 'batch', window: 2, horizon: 1, interval: 60000 }));
    const r = w.batch('', [1, 2, 3], T0);
    assert.deepStrictEqual(r.latest.timestamps, [T0 - 60000, T0]);
  });
  it('rejects empty batches, unordered times and bad cells', function () {
    const w = new Windower(cfg({ mode: 'batch', window: 2, horizon: 1 }));
    assert.throws(() => w.batch('', [], T0), /expected at least one reading, got an empty array/);
    assert.throws(() => w.batch('', 'abc', T0), /expected msg.payload as an array of readings/);
    assert.throws(
      () =>
        w.batch(
          '',
          [
            { time: 2000, v: 1 },
            { time: 1000, v: 2 },
          ],
          T0,
        ),
      /reading 1: expected a time after 1970-01-01T00:00:02.000Z, got 1970-01-01T00:00:01.000Z/,
    );
    assert.throws(
      () => w.batch('', [{ v: 1 }, { v: 'x' }], T0),
      /reading 1: expected numbers for v \(finite, \|x\| <= 3\.4e\+38\), got v = "x"/,
    );
    const l = new Windower(cfg({ mode: 'batch', window: 2, maxBatch: 2 }));
    assert.throws(() => l.batch('', [1, 2, 3], T0), /at most 2 readings \(maxBatch\), got 3/);
  });
});

describe('core: windower faults (issue 10)', function () {
  it('arrival stamps keep a burst within one millisecond in order; explicit equal times follow Duplicates', function () {
    const w = new Windower(cfg({ window: 3 }));
    for (let i = 0; i < 3; i++) w.push('s', i, T0, { arrival: true });
    const r = w.push('s', 3, T0 - 5, { arrival: true });
    assert.deepStrictEqual(r.forecast.timestamps, [T0 + 1, T0 + 2, T0 + 3], 'each 1 ms after the previous one');
    assert.throws(() => w.push('s', 4, T0 + 3), { code: 'BAD_TIMESTAMP', message: /equal timestamps are rejected/ });
    const last = new Windower(cfg({ window: 2, duplicates: 'keep-last' }));
    last.push('s', 1, T0);
    assert.strictEqual(last.push('s', 9, T0).buffered, 1);
    assert.deepStrictEqual(last.push('s', 2, T0 + 1).forecast.inputs, [[9], [2]]);
    const first = new Windower(cfg({ window: 2, duplicates: 'keep-first' }));
    first.push('s', 1, T0);
    assert.match(first.push('s', 9, T0).warnings[0], /dropped a reading .* \(Duplicates: keep-first\)/);
    assert.deepStrictEqual(first.push('s', 2, T0 + 1).forecast.inputs, [[1], [2]]);
  });

  it('a transaction undone leaves the buffers byte-identical (push, new series, eviction, reset)', function () {
    const w = new Windower(cfg({ window: 3, maxSeries: 2, overflow: 'drop-oldest' }));
    w.push('a', 1, T0);
    w.push('b', 1, T0);
    const before = JSON.stringify(w.snapshot());
    const c1 = w.transaction(() => w.push('a', 2, T0 + 1));
    assert.deepStrictEqual([c1.changed, c1.removed], [['a'], []]);
    c1.undo();
    assert.strictEqual(JSON.stringify(w.snapshot()), before);
    const c2 = w.transaction(() => w.push('c', 5, T0));
    assert.deepStrictEqual(c2.changed, ['c']);
    assert.strictEqual(c2.removed.length, 1, 'the least recently updated series was evicted');
    c2.undo();
    assert.strictEqual(JSON.stringify(w.snapshot()), before);
    const c3 = w.transaction(() => w.reset());
    assert.deepStrictEqual(c3.removed.sort(), ['a', 'b']);
    c3.undo();
    assert.strictEqual(JSON.stringify(w.snapshot()), before);
    assert.throws(() => w.transaction(() => w.push('a', 'x', T0 + 2)), { code: 'BAD_INPUT' });
    assert.strictEqual(JSON.stringify(w.snapshot()), before);
  });

  it('snapshots keep series named __proto__, constructor and hasOwnProperty, and restore copies', function () {
    const w = new Windower(cfg({ window: 2 }));
    for (const k of ['__proto__', 'constructor', 'hasOwnProperty']) w.push(k, 1, T0);
    const text = JSON.stringify(w.snapshot());
    const w2 = new Windower(cfg({ window: 2 }));
    const parsed = JSON.parse(text);
    assert.strictEqual(w2.restore(parsed), true);
    assert.strictEqual(w2.seriesCount, 3);
    assert.strictEqual(JSON.stringify(w2.snapshot()), text);
    w2.push('constructor', 2, T0 + 1);
    assert.deepStrictEqual(parsed.series.constructor.rows, [[1]], 'the restored state is not shared with the caller');
    const bad = JSON.parse(text);
    bad.series.constructor.rows = [[NaN]];
    bad.series.hasOwnProperty.times = [5, 5];
    w2.restore(bad);
    assert.deepStrictEqual(w2.seriesNames(), ['__proto__'], 'malformed series skipped');
  });

  it('bounds features per reading and the numbers of one batch dataset', function () {
    const w = new Windower(cfg({ window: 2, maxFeatures: 3 }));
    assert.throws(() => w.push('s', [1, 2, 3, 4], T0), { code: 'LIMIT', message: /at most 3 features .* got 4/ });
    assert.throws(() => w.push('o', { a: 1, b: 2, c: 3, d: 4 }, T0), { code: 'LIMIT', message: /got 4/ });
    assert.strictEqual(w.push('s', [1, 2, 3], T0).buffered, 1);
    const b = new Windower(cfg({ mode: 'batch', window: 10, horizon: 1, maxDatasetValues: 1000 }));
    const rows = Array.from({ length: 500 }, (_, i) => [i, i]);
    assert.throws(() => b.batch('', rows, T0), { code: 'LIMIT', message: /490 windows x 10 x 2 = 9800/ });
    const d = new Windower(
      cfg({ mode: 'batch', window: 10, horizon: 1, maxDatasetValues: 1000, overflow: 'drop-oldest' }),
    );
    const r = d.batch('', rows, T0);
    assert.strictEqual(r.dataset.count, 50);
    assert.deepStrictEqual(r.dataset.targets[49], [[499]]);
    assert.match(r.warnings.join(), /kept the newest 50 of 490 windows/);
  });

  it('quotes long series names cut short in its texts', function () {
    const w = new Windower(cfg({ window: 2 }));
    const name = 'x'.repeat(5000);
    w.push(name, 1, T0);
    assert.throws(
      () => w.push(name, 'no', T0 + 1),
      (e) => e.message.length < 400 && /\(5000 chars\)/.test(e.message),
    );
  });
});
