'use strict';
// lstm-train and its model store under faults, through the real Node-RED runtime:
// a downstream function node mutating the report (the stored model must not
// share an object with any message), two lstm-train nodes racing on one model
// name (lost update), and a real context store that fails reads or writes on
// demand (a memory store wrapped by a small store module registered in the
// runtime's contextStorage).
const assert = require('assert');
const memoryStore = require('@node-red/runtime/lib/nodes/context/memory.js');
const functionNode = require('@node-red/nodes/core/function/10-function.js');
const { helper, startRuntime, stopRuntime, nextMessage, lastStatus, collect } = require('../helpers/runtime');
const { co2Dataset } = require('../helpers/co2-fixture');

const modules = [require('../../nodes/lstm-train.js'), require('../../nodes/lstm-predict.js'), functionNode];

const small = { units: 4, epochs: 2, patience: 2, batchSize: 32, seed: 7 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const callsOf = (node, method) => node[method].getCalls().filter((c) => c.thisValue === node);
const errorsOf = (node) => callsOf(node, 'error').map((c) => c.args[0]);
const statusesOf = (node) => callsOf(node, 'status').map((c) => c.args[0]);

/** A dataset message payload as the windower's batch output sends it. */
function dataset(limit = 120) {
  const d = co2Dataset(24, 6, limit);
  return { type: 'dataset', count: d.inputs.length, timestamps: [], ...d };
}

function windowPayload() {
  const d = co2Dataset(24, 6, 60);
  return {
    type: 'window',
    series: 'co2',
    features: ['co2'],
    target: 'co2',
    window: 24,
    horizon: 0,
    step: d.step,
    inputs: d.inputs[0],
    timestamps: d.inputs[0].map((_, i) => i * d.step),
  };
}

/** Resolves once fn() is truthy (polled), or rejects after ms. */
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

function ctxGet(node, key, store) {
  return new Promise((resolve, reject) =>
    node.context().flow.get(key, store, (err, v) => (err ? reject(err) : resolve(v))),
  );
}
function ctxSet(node, key, value, store) {
  return new Promise((resolve, reject) =>
    node.context().flow.set(key, value, store, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * A real context store (Node-RED's memory store) that fails on demand: the next
 * `faults.get` reads and `faults.set` writes call back with an error.
 */
const faults = { get: 0, set: 0, gets: 0, sets: 0 };
function faultyStore(config) {
  const inner = memoryStore(config);
  return {
    open: () => inner.open(),
    close: () => inner.close(),
    keys: (scope, cb) => inner.keys(scope, cb),
    delete: (scope) => inner.delete(scope),
    clean: (active) => inner.clean(active),
    get(scope, key, cb) {
      faults.gets++;
      if (faults.get > 0) {
        faults.get--;
        setImmediate(() => cb(new Error('injected read failure (disk unreadable)')));
        return;
      }
      inner.get(scope, key, (err, ...v) => setImmediate(() => cb(err, ...v)));
    },
    set(scope, key, value, cb) {
      faults.sets++;
      if (faults.set > 0) {
        faults.set--;
        setImmediate(() => cb && cb(new Error('injected write failure (store busy)')));
        return;
      }
      // JSON round trip, as a persistent store would: what is stored is a copy.
      inner.set(scope, key, value === undefined ? undefined : JSON.parse(JSON.stringify(value)), (err) =>
        setImmediate(() => cb && cb(err)),
      );
    },
  };
}
const settings = {
  contextStorage: { default: { module: 'memory' }, faulty: { module: faultyStore } },
};

let run = 0;
beforeEach(function () {
  run++;
  Object.assign(faults, { get: 0, set: 0, gets: 0, sets: 0 });
});
const id = (x) => `${x}${run}`;

function flow(train = {}, extra = []) {
  return [
    { id: 'f1', type: 'tab', label: 'faults' },
    {
      id: id('t'),
      type: 'lstm-train',
      z: 'f1',
      model: 'co2',
      scope: 'flow',
      store: '',
      ...small,
      ...train,
      wires: [['report'], ['progress']],
    },
    {
      id: id('p'),
      type: 'lstm-predict',
      z: 'f1',
      model: 'co2',
      scope: 'flow',
      store: train.store || '',
      wires: [['fc']],
    },
    { id: 'report', type: 'helper', z: 'f1' },
    { id: 'progress', type: 'helper', z: 'f1' },
    { id: 'fc', type: 'helper', z: 'f1' },
    ...extra,
  ];
}

describe('faults: lstm-train and the model store', function () {
  this.timeout(120000);
  afterEach(async function () {
    await stopRuntime().catch(() => undefined);
  });

  describe('defect 1: no message shares an object with the stored model', function () {
    it('a function node deleting msg.payload.history (and scribbling on msg.model) leaves the stored model intact', async function () {
      const mutate = [
        'delete msg.payload.history;',
        'msg.payload.validation = null;',
        'msg.model.version = 999;',
        'return msg;',
      ].join('\n');
      const mutateProgress = 'msg.progress.loss = NaN; msg.payload = NaN; return msg;';
      const f = flow({ epochs: 40, patience: 40 }, [
        { id: 'mut', type: 'function', z: 'f1', func: mutate, outputs: 1, wires: [['mutated']] },
        { id: 'mutp', type: 'function', z: 'f1', func: mutateProgress, outputs: 1, wires: [[]] },
        { id: 'mutated', type: 'helper', z: 'f1' },
      ]);
      // The function nodes alone on each output: Node-RED hands the first wire the message object itself.
      f[1].wires = [['mut'], ['mutp']];
      await startRuntime(modules, f);
      const t = helper.getNode(id('t'));
      const mutated = nextMessage(helper.getNode('mutated'), 60000);
      t.receive({ payload: dataset() });
      const m = await mutated;
      assert.strictEqual(m.payload.history, undefined, 'the function node ran');
      await sleep(100);
      const stored = await ctxGet(t, 'co2');
      assert.ok(Array.isArray(stored.report.history), 'the stored report keeps its history');
      assert.ok(stored.report.validation, 'the stored report keeps its validation');
      assert.strictEqual(stored.version, 1);
      const fc = nextMessage(helper.getNode('fc'));
      helper.getNode(id('p')).receive({ payload: windowPayload() });
      const out = await fc;
      assert.strictEqual(out.payload.forecast.length, 6);
      assert.strictEqual(out.payload.version, 1);
      assert.strictEqual(lastStatus(helper.getNode(id('p'))).fill, 'green');
    });
  });

  describe('defect 4: two lstm-train nodes training one model name (lost update)', function () {
    it('the second writer does not replace the first: CONFLICT naming both versions, red status, artifact kept', async function () {
      const f = flow({}, [
        {
          id: id('t2'),
          type: 'lstm-train',
          z: 'f1',
          model: 'co2',
          scope: 'flow',
          store: '',
          ...small,
          seed: 8,
          wires: [['report'], ['progress']],
        },
        { id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f1' },
      ]);
      await startRuntime([...modules, require('@node-red/nodes/core/common/25-catch.js')], f);
      const a = helper.getNode(id('t'));
      const b = helper.getNode(id('t2'));
      const reports = collect(helper.getNode('report'));
      const caught = collect(helper.getNode('caught'));
      // Deterministic overlap: a trains long (many epochs), b is sent once a is training, so b reads the store
      // (nothing stored), trains and stores while a still trains; a's write then finds b's version. Sent at the
      // same moment, the two tiny runs (milliseconds each through the kernel) could finish one after the other.
      a.receive({ payload: dataset(), by: 'a' });
      await until(
        () => /^train \d+ windows|^\d+\/\d+ loss/.test((lastStatus(a) || {}).text || ''),
        60000,
        'a training',
      );
      b.receive({ payload: dataset(), by: 'b' });
      await until(() => reports.length + errorsOf(a).length + errorsOf(b).length >= 2, 90000, 'both runs settled');
      await sleep(200);
      assert.strictEqual(reports.length, 1, `one run stored its model: ${reports.map((r) => r.by)}`);
      const winner = reports[0].by === 'a' ? a : b;
      const loser = winner === a ? b : a;
      const errs = errorsOf(loser).map(String);
      assert.strictEqual(errs.length, 1, errs.join('\n'));
      assert.match(errs[0], /CONFLICT/);
      assert.match(errs[0], /version 1/);
      assert.match(errs[0], /model 'co2'/);
      const st = lastStatus(loser);
      assert.strictEqual(st.fill, 'red');
      assert.match(st.text, /conflict/);
      const stored = await ctxGet(a, 'co2');
      assert.strictEqual(stored.id, reports[0].model.id, 'the stored model is the winner, not replaced');
      assert.strictEqual(stored.version, 1);
      // The loser's trained model is not thrown away: the Catch node's message carries it.
      await until(() => caught.length, 5000, 'catch');
      assert.strictEqual(caught[0].artifact.format, 'lstm-forecast-model');
      assert.notStrictEqual(caught[0].artifact.id, stored.id);
      // Both train again afterwards: strictly increasing versions.
      const r2 = nextMessage(helper.getNode('report'), 60000);
      loser.receive({ payload: dataset() });
      assert.strictEqual((await r2).model.version, 2);
    });
  });

  describe('defect 4 on the Redis store: two lstm-train nodes on a real redis-server', function () {
    const { startRedisServer } = require('../context/fixtures/redis-server');
    const redisStore = require('../../nodes/context/redis-store.js');
    let server;
    before(async function () {
      server = await startRedisServer();
    });
    after(async function () {
      if (server) await server.stop();
    });

    it('racing on one model name: one stores it, the other gets CONFLICT; versions strictly increase', async function () {
      const redisSettings = {
        contextStorage: {
          default: { module: 'memory' },
          redis: { module: redisStore, config: { url: server.url, prefix: `faults${process.pid}:` } },
        },
      };
      const second = {
        id: id('t2'),
        type: 'lstm-train',
        z: 'f1',
        model: 'co2',
        scope: 'flow',
        store: 'redis',
        ...small,
        seed: 8,
        wires: [['report'], []],
      };
      await startRuntime(modules, flow({ store: 'redis' }, [second]), redisSettings);
      const a = helper.getNode(id('t'));
      const b = helper.getNode(id('t2'));
      const reports = collect(helper.getNode('report'));
      for (let round = 1; round <= 2; round++) {
        const errs = errorsOf(a).length + errorsOf(b).length;
        const seen = reports.length;
        a.receive({ payload: dataset(), by: 'a' });
        b.receive({ payload: dataset(), by: 'b' });
        await until(
          () => reports.length + errorsOf(a).length + errorsOf(b).length >= seen + errs + 2,
          60000,
          `round ${round} settled`,
        );
        assert.strictEqual(reports.length, seen + 1, `round ${round}: one stored`);
        const lost = [...errorsOf(a), ...errorsOf(b)].slice(errs).map(String);
        assert.strictEqual(lost.length, 1);
        assert.match(lost[0], /CONFLICT: model 'co2' not stored/);
        const stored = await ctxGet(a, 'co2', 'redis');
        assert.strictEqual(stored.version, round, 'strictly increasing: one version per round');
        assert.strictEqual(stored.id, reports[reports.length - 1].model.id);
      }
    });
  });

  describe('defect 6: a store that fails reads or writes', function () {
    it('a fresh (non-incremental) run trains although the stored value cannot be read, and stores it', async function () {
      await startRuntime(modules, flow({ store: 'faulty' }), settings);
      const t = helper.getNode(id('t'));
      faults.get = 1; // the read at the start of the run fails
      const report = nextMessage(helper.getNode('report'), 60000);
      t.receive({ payload: dataset() });
      const r = await report;
      assert.strictEqual(r.model.version, 1);
      const warns = callsOf(t, 'warn').map((c) => String(c.args[0]));
      assert.ok(
        warns.some((w) => /could not read model 'co2'.*injected read failure/.test(w)),
        warns.join('\n'),
      );
      assert.strictEqual((await ctxGet(t, 'co2', 'faulty')).id, r.model.id);
    });

    it('with the read failing at the start, a model readable at the end is replaced by the next version', async function () {
      await startRuntime(modules, flow({ store: 'faulty' }), settings);
      const t = helper.getNode(id('t'));
      let r = nextMessage(helper.getNode('report'), 60000);
      t.receive({ payload: dataset() });
      assert.strictEqual((await r).model.version, 1);
      faults.get = 1;
      r = nextMessage(helper.getNode('report'), 60000);
      t.receive({ payload: dataset() });
      assert.strictEqual((await r).model.version, 2, 'versions stay strictly increasing');
      assert.strictEqual((await ctxGet(t, 'co2', 'faulty')).version, 2);
    });

    it('an incremental run still refuses when the stored model cannot be read; the stored model is unchanged', async function () {
      await startRuntime(modules, flow({ store: 'faulty', incremental: true }), settings);
      const t = helper.getNode(id('t'));
      const r = nextMessage(helper.getNode('report'), 60000);
      t.receive({ payload: dataset() });
      const first = await r;
      faults.get = 1;
      const errs = errorsOf(t).length;
      t.receive({ payload: dataset() });
      await until(() => errorsOf(t).length > errs, 30000, 'error');
      assert.match(String(errorsOf(t)[errs]), /could not read model 'co2'.*injected read failure/);
      assert.strictEqual(lastStatus(t).fill, 'red');
      assert.strictEqual((await ctxGet(t, 'co2', 'faulty')).id, first.model.id);
    });

    it('a write that fails twice is retried with backoff; the status says the model is kept meanwhile', async function () {
      await startRuntime(modules, flow({ store: 'faulty' }), settings);
      const t = helper.getNode(id('t'));
      faults.set = 2;
      const report = nextMessage(helper.getNode('report'), 60000);
      t.receive({ payload: dataset() });
      const r = await report;
      assert.strictEqual(r.model.version, 1);
      assert.strictEqual(faults.set, 0, 'both failures were consumed');
      const texts = statusesOf(t).map((s) => s.text);
      assert.ok(
        texts.some((x) => /^v1 retry in 1 s$/.test(x)),
        texts.join('\n'),
      );
      assert.strictEqual(lastStatus(t).fill, 'green');
      assert.strictEqual((await ctxGet(t, 'co2', 'faulty')).id, r.model.id);
    });

    it('closing the node while a write is being retried: one last try, then no more', async function () {
      await startRuntime(modules, flow({ store: 'faulty' }), settings);
      const t = helper.getNode(id('t'));
      faults.set = 100;
      t.receive({ payload: dataset() });
      await until(() => statusesOf(t).some((s) => / retry in /.test(s.text)), 60000, 'a retry status');
      const sets = faults.sets;
      const t0 = Date.now();
      await stopRuntime();
      assert.ok(Date.now() - t0 < 3000, `close took ${Date.now() - t0} ms`);
      assert.strictEqual(faults.sets, sets + 1, 'one last try on close');
      await sleep(2500);
      assert.strictEqual(faults.sets, sets + 1, 'no write after the close');
    });
  });

  it('the stored model seeded by hand is not the object a later read hands to a run (sanity)', async function () {
    await startRuntime(modules, flow());
    const t = helper.getNode(id('t'));
    const report = nextMessage(helper.getNode('report'), 60000);
    t.receive({ payload: dataset() });
    const r = await report;
    const stored = await ctxGet(t, 'co2');
    assert.notStrictEqual(r.payload, stored.report);
    assert.deepStrictEqual(r.payload, stored.report);
    await ctxSet(t, 'other', 1);
  });
});
