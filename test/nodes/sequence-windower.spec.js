'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  helper,
  startRuntime,
  stopRuntime,
  nextMessage,
  expectError,
  lastStatus,
  collect,
} = require('../helpers/runtime');
const windowerPath = require.resolve('../../nodes/sequence-windower.js');
let windowerNode = require(windowerPath);

const T0 = Date.UTC(2024, 0, 1);
const H1 = 3600e3;

// Each test gets its own node ids: a node hands its buffers to its successor
// with the same id (a redeploy), which would carry state between tests.
let run = 0;
beforeEach(function () {
  run++;
});
function flow(props = {}) {
  return [
    {
      id: `w${run}`,
      type: 'sequence-windower',
      name: 'w',
      window: 3,
      stride: 1,
      horizon: 1,
      wires: [['fc'], ['tr']],
      ...props,
    },
    { id: 'fc', type: 'helper' },
    { id: 'tr', type: 'helper' },
  ];
}

describe('sequence-windower node', function () {
  afterEach(async function () {
    await stopRuntime();
  });

  it('keeps its statuses short (at most 20 characters) and takes them from its message catalogue', async function () {
    await startRuntime(windowerNode, flow({ window: 24, horizon: 12 }));
    const w = helper.getNode(`w${run}`);
    const texts = () =>
      w.status
        .getCalls()
        .filter((c) => c.thisValue === w && c.args[0] && c.args[0].text)
        .map((c) => c.args[0].text);
    for (let i = 0; i < 30; i++) {
      w.receive({ topic: `a-very-long-sensor-topic-name-${i % 3}`, payload: i, timestamp: T0 + i * H1 });
    }
    w.receive({ reset: true });
    await new Promise((r) => setTimeout(r, 100));
    const seen = texts();
    assert.ok(seen.includes('stream 24+12'), seen.join(' | '));
    assert.ok(seen.includes('10/24, 3 series'), seen.join(' | '));
    assert.ok(seen.includes('reset: 3 series'), seen.join(' | '));
    for (const t of seen) assert.ok(t.length <= 20, `status '${t}' has ${t.length} characters`);
    const catalogue = require('../../nodes/locales/en-US/sequence-windower.json')['sequence-windower'].status;
    assert.strictEqual(catalogue.fillingSeries, '__n__/__window__, __count__ series');
  });

  it('reads the readings from the chosen property (TypedInput, msg.payload.value / msg.data), windows in msg.payload', async function () {
    await startRuntime(windowerNode, flow({ property: 'payload.value', propertyType: 'msg' }));
    const w = helper.getNode(`w${run}`);
    const fc = collect(helper.getNode('fc'));
    for (let i = 0; i < 3; i++) w.receive({ payload: { value: 20 + i, unit: 'C' }, timestamp: T0 + i * H1 });
    await nextMessage(helper.getNode('fc'));
    assert.deepStrictEqual(fc[fc.length - 1].payload.inputs, [[20], [21], [22]]);
    const err = await expectError(w, { payload: { temperature: 1 }, timestamp: T0 + 3 * H1 });
    assert.match(String(err), /expected msg\.payload\.value to hold a reading .*, got nothing \(undefined\)/);
    assert.strictEqual(lastStatus(w).fill, 'red');
    // The failed message changed nothing: the next reading continues the window.
    w.receive({ payload: { value: 23 }, timestamp: T0 + 3 * H1 });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepStrictEqual(fc[fc.length - 1].payload.inputs, [[21], [22], [23]]);
    await stopRuntime();

    run++;
    await startRuntime(windowerNode, flow({ mode: 'batch', property: 'data', horizon: 1 }));
    const b = helper.getNode(`w${run}`);
    const tr = collect(helper.getNode('tr'));
    b.receive({ payload: 'ignored', data: [1, 2, 3, 4, 5].map((v, i) => ({ v, time: T0 + i * H1 })) });
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(tr[0].payload.type, 'dataset');
    assert.strictEqual(tr[0].payload.count, 2);
    const bad = await expectError(b, { payload: [1, 2, 3] });
    assert.match(String(bad), /expected msg\.data to hold an array of readings, got nothing \(undefined\)/);
  });

  it('streams windows per topic, keeps the message properties, and sends training windows with targets', async function () {
    await startRuntime(windowerNode, flow());
    const w = helper.getNode(`w${run}`);
    const fc = collect(helper.getNode('fc'));
    const tr = collect(helper.getNode('tr'));
    for (let i = 0; i < 4; i++) {
      w.receive({ topic: 'room1', payload: { temp: 20 + i, hum: 50 - i }, timestamp: T0 + i * H1, site: 'lab' });
      w.receive({ topic: 'room2', payload: { temp: 10 + i, hum: 60 }, timestamp: new Date(T0 + i * H1).toISOString() });
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(fc.length, 4, 'two full windows per topic (readings 3 and 4)');
    const last1 = fc.filter((m) => m.topic === 'room1').pop();
    assert.strictEqual(last1.site, 'lab');
    assert.strictEqual(last1.payload.type, 'window');
    assert.deepStrictEqual(last1.payload.inputs, [
      [21, 49],
      [22, 48],
      [23, 47],
    ]);
    assert.deepStrictEqual(last1.payload.timestamps, [T0 + H1, T0 + 2 * H1, T0 + 3 * H1]);
    assert.strictEqual(last1.payload.series, 'room1');
    assert.strictEqual(tr.length, 2, 'one labelled window per topic once L + H readings are in');
    const t2 = tr.find((m) => m.topic === 'room2');
    assert.deepStrictEqual(t2.payload.inputs, [
      [10, 60],
      [11, 60],
      [12, 60],
    ]);
    assert.deepStrictEqual(t2.payload.targets, [[13]]);
    assert.deepStrictEqual(lastStatus(w).fill, 'green');
  });

  it('windows a csv-style batch into a dataset on output 2 and the latest window on output 1', async function () {
    await startRuntime(
      windowerNode,
      flow({ mode: 'batch', window: 4, horizon: 2, stride: 1, features: 'temp,wind', target: 'temp' }),
    );
    const w = helper.getNode(`w${run}`);
    const rows = [];
    for (let i = 0; i < 20; i++)
      rows.push({ date: new Date(T0 + i * H1).toISOString(), temp: i, wind: i % 3, note: 'x' });
    const ds = nextMessage(helper.getNode('tr'));
    const latest = nextMessage(helper.getNode('fc'));
    w.receive({ topic: 'hist', payload: rows });
    const d = (await ds).payload;
    assert.strictEqual(d.type, 'dataset');
    assert.strictEqual(d.count, 20 - 4 - 2 + 1);
    assert.deepStrictEqual(d.features, ['temp', 'wind']);
    assert.deepStrictEqual(d.inputs[0], [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 0],
    ]);
    assert.deepStrictEqual(d.targets[0], [[4], [5]]);
    assert.deepStrictEqual(
      (await latest).payload.inputs.map((r) => r[0]),
      [16, 17, 18, 19],
    );
    assert.strictEqual(lastStatus(w).text, '20 → 15 windows');
  });

  it('reset clears one series or all', async function () {
    await startRuntime(windowerNode, flow({ horizon: 0 }));
    const w = helper.getNode(`w${run}`);
    const fc = collect(helper.getNode('fc'));
    for (const topic of ['a', 'b']) for (let i = 0; i < 2; i++) w.receive({ topic, payload: i, timestamp: T0 + i });
    w.receive({ topic: 'a', reset: true });
    w.receive({ topic: 'a', payload: 5, timestamp: T0 + 10 });
    w.receive({ topic: 'b', payload: 5, timestamp: T0 + 10 });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepStrictEqual(
      fc.map((m) => m.topic),
      ['b'],
      'a restarted empty, b completed its window',
    );
    w.receive({ reset: '*' });
    w.receive({ topic: 'b', payload: 6, timestamp: T0 + 20 });
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(fc.length, 1, 'b was cleared too');
  });

  const bad = [
    ['NaN', { payload: NaN }, /expected numbers for value \(finite, \|x\| <= 3\.4e\+38\), got value = NaN/],
    ['a string', { payload: 'warm' }, /expected numbers for value \(finite, \|x\| <= 3\.4e\+38\), got value = "warm"/],
    [
      'a value beyond float32',
      { payload: -1e39 },
      /expected numbers for value \(finite, \|x\| <= 3\.4e\+38\), got value = -1e\+39/,
    ],
    [
      'a numeric string beyond float32',
      { payload: '5e38' },
      /expected numbers for value \(finite, \|x\| <= 3\.4e\+38\), got value = "5e38"/,
    ],
    ['the wrong shape', { payload: [1, 2] }, /expected a single number like the earlier readings, got an array of 2/],
    [
      'a missing feature',
      { topic: 'obj', payload: { b: 1 } },
      /expected an object|expected numbers for a \(finite, \|x\| <= 3\.4e\+38\), got a = undefined/,
    ],
    [
      'a timestamp going backwards',
      { payload: 3, timestamp: T0 - 1 },
      /expected a timestamp after 2024-01-01T00:00:00.001Z, got 2023-12-31T23:59:59.999Z/,
    ],
    [
      'an unreadable timestamp',
      { payload: 3, timestamp: 'yesterday' },
      /expected msg.timestamp as epoch ms or an ISO 8601 string, got "yesterday"/,
    ],
  ];
  for (const [what, msg, text] of bad) {
    it(`rejects ${what} with done(err), a red status, and the buffer unchanged`, async function () {
      await startRuntime(windowerNode, flow({ window: 2, horizon: 0 }));
      const w = helper.getNode(`w${run}`);
      const fc = collect(helper.getNode('fc'));
      w.receive({ payload: 1, timestamp: T0 });
      w.receive({ topic: 'obj', payload: { a: 1 }, timestamp: T0 });
      w.receive({ payload: 2, timestamp: T0 + 1 });
      await new Promise((r) => setTimeout(r, 20));
      assert.strictEqual(fc.length, 1);
      const err = await expectError(w, { timestamp: T0 + 2, ...msg });
      assert.match(String(err), text);
      assert.strictEqual(lastStatus(w).fill, 'red');
      w.receive({ payload: 3, timestamp: T0 + 5 });
      const m = await nextMessage(helper.getNode('fc'));
      assert.deepStrictEqual(m.payload.inputs, [[2], [3]], 'the window continues from the intact buffer');
    });
  }

  it('rejects an empty batch', async function () {
    await startRuntime(windowerNode, flow({ mode: 'batch' }));
    const err = await expectError(helper.getNode(`w${run}`), { payload: [] });
    assert.match(String(err), /expected at least one reading, got an empty array/);
  });

  it('refuses to start on a bad config, with a clear status', async function () {
    await startRuntime(windowerNode, flow({ window: -2, stride: 0 }));
    const w = helper.getNode(`w${run}`);
    await new Promise((r) => setTimeout(r, 20));
    const st = lastStatus(w);
    assert.strictEqual(st.fill, 'red');
    assert.strictEqual(st.text, 'invalid config');
    const err = await expectError(w, { payload: 1 });
    assert.match(
      String(err),
      /node not started: invalid windower config: window must be an integer from 1 to 10000, got -2; stride must be an integer from 1 to 100000, got 0/,
    );
  });

  it('refuses a features list with an empty item, a target or time field with a comma, saying what it accepts', async function () {
    await startRuntime(windowerNode, flow({ features: 'temperature,,pressure', target: 'a,b', timeField: 't,u' }));
    const w = helper.getNode(`w${run}`);
    assert.strictEqual(lastStatus(w).fill, 'red');
    const err = String(await expectError(w, { payload: 1 }));
    assert.match(err, /features must be empty, or comma-separated feature names or indices with none empty/);
    assert.match(err, /target must be empty, or one feature name or index \(no comma\), got "a,b"/);
    assert.match(err, /timeField must be empty, or one field name \(no comma\), got "t,u"/);
  });

  it('keeps its buffers across a redeploy', async function () {
    const f = flow({ window: 3, horizon: 0, persist: true });
    await startRuntime(windowerNode, f);
    let w = helper.getNode(`w${run}`);
    w.receive({ topic: 's', payload: 1, timestamp: T0 });
    w.receive({ topic: 's', payload: 2, timestamp: T0 + 1 });
    await new Promise((r) => setTimeout(r, 20));
    const f2 = flow({ window: 3, horizon: 0, persist: true, name: 'renamed' });
    await helper.setFlows(f2, 'nodes');
    w = helper.getNode(`w${run}`);
    assert.strictEqual(w.name, 'renamed');
    const m = nextMessage(helper.getNode('fc'));
    w.receive({ topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.deepStrictEqual((await m).payload.inputs, [[1], [2], [3]]);
  });

  it('keeps its buffers across a restart with the localfilesystem store', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'windower-ctx-'));
    const settings = { contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 1 } } } };
    const f = flow({ window: 3, horizon: 0, persist: true, store: 'file' });
    await startRuntime(windowerNode, f, settings);
    let w = helper.getNode(`w${run}`);
    w.receive({ topic: 's', payload: 1, timestamp: T0 });
    w.receive({ topic: 's', payload: 2, timestamp: T0 + 1 });
    await new Promise((r) => setTimeout(r, 30));
    await stopRuntime();
    // A new process: a fresh copy of the node module, so only the store can bring the buffers back.
    delete require.cache[windowerPath];
    windowerNode = require(windowerPath);
    const files = fs.readdirSync(path.join(dir, 'context'), { recursive: true });
    assert.ok(
      files.some((f) => String(f).endsWith('.json')),
      'context written to disk',
    );
    await startRuntime(windowerNode, f, settings);
    w = helper.getNode(`w${run}`);
    const m = nextMessage(helper.getNode('fc'));
    w.receive({ topic: 's', payload: 3, timestamp: T0 + 2 });
    assert.deepStrictEqual((await m).payload.inputs, [[1], [2], [3]]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
