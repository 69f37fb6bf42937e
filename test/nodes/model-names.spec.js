'use strict';
// Model names from the environment (${ENV_VAR}) and from the message ({topic}), through the real
// Node-RED runtime: one lstm-train and one lstm-predict serve a fleet, one model per topic.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, nextMessage, expectError, lastStatus } = require('../helpers/runtime');
const { co2Series } = require('../helpers/co2-fixture');

const nodes = ['lstm-train', 'lstm-predict'].map((n) => require(`../../nodes/${n}.js`));

const L = 12;
const H = 3;
const TRAIN = { units: 4, epochs: 2, patience: 2, batchSize: 32, season: 12 };

/** Training windows (type 'window', with targets) of the co2 series shifted by `offset` ppm. */
function windowsOf(offset, count = 30) {
  const rows = co2Series().slice(0, count + L + H);
  const ts = rows.map((r) => Date.parse(r.date));
  const v = rows.map((r) => r.co2 + offset);
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push({
      type: 'window',
      series: '',
      features: ['co2'],
      target: 'co2',
      window: L,
      horizon: H,
      step: 0,
      inputs: v.slice(i, i + L).map((x) => [x]),
      timestamps: ts.slice(i, i + L),
      targets: v.slice(i + L, i + L + H).map((x) => [x]),
      targetTimestamps: ts.slice(i + L, i + L + H),
    });
  }
  return out;
}

/** The same windows as one dataset. */
function datasetOf(offset, count = 30) {
  const ws = windowsOf(offset, count);
  const { type: _t, inputs: _i, timestamps: _s, targets: _g, targetTimestamps: _x, ...meta } = ws[0];
  return {
    ...meta,
    type: 'dataset',
    count: ws.length,
    inputs: ws.map((w) => w.inputs),
    timestamps: ws.map((w) => w.timestamps),
    targets: ws.map((w) => w.targets),
    targetTimestamps: ws.map((w) => w.targetTimestamps),
  };
}

/** A window to forecast (no targets). */
function liveWindow(offset) {
  const { targets: _t, targetTimestamps: _x, ...w } = windowsOf(offset, 1)[0];
  return w;
}

function flowGet(node, key) {
  return new Promise((resolve, reject) =>
    node.context().flow.get(key, undefined, (err, v) => (err ? reject(err) : resolve(v))),
  );
}

const tab = (env) => ({ id: 'z', type: 'tab', label: 'names', ...(env ? { env } : {}) });

describe('model names from the environment and from msg.topic', function () {
  this.timeout(180000);
  afterEach(async function () {
    await stopRuntime().catch(() => undefined);
    delete process.env.LSTM_NAMES_SITE;
  });

  it('resolves ${ENV_VAR} parts of the model name from the environment at deploy', async function () {
    process.env.LSTM_NAMES_SITE = 'north';
    await startRuntime(nodes, [
      tab([{ name: 'PUMP_LINE', value: 'line7', type: 'str' }]),
      {
        id: 't',
        type: 'lstm-train',
        z: 'z',
        model: 'pump-${LSTM_NAMES_SITE}-${PUMP_LINE}',
        ...TRAIN,
        wires: [['rep'], []],
      },
      { id: 'rep', type: 'helper', z: 'z' },
      { id: 'p', type: 'lstm-predict', z: 'z', model: '${LSTM_NAMES_SITE}', wires: [['fc']] },
      { id: 'fc', type: 'helper', z: 'z' },
    ]);
    const report = nextMessage(helper.getNode('rep'), 120000);
    helper.getNode('t').receive({ payload: datasetOf(0) });
    const r = await report;
    assert.strictEqual(r.model.name, 'pump-north-line7');
    assert.strictEqual(r.topic, 'pump-north-line7');
    const stored = await flowGet(helper.getNode('t'), 'pump-north-line7');
    assert.strictEqual(stored.name, 'pump-north-line7', 'the artifact carries the resolved name');
    assert.strictEqual(stored.id, r.model.id);
    // The whole-value form: lstm-predict reads model 'north', which does not exist.
    const err = await expectError(helper.getNode('p'), { payload: liveWindow(0) });
    assert.match(String(err.message || err), /no model 'north'/);
  });

  it('refuses a node whose model name uses an unset environment variable (red status, clear error)', async function () {
    delete process.env.LSTM_NAMES_UNSET_XYZ;
    await startRuntime(nodes, [
      tab(),
      { id: 't', type: 'lstm-train', z: 'z', model: 'pump-${LSTM_NAMES_UNSET_XYZ}', ...TRAIN, wires: [[], []] },
      { id: 'p', type: 'lstm-predict', z: 'z', model: '${LSTM_NAMES_UNSET_XYZ}-{topic}', wires: [[]] },
    ]);
    for (const id of ['t', 'p']) {
      const n = helper.getNode(id);
      const s = lastStatus(n);
      assert.strictEqual(s.fill, 'red', `${id}: ${JSON.stringify(s)}`);
      assert.ok(s.text.length <= 40, s.text);
      assert.match(s.text, /env/);
      const err = await expectError(n, { topic: 'a', payload: datasetOf(0) });
      assert.match(String(err.message || err), /environment variable LSTM_NAMES_UNSET_XYZ is not set/);
    }
  });

  it('with {topic}: three topics train three models, each stored under its name and forecast by its own', async function () {
    await startRuntime(nodes, [
      tab(),
      { id: 't', type: 'lstm-train', z: 'z', model: 'pump-{topic}', ...TRAIN, wires: [['rep'], []] },
      { id: 'rep', type: 'helper', z: 'z' },
      { id: 'p', type: 'lstm-predict', z: 'z', model: 'pump-{topic}', wires: [['fc']] },
      { id: 'fc', type: 'helper', z: 'z' },
    ]);
    const t = helper.getNode('t');
    const reports = [];
    const all = new Promise((resolve) =>
      helper.getNode('rep').on('input', (m) => {
        reports.push(m);
        if (reports.length === 3) resolve();
      }),
    );
    // Three requests at once: they queue one after another through the one worker.
    const offsets = { a: 0, 'b/2': 100, c: 200 };
    for (const [topic, off] of Object.entries(offsets)) t.receive({ topic, payload: datasetOf(off) });
    await all;
    const names = reports.map((m) => m.model.name).sort();
    assert.deepStrictEqual(names, ['pump-a', 'pump-b_2', 'pump-c']);
    for (const m of reports) {
      assert.strictEqual(m.model.version, 1);
      const stored = await flowGet(t, m.model.name);
      assert.strictEqual(stored.id, m.model.id, `${m.model.name} stored under its own name`);
      assert.strictEqual(stored.name, m.model.name);
    }
    const p = helper.getNode('p');
    for (const [topic, off] of Object.entries(offsets)) {
      const next = nextMessage(helper.getNode('fc'));
      p.receive({ topic, payload: liveWindow(off) });
      const f = (await next).payload;
      const name = `pump-${topic.replace('/', '_')}`;
      assert.strictEqual(f.model, name);
      assert.strictEqual(f.version, 1);
      const last = liveWindow(off).inputs[L - 1][0];
      // Each model learnt its own level: a forecast far from its series would be another topic's model.
      assert.ok(Math.abs(f.forecast[0] - last) < 40, `${name}: forecast ${f.forecast[0]} for a series at ${last}`);
    }
  });

  it('past maxModels a new topic gets a LIMIT error and the collected windows are kept', async function () {
    await startRuntime(nodes, [
      tab(),
      { id: 't', type: 'lstm-train', z: 'z', model: 'pump-{topic}', maxModels: 2, ...TRAIN, wires: [['rep'], []] },
      { id: 'rep', type: 'helper', z: 'z' },
    ]);
    const t = helper.getNode('t');
    const wa = windowsOf(0, 20);
    const wb = windowsOf(50, 10);
    for (const w of wa) t.receive({ topic: 'a', payload: w });
    for (const w of wb) t.receive({ topic: 'b', payload: w });
    const err = await expectError(t, { topic: 'c', payload: windowsOf(9, 1)[0] });
    assert.match(String(err.message || err), /LIMIT|at most 2 models/);
    assert.match(String(err.message || err), /maxModels/);
    const s = lastStatus(t);
    assert.strictEqual(s.fill, 'red');
    assert.ok(s.text.length <= 40, s.text);
    // Nothing lost: topic a trains on all of its 20 windows.
    const report = nextMessage(helper.getNode('rep'), 120000);
    t.receive({ topic: 'a', train: true });
    const r = await report;
    assert.strictEqual(r.model.name, 'pump-a');
    assert.strictEqual(r.payload.trainWindows + r.payload.valWindows, 20);
    assert.strictEqual(await flowGet(t, 'pump-c'), undefined);
  });

  it('a bad or missing topic gets a clear error in train and predict', async function () {
    await startRuntime(nodes, [
      tab(),
      { id: 't', type: 'lstm-train', z: 'z', model: 'pump-{topic}', ...TRAIN, wires: [['rep'], []] },
      { id: 'rep', type: 'helper', z: 'z' },
      { id: 'p', type: 'lstm-predict', z: 'z', model: 'pump-{topic}', wires: [['fc']] },
      { id: 'fc', type: 'helper', z: 'z' },
    ]);
    for (const id of ['t', 'p']) {
      const n = helper.getNode(id);
      const payload = id === 't' ? windowsOf(0, 1)[0] : liveWindow(0);
      let err = await expectError(n, { topic: 'x'.repeat(100), payload });
      assert.match(String(err.message || err), /msg\.topic/);
      assert.match(String(err.message || err), /80/);
      err = await expectError(n, { topic: '///', payload });
      assert.match(String(err.message || err), /msg\.topic/);
      assert.match(String(err.message || err), /letter or digit/);
      err = await expectError(n, { payload });
      assert.match(String(err.message || err), /expected msg\.topic/);
      const s = lastStatus(n);
      assert.strictEqual(s.fill, 'red');
      assert.ok(s.text.length <= 40, s.text);
    }
  });
});
