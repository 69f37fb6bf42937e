'use strict';
// The Redis context store against a real redis-server (started here on a free
// loopback port, stopped after; the suite fails when redis-server is missing).
// The reference for behaviour is Node-RED's own memory store.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const Redis = require('ioredis');
const memoryStore = require('@node-red/runtime/lib/nodes/context/memory.js');
const functionNode = require('@node-red/nodes/core/function/10-function.js');
const redisStore = require('../../nodes/context/redis-store.js');
const { helper, startRuntime, stopRuntime, nextMessage } = require('../helpers/runtime');
const { startRedisServer, freePort } = require('./fixtures/redis-server');

// Node-RED's callback style as promises: get -> value (or values for a key
// array), keys -> array, set -> nothing.
const call = (fn) => new Promise((resolve, reject) => fn((err, ...values) => (err ? reject(err) : resolve(values))));
const get = (store, scope, key) => call((cb) => store.get(scope, key, cb)).then((v) => (Array.isArray(key) ? v : v[0]));
const set = (store, scope, key, value) => call((cb) => store.set(scope, key, value, cb));
const keys = (store, scope) => call((cb) => store.keys(scope, cb)).then((v) => v[0].slice().sort());

async function rejectsWith(promise, code, pattern) {
  let caught;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected an error with code ${code}`);
  assert.strictEqual(caught.code, code, `code of: ${caught.message}`);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

/** Polls fn until it resolves true (or the time is up). */
async function eventually(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves or rejects as `promise` does, or rejects after `ms`: a hang fails the test instead of stalling it. */
function within(ms, promise, what) {
  let timer;
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hung)`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** A sample of what the forecaster keeps in context: a JSON model artifact. */
const ARTIFACT = {
  format: 'lstm-forecast/1',
  version: 7,
  topology: {
    class_name: 'Sequential',
    config: { layers: [{ class_name: 'LSTM', config: { units: 4, return_sequences: false } }] },
  },
  weights: [{ name: 'lstm/kernel', shape: [2, 16], data: [0.125, -0.5, 1e-7, 3.0000000000000004] }],
  scaler: { mean: [21.5, 48.25], std: [1.5, 2], features: ['temp', 'hum'] },
  window: { length: 48, horizon: 6, stride: 1 },
  metrics: { mae: 0.31, rmse: null, trained: true },
  empty: { list: [], map: {} },
};

let prefixCount = 0;
const uniquePrefix = (name) => `t${process.pid}:${++prefixCount}:${name}:`;

describe('Redis context store', function () {
  let server;
  let raw; // a plain client, to look at what the store wrote
  const stores = [];
  const open = async (config = {}) => {
    const store = redisStore({ url: server.url, ...config });
    stores.push(store);
    await store.open();
    return store;
  };
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);

  before(async function () {
    server = await startRedisServer();
    raw = new Redis(server.url);
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(async function () {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  after(async function () {
    process.removeListener('unhandledRejection', onUnhandled);
    if (raw) raw.disconnect();
    if (server) await server.stop();
    assert.deepStrictEqual(unhandled, [], 'no unhandled promise rejections');
  });

  describe('the plugin contract', function () {
    it('exports a function of the config that returns open/close/get/set/keys/delete/clean', async function () {
      assert.strictEqual(typeof redisStore, 'function');
      const store = redisStore({ url: server.url, settings: { userDir: '/x' } }); // Node-RED adds settings
      for (const m of ['open', 'close', 'get', 'set', 'keys', 'delete', 'clean'])
        assert.strictEqual(typeof store[m], 'function', m);
      assert.ok(store.open() instanceof Promise);
      await store.close();
      assert.ok(Object.prototype.hasOwnProperty.call(redisStore, 'toString'), 'Node-RED logs module=<toString()>');
    });

    it("answers like Node-RED's memory store for the same operations (nested keys, key arrays, deletes)", async function () {
      const redis = await open({ prefix: uniquePrefix('conformance') });
      const memory = memoryStore({});
      const scope = 'node1:flow1';
      const ops = [
        ['set', 'a', 1],
        ['set', 'b', { x: [1, 2, 3] }],
        ['set', 'b.x[1]', 20],
        ['set', 'b.y.z', 'deep'],
        ['set', 'c[2]', true], // creates an array
        ['get', 'b.x'],
        ['get', 'b.y'],
        ['get', 'b[\'y\']["z"]'],
        ['get', ['a', 'b.x[1]', 'missing', 'missing.deep', 'a.below.number']],
        ['set', ['d', 'e', 'f'], [1, 2]], // f gets null
        ['set', ['g', 'g.h'], [{}, 5]],
        ['set', 'b.x[0]', undefined], // splices the array
        ['set', 'a', undefined], // deletes the key
        ['set', 'n', 5],
        ['set', 'n.m', 1], // below a number: nothing happens
        ['set', 'q["with space"]', 'ok'],
        ['set', 'model', ARTIFACT],
        ['set', 'model.scaler.mean[0]', 22],
        ['get', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'n', 'q["with space"]', 'model']],
        ['keys'],
        ['get', 'bad key'],
        ['set', 'a..b', 1],
        ['get', '[0]'],
      ];
      const norm = (v) => (v === undefined ? '<undefined>' : JSON.parse(JSON.stringify(v)));
      for (const [op, key, value] of ops) {
        const run = async (store) => {
          try {
            if (op === 'get') return norm(await get(store, scope, key));
            if (op === 'set') return norm(await set(store, scope, key, value));
            return await keys(store, scope);
          } catch (err) {
            return `error ${err.code}`;
          }
        };
        const want = await run(memory);
        const got = await run(redis);
        assert.deepStrictEqual(got, want, `${op} ${JSON.stringify(key)}`);
      }
      assert.strictEqual((await get(redis, scope, 'model.scaler.mean'))[0], 22);
    });

    it("keeps scopes apart and lists a scope's top-level keys", async function () {
      const store = await open({ prefix: uniquePrefix('keys') });
      await set(store, 'global', ['g1', 'g2'], ['x', 'y']);
      await set(store, 'flow1', 'f.nested', 1);
      await set(store, 'node1:flow1', 'n', 2);
      assert.deepStrictEqual(await keys(store, 'global'), ['g1', 'g2']);
      assert.deepStrictEqual(await keys(store, 'flow1'), ['f']);
      assert.deepStrictEqual(await keys(store, 'node1:flow1'), ['n']);
      assert.deepStrictEqual(await keys(store, 'unknown'), []);
      assert.strictEqual(await get(store, 'flow1', 'n'), undefined);
    });

    it('stores one hash per scope, <prefix><scope>, one JSON field per top-level key', async function () {
      const prefix = uniquePrefix('layout');
      const store = await open({ prefix });
      await set(store, 'flow1', 'model', ARTIFACT);
      assert.deepStrictEqual(JSON.parse(await raw.hget(`${prefix}flow1`, 'model')), ARTIFACT);
      await set(store, 'flow1', 'model', undefined);
      assert.strictEqual(await raw.exists(`${prefix}flow1`), 0, 'an emptied scope leaves no key behind');
    });

    it('round-trips a model artifact exactly, numbers included', async function () {
      const store = await open({ prefix: uniquePrefix('artifact') });
      await set(store, 'global', 'forecaster', ARTIFACT);
      assert.deepStrictEqual(await get(store, 'global', 'forecaster'), ARTIFACT);
      assert.deepStrictEqual(await get(store, 'global', 'forecaster.weights[0].data'), ARTIFACT.weights[0].data);
    });

    it('runs the operations on a scope in call order: a get right after a set sees it', async function () {
      const store = await open({ prefix: uniquePrefix('order') });
      store.set('flow1', 'k', { v: 1 }); // no callback: fire and forget
      store.set('flow1', 'k.v', 2);
      store.set('flow1', 'k.w', 3);
      assert.deepStrictEqual(await get(store, 'flow1', 'k'), { v: 2, w: 3 });
    });

    it('delete(scope) removes that scope only', async function () {
      const store = await open({ prefix: uniquePrefix('delete') });
      await set(store, 'flow1', 'a', 1);
      await set(store, 'flow2', 'a', 2);
      const result = store.delete('flow1');
      assert.ok(result instanceof Promise);
      await result;
      assert.deepStrictEqual(await keys(store, 'flow1'), []);
      assert.strictEqual(await get(store, 'flow2', 'a'), 2);
    });

    it('clean(activeNodes) drops the flow and node scopes no longer deployed, never global', async function () {
      const prefix = uniquePrefix('clean*[x]'); // glob characters must be taken literally
      const store = await open({ prefix });
      const lookalike = prefix.replace('*[x]', 'Q[x]') + 'flowGone';
      await raw.hset(lookalike, 'k', '1'); // matched by the prefix as a glob, not literally
      for (const scope of ['global', 'flow1', 'flowGone', 'node1:flow1', 'nodeGone:flow1', 'node3:flowGone']) {
        await set(store, scope, 'k', scope);
      }
      await store.clean(['flow1', 'node1']);
      const left = (await raw.keys(`${prefix.replace(/[*?[\]]/g, '\\$&')}*`))
        .map((k) => k.slice(prefix.length))
        .filter((scope) => !scope.startsWith('#store:')) // the store's own bookkeeping
        .sort();
      assert.deepStrictEqual(left, ['flow1', 'global', 'node1:flow1']);
      assert.strictEqual(await raw.exists(lookalike), 1, 'keys outside the prefix are not touched');
      await raw.del(lookalike);
    });

    it("clean never deletes keys it did not write: other applications' keys under the same prefix", async function () {
      const prefix = uniquePrefix('foreignkeys');
      const store = await open({ prefix });
      await raw.hset(`${prefix}sessions`, 'abc', '{"user":"x"}'); // e.g. an HTTP session store sharing nodered:
      await raw.set(`${prefix}cache:page`, 'html');
      await raw.hset(`${prefix}flowOld`, 'k', '1'); // same shape as a scope, but not written by this store
      await set(store, 'flowGone', 'k', 1);
      await store.clean([]);
      assert.strictEqual(await raw.exists(`${prefix}sessions`, `${prefix}cache:page`, `${prefix}flowOld`), 3);
      assert.strictEqual(await raw.exists(`${prefix}flowGone`), 0, 'its own undeployed flow scope is gone');
    });

    it('clean leaves the flows of another instance sharing the prefix, and a flow both use until both dropped it', async function () {
      const prefix = uniquePrefix('instances');
      const a = await open({ prefix, instance: 'node-red-a' });
      const b = await open({ prefix, instance: 'node-red-b' });
      await set(a, 'flowA', 'k', 'a');
      await set(a, 'nodeA:flowA', 'k', 'a');
      await set(b, 'flowB', 'k', 'b');
      await set(b, 'nodeB:flowB', 'k', 'b');
      await set(a, 'shared', 'k', 'a');
      await set(b, 'shared', 'k2', 'b');
      await a.clean(['flowA', 'nodeA']); // a deploys its flows: b's are not a's to delete
      assert.strictEqual(await get(b, 'flowB', 'k'), 'b');
      assert.strictEqual(await get(b, 'nodeB:flowB', 'k'), 'b');
      assert.strictEqual(await get(a, 'flowA', 'k'), 'a');
      await a.clean([]); // a drops everything
      assert.strictEqual(await get(a, 'flowA', 'k'), undefined);
      assert.strictEqual(await get(a, 'nodeA:flowA', 'k'), undefined);
      assert.deepStrictEqual(await keys(a, 'shared'), ['k', 'k2'], 'b still uses the shared flow');
      await b.clean([]);
      assert.deepStrictEqual(await keys(b, 'shared'), [], 'gone once no instance uses it');
      assert.deepStrictEqual(await keys(b, 'flowB'), []);
    });

    it("clean by a store whose prefix contains another store's prefix leaves that store alone", async function () {
      const outer = uniquePrefix('nested');
      const inner = `${outer}b:`;
      const a = await open({ prefix: outer });
      const b = await open({ prefix: inner });
      await set(b, 'global', 'model', ARTIFACT);
      await set(b, 'flowB', 'k', 1);
      await set(b, 'nodeB:flowB', 'k', 1);
      await set(a, 'flowA', 'k', 1);
      await set(a, 'flowGone', 'k', 1);
      const esc = (p) => p.replace(/[*?[\]\\]/g, '\\$&');
      const innerKeys = (await raw.keys(`${esc(inner)}*`)).sort();
      await a.clean(['flowA']);
      assert.deepStrictEqual((await raw.keys(`${esc(inner)}*`)).sort(), innerKeys);
      assert.deepStrictEqual(await get(b, 'global', 'model'), ARTIFACT);
      assert.strictEqual(await get(b, 'flowB', 'k'), 1);
      assert.strictEqual(await get(a, 'flowA', 'k'), 1);
      assert.strictEqual(await get(a, 'flowGone', 'k'), undefined);
    });

    it('clean is a no-op with clean: false (instances with different flows sharing a prefix)', async function () {
      const store = await open({ prefix: uniquePrefix('noclean'), clean: false });
      await set(store, 'flowOther', 'k', 1);
      await store.clean([]);
      assert.strictEqual(await get(store, 'flowOther', 'k'), 1);
    });
  });

  describe('two Node-RED instances on one Redis', function () {
    it('each sees what the other wrote', async function () {
      const prefix = uniquePrefix('shared');
      const a = await open({ prefix });
      const b = await open({ prefix });
      await set(a, 'global', 'model', ARTIFACT);
      assert.deepStrictEqual(await get(b, 'global', 'model'), ARTIFACT);
      await set(b, 'global', 'model.version', 8);
      assert.strictEqual(await get(a, 'global', 'model.version'), 8);
      assert.deepStrictEqual(await keys(a, 'global'), ['model']);
      await b.delete('global');
      assert.strictEqual(await get(a, 'global', 'model'), undefined);
    });

    it('loses no nested update when both write into the same key at once', async function () {
      const prefix = uniquePrefix('race');
      const a = await open({ prefix });
      const b = await open({ prefix });
      const writes = [];
      for (let i = 0; i < 30; i++) {
        writes.push(set(a, 'global', `stats.a${i}`, i), set(b, 'global', `stats.b${i}`, i));
      }
      await Promise.all(writes);
      const stats = await get(a, 'global', 'stats');
      assert.strictEqual(Object.keys(stats).length, 60, `got ${Object.keys(stats).sort().join(',')}`);
    });
  });

  describe("compare-and-set on a model's version (setIfVersion)", function () {
    const setIfVersion = (store, scope, key, value, expected) =>
      call((cb) => store.setIfVersion(scope, key, value, expected, cb));
    const model = (version, by) => ({ ...ARTIFACT, version, trainedBy: by });

    it('of two writers on two connections storing over the same version, exactly one wins; the other is told why', async function () {
      const prefix = uniquePrefix('cas');
      const a = await open({ prefix, instance: 'a' });
      const b = await open({ prefix, instance: 'b' });
      await setIfVersion(a, 'flow1', 'shared', model(7, 'seed'), null);
      for (let round = 0; round < 10; round++) {
        const current = 7 + round;
        const results = await Promise.allSettled([
          setIfVersion(a, 'flow1', 'shared', model(current + 1, 'a'), current),
          setIfVersion(b, 'flow1', 'shared', model(current + 1, 'b'), current),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.strictEqual(won.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`);
        const err = lost[0].reason;
        assert.strictEqual(err.code, 'CONFLICT', err.message);
        const why = new RegExp(`'shared'.*expected version ${current}.*stored version is ${current + 1}`);
        assert.match(err.message, why);
        assert.strictEqual(err.expectedVersion, current);
        assert.strictEqual(err.storedVersion, current + 1);
        const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
        const stored = await get(a, 'flow1', 'shared');
        assert.strictEqual(stored.version, current + 1);
        assert.strictEqual(stored.trainedBy, winner, 'the loser did not overwrite the winner');
      }
    });

    it('null as the expected version means "not stored yet"; a stale one never overwrites', async function () {
      const store = await open({ prefix: uniquePrefix('cas-null') });
      await setIfVersion(store, 'global', 'm', model(1, 'first'), null);
      const again = setIfVersion(store, 'global', 'm', model(1, 'again'), null);
      await rejectsWith(again, 'CONFLICT', /expected no stored value/);
      await set(store, 'global', 'm', model(5, 'plain set'));
      const stale = setIfVersion(store, 'global', 'm', model(2, 'stale'), 1);
      await rejectsWith(stale, 'CONFLICT', /version 1.*version is 5/);
      assert.strictEqual((await get(store, 'global', 'm')).trainedBy, 'plain set');
      await set(store, 'global', 'plain', { noVersion: true });
      await rejectsWith(setIfVersion(store, 'global', 'plain', model(1, 'x'), 0), 'CONFLICT', /has no version/);
      await rejectsWith(setIfVersion(store, 'global', 'm.nested', 1, 5), 'INVALID_EXPR', /top-level key/);
      assert.throws(
        () => store.setIfVersion('global', 'm', model(6, 'x'), 5),
        (err) => err.code === 'BAD_CALLBACK',
      );
      await rejectsWith(setIfVersion(store, 'global', 'm', model(6, 'x'), { v: 5 }), 'BAD_ARGUMENT');
      assert.ok(redisStore.openStores().includes(store), 'nodes find the open store to call setIfVersion on');
      await store.close();
      assert.ok(!redisStore.openStores().includes(store));
    });
  });

  describe('a plain set of a model artifact never replaces a newer or equal version (lost update)', function () {
    // What lstm-train writes: format 'lstm-forecast-model' and an integer version.
    const model = (version, by) => ({ ...ARTIFACT, format: 'lstm-forecast-model', version, trainedBy: by });

    it('of two instances racing plain sets of the same next version, exactly one wins; the other gets CONFLICT', async function () {
      const prefix = uniquePrefix('model-set');
      const a = await open({ prefix, instance: 'a' });
      const b = await open({ prefix, instance: 'b' });
      await set(a, 'flow1', 'co2', model(1, 'seed'));
      for (let round = 0; round < 10; round++) {
        const next = 2 + round;
        const results = await Promise.allSettled([
          set(a, 'flow1', 'co2', model(next, 'a')),
          set(b, 'flow1', 'co2', model(next, 'b')),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.strictEqual(won.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`);
        const err = results.find((r) => r.status === 'rejected').reason;
        assert.strictEqual(err.code, 'CONFLICT', err.message);
        assert.match(
          err.message,
          new RegExp(`model 'co2'.*version ${next} is not newer than the stored version ${next}`),
        );
        assert.strictEqual(err.storedVersion, next);
        const stored = await get(a, 'flow1', 'co2');
        assert.strictEqual(stored.trainedBy, results[0].status === 'fulfilled' ? 'a' : 'b', 'the loser wrote nothing');
      }
    });

    it('an older version is refused; newer versions, other values, deletes and key arrays behave as before', async function () {
      const store = await open({ prefix: uniquePrefix('model-set-rules') });
      await set(store, 'global', 'm', model(5, 'five'));
      await rejectsWith(set(store, 'global', 'm', model(3, 'stale')), 'CONFLICT', /version 3 is not newer than .* 5/);
      await rejectsWith(
        set(store, 'global', ['other', 'm'], [1, model(5, 'same')]),
        'CONFLICT',
        /model 'm'.*version 5 is not newer/,
      );
      assert.strictEqual(await get(store, 'global', 'other'), undefined, 'a refused key array writes nothing');
      assert.strictEqual((await get(store, 'global', 'm')).trainedBy, 'five');
      await set(store, 'global', 'm', model(6, 'six'));
      assert.strictEqual((await get(store, 'global', 'm')).version, 6);
      await set(store, 'global', 'm', 'not a model');
      await set(store, 'global', 'm', model(1, 'over a non-model'));
      await set(store, 'global', 'm', undefined);
      assert.strictEqual(await get(store, 'global', 'm'), undefined);
      await set(store, 'global', 'm', model(1, 'again from 1'));
      assert.strictEqual((await get(store, 'global', 'm')).trainedBy, 'again from 1');
      await set(store, 'global', 'plain', { version: 1 });
      await set(store, 'global', 'plain', { version: 1 });
      assert.deepStrictEqual(await get(store, 'global', 'plain'), { version: 1 }, 'only model artifacts are guarded');
      await raw.hset(`${store.prefix}global`, 'broken', 'not json');
      await set(store, 'global', 'broken', model(1, 'over garbage'));
      assert.strictEqual((await get(store, 'global', 'broken')).trainedBy, 'over garbage');
    });
  });

  describe('errors', function () {
    it("refuses synchronous get and keys with an explanation, as Node-RED's file store without cache does", async function () {
      const store = await open({ prefix: uniquePrefix('sync') });
      assert.throws(
        () => store.get('flow1', 'model'),
        (err) => err.code === 'SYNC_ACCESS' && /needs a callback/.test(err.message),
      );
      assert.throws(
        () => store.keys('flow1'),
        (err) => err.code === 'SYNC_ACCESS',
      );
      assert.throws(
        () => store.set('flow1', 'bad key', 1),
        (err) => err.code === 'INVALID_EXPR',
      );
    });

    it('calls back with NOT_SERIALISABLE for values that are not JSON, and writes nothing', async function () {
      const store = await open({ prefix: uniquePrefix('json') });
      const circular = { name: 'c' };
      circular.self = circular;
      await rejectsWith(set(store, 'flow1', 'c', circular), 'NOT_SERIALISABLE', /'c'.*JSON/);
      await rejectsWith(
        set(store, 'flow1', 'f', () => 1),
        'NOT_SERIALISABLE',
        /expected a JSON value, got a function/,
      );
      await rejectsWith(set(store, 'flow1', 'n', 10n), 'NOT_SERIALISABLE');
      assert.deepStrictEqual(await keys(store, 'flow1'), []);
    });

    it('serialises each value once per set (a toJSON spy counts)', async function () {
      const store = await open({ prefix: uniquePrefix('once') });
      let calls = 0;
      const value = {
        toJSON() {
          calls += 1;
          return { weights: [1, 2, 3] };
        },
      };
      await set(store, 'flow1', 'model', value);
      assert.strictEqual(calls, 1, 'one JSON.stringify for a top-level key');
      calls = 0;
      await set(store, 'flow1', ['a', 'b'], [value, value]);
      assert.strictEqual(calls, 2, 'one per value for a key array');
      const stored = { weights: [1, 2, 3] };
      assert.deepStrictEqual(await get(store, 'flow1', ['model', 'b']), [stored, stored]);
    });

    it('calls back with BAD_STORED_VALUE when a field holds something other than JSON', async function () {
      const prefix = uniquePrefix('foreign');
      const store = await open({ prefix });
      await raw.hset(`${prefix}global`, 'foreign', 'not json{');
      await rejectsWith(get(store, 'global', 'foreign'), 'BAD_STORED_VALUE', /'foreign'.*does not hold JSON/);
    });

    it('refuses a bad config when Node-RED loads the store', function () {
      const bad = (config, pattern) =>
        assert.throws(
          () => redisStore(config),
          (err) => err.code === 'BAD_CONFIG' && pattern.test(err.message),
        );
      bad({ hots: 'x' }, /unknown option hots/);
      bad({ prefix: '' }, /prefix must be a non-empty string/);
      bad({ url: 'http://127.0.0.1' }, /url must start with redis:\/\//);
      bad({ url: 'redis://127.0.0.1', port: 6379 }, /either url or host\/port/);
      bad({ port: 'x' }, /port must be an integer/);
      bad({ clean: 'yes' }, /clean must be true or false/);
    });

    it('never shows a password, whatever the URL shape (warnings, errors, toString)', async function () {
      const port = await freePort(); // nobody listens: every operation fails with REDIS_UNAVAILABLE
      const texts = [];
      const warn = console.warn;
      console.warn = (...args) => texts.push(args.map(String).join(' '));
      const collect = (err) => {
        assert.ok(err, 'expected an error');
        texts.push(err.message, String(err.stack), String(err.cause && err.cause.message), JSON.stringify(err));
      };
      const shapes = [
        { url: `redis://app:pa#ss/w@rd-42@127.0.0.1:${port}`, secrets: ['pa#ss', 'w@rd-42', 'ss/w'] }, // new URL throws
        { url: `redis://app:s3cret-pw@127.0.0.1:${port}/0`, secrets: ['s3cret-pw'] },
        { url: `redis://:p%40ss-enc0ded@127.0.0.1:${port}`, secrets: ['p%40ss-enc0ded', 'p@ss-enc0ded'] },
        { url: `redis://127.0.0.1:${port}/0?password=query-pw-9`, secrets: ['query-pw-9'] },
        { host: '127.0.0.1', port, password: 'plain-pw-7', secrets: ['plain-pw-7'] },
      ];
      try {
        for (const { secrets, ...config } of shapes) {
          const before = texts.length;
          let store;
          try {
            store = redisStore({ ...config, connectTimeout: 500 });
          } catch (err) {
            collect(err); // refused at load: its message counts too
          }
          if (store) {
            stores.push(store);
            texts.push(String(store));
            await store.open();
            await get(store, 'global', 'k').then(() => assert.fail('get must fail'), collect);
            await set(store, 'global', 'k', 1).then(() => assert.fail('set must fail'), collect);
            await store.delete('global').then(() => assert.fail('delete must fail'), collect);
            await store.close();
          }
          assert.ok(texts.length > before, `something was said about ${JSON.stringify(config)}`);
          for (const text of texts) {
            for (const secret of secrets) assert.ok(!text.includes(secret), `'${secret}' shown in: ${text}`);
          }
        }
        assert.ok(
          texts.some((t) => /\*\*\*/.test(t)),
          'the password is masked, not just left out silently',
        );
      } finally {
        console.warn = warn;
      }
    });

    it('after close(), calls back with STORE_CLOSED', async function () {
      const store = redisStore({ url: server.url, prefix: uniquePrefix('closed') });
      await store.open();
      await store.close();
      await rejectsWith(get(store, 'global', 'x'), 'STORE_CLOSED', /closed/);
    });

    it('with the server unreachable: open() resolves, every operation calls back with REDIS_UNAVAILABLE, nothing crashes', async function () {
      const port = await freePort(); // nobody listens there
      const warnings = [];
      const warn = console.warn;
      console.warn = (text) => warnings.push(String(text));
      try {
        const store = redisStore({ host: '127.0.0.1', port, connectTimeout: 1000 });
        stores.push(store);
        await store.open();
        const where = new RegExp(`cannot reach redis://127\\.0\\.0\\.1:${port}/0 \\(.*ECONNREFUSED`);
        await rejectsWith(get(store, 'global', 'model'), 'REDIS_UNAVAILABLE', where);
        await rejectsWith(get(store, 'global', ['a', 'b']), 'REDIS_UNAVAILABLE', where);
        await rejectsWith(set(store, 'global', 'model', ARTIFACT), 'REDIS_UNAVAILABLE', where);
        await rejectsWith(set(store, 'global', 'model.version', 1), 'REDIS_UNAVAILABLE', where);
        await rejectsWith(keys(store, 'global'), 'REDIS_UNAVAILABLE', where);
        await rejectsWith(store.delete('flow1'), 'REDIS_UNAVAILABLE', where);
        await store.clean([]); // housekeeping: resolves with a warning
        store.set('global', 'fire', 'forget'); // no callback: a warning, no throw, no unhandled rejection
        await new Promise((r) => setTimeout(r, 50));
        await store.close();
        assert.ok(
          warnings.some((w) => /unreachable/.test(w)),
          warnings.join('\n'),
        );
        assert.ok(
          warnings.some((w) => /set of 'fire' in scope global failed/.test(w)),
          warnings.join('\n'),
        );
      } finally {
        console.warn = warn;
      }
    });

    it('fails while the server is down and works again once it is back', async function () {
      const own = await startRedisServer();
      const warn = console.warn;
      console.warn = () => {};
      try {
        const store = redisStore({ url: own.url, connectTimeout: 1000 });
        stores.push(store);
        await store.open();
        await set(store, 'global', 'k', 1);
        await own.stop();
        await eventually(
          () =>
            get(store, 'global', 'k').then(
              () => false,
              (err) => err.code === 'REDIS_UNAVAILABLE',
            ),
          5000,
          'REDIS_UNAVAILABLE once the server stopped',
        );
        const again = await startRedisServer(own.port);
        try {
          await eventually(
            () =>
              set(store, 'global', 'k', 2).then(
                () => true,
                () => false,
              ),
            10000,
            'a set once the server is back',
          );
          assert.strictEqual(await get(store, 'global', 'k'), 2);
        } finally {
          await store.close();
          await again.stop();
        }
      } finally {
        console.warn = warn;
      }
    });
  });

  describe('a server that stops answering (SIGSTOP, CLIENT PAUSE)', function () {
    this.timeout(25000);
    let own;
    const quiet = console.warn;

    beforeEach(async function () {
      own = await startRedisServer();
      console.warn = () => {};
    });

    afterEach(async function () {
      console.warn = quiet;
      own.resume(); // never leave a frozen server behind, whatever failed
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await own.stop();
    });

    it('by default, get fails within about 5 s with REDIS_TIMEOUT, and close() is prompt', async function () {
      const store = redisStore({ url: own.url, prefix: uniquePrefix('paused') });
      stores.push(store);
      await store.open();
      await set(store, 'global', 'k', 1);
      own.pause();
      let started = Date.now();
      const err = await within(
        9000,
        get(store, 'global', 'k').then(
          () => null,
          (e) => e,
        ),
        'get on a paused server',
      );
      const waited = Date.now() - started;
      assert.ok(err, 'get must fail');
      assert.strictEqual(err.code, 'REDIS_TIMEOUT', err.message);
      assert.match(err.message, /did not answer within 5000 ms/);
      assert.ok(waited >= 4500 && waited < 7000, `failed after ${waited} ms`);

      // An operation still waiting when Node-RED shuts down must not hold up close().
      const pending = get(store, 'global', 'k').then(
        () => null,
        (e) => e,
      );
      started = Date.now();
      await within(5000, store.close(), 'close() on a paused server');
      assert.ok(Date.now() - started < 3500, `close took ${Date.now() - started} ms`);
      const late = await within(1000, pending, 'the get pending at close');
      assert.ok(late && ['STORE_CLOSED', 'REDIS_TIMEOUT'].includes(late.code), String(late && late.message));
    });

    it('honours a configured commandTimeout and recovers once the server answers again (SIGCONT)', async function () {
      const store = redisStore({ url: own.url, prefix: uniquePrefix('resume'), commandTimeout: 300 });
      stores.push(store);
      await store.open();
      await set(store, 'global', 'k', 1);
      own.pause();
      try {
        const started = Date.now();
        await within(3000, rejectsWith(get(store, 'global', 'k'), 'REDIS_TIMEOUT', /within 300 ms/), 'get');
        await within(3000, rejectsWith(set(store, 'global', 'k.v', 2), 'REDIS_TIMEOUT'), 'nested set');
        await within(3000, rejectsWith(keys(store, 'global'), 'REDIS_TIMEOUT'), 'keys');
        assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
      } finally {
        own.resume();
      }
      await set(store, 'global', 'k', 3);
      assert.strictEqual(await get(store, 'global', 'k'), 3);
    });

    it('open() on a frozen server resolves within connectTimeout; the store works once it answers', async function () {
      own.pause();
      const store = redisStore({ url: own.url, prefix: uniquePrefix('frozenopen'), connectTimeout: 1000 });
      stores.push(store);
      const started = Date.now();
      try {
        await within(5000, store.open(), 'open() on a frozen server');
        assert.ok(Date.now() - started < 2500, `open took ${Date.now() - started} ms`);
        await within(3000, rejectsWith(get(store, 'global', 'k'), 'REDIS_UNAVAILABLE'), 'get before ready');
      } finally {
        own.resume();
      }
      await eventually(
        () =>
          set(store, 'global', 'k', 1).then(
            () => true,
            () => false,
          ),
        10000,
        'a set once resumed',
      );
      assert.strictEqual(await get(store, 'global', 'k'), 1);
    });

    it('fails the same way under CLIENT PAUSE from another connection', async function () {
      const store = redisStore({ url: own.url, prefix: uniquePrefix('clientpause'), commandTimeout: 300 });
      stores.push(store);
      await store.open();
      const admin = new Redis(own.url);
      try {
        await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
        await within(3000, rejectsWith(get(store, 'global', 'k'), 'REDIS_TIMEOUT'), 'get under CLIENT PAUSE');
        await admin.call('CLIENT', 'UNPAUSE');
        await set(store, 'global', 'k', 'back');
        assert.strictEqual(await get(store, 'global', 'k'), 'back');
      } finally {
        admin.disconnect();
      }
    });
  });

  describe('in the Node-RED runtime (node-red-node-test-helper)', function () {
    const FLOW = 'shared-tab';
    let prefix;
    const settings = () => ({
      contextStorage: {
        default: { module: 'memory' },
        redis: { module: redisStore, config: { url: server.url, prefix } },
      },
    });
    const flow = () => [
      { id: FLOW, type: 'tab', label: 'shared' },
      {
        id: 'writer',
        type: 'function',
        z: FLOW,
        func: `
          flow.set('model', msg.payload, 'redis', (err) => {
            if (err) { node.error(err, msg); return; }
            node.send(msg);
            node.done();
          });
          return;`,
        wires: [['wrote']],
      },
      {
        id: 'reader',
        type: 'function',
        z: FLOW,
        func: `
          flow.get(msg.key, 'redis', (err, value) => {
            msg.payload = err ? { error: err.code + ': ' + err.message } : value;
            node.send(msg);
            node.done();
          });
          return;`,
        wires: [['read']],
      },
      {
        id: 'syncReader',
        type: 'function',
        z: FLOW,
        func: `msg.payload = flow.get('model', 'redis'); return msg;`,
        wires: [['read']],
      },
      { id: 'wrote', type: 'helper', z: FLOW },
      { id: 'read', type: 'helper', z: FLOW },
    ];

    beforeEach(async function () {
      prefix = uniquePrefix('runtime');
      await startRuntime(functionNode, flow(), settings());
    });

    afterEach(async function () {
      await stopRuntime();
    });

    it("a function node's flow.set(..., 'redis') is read by another store instance and by a second Node-RED process", async function () {
      const wrote = nextMessage(helper.getNode('wrote'));
      helper.getNode('writer').receive({ payload: ARTIFACT });
      await wrote;

      // Another instance of the store, as another Node-RED would open it.
      const other = await open({ prefix });
      assert.deepStrictEqual(await get(other, FLOW, 'model'), ARTIFACT);

      // A second Node-RED runtime in its own process, same flow tab: reads
      // 'model', writes 'ack'.
      const child = await runSecondInstance({ REDIS_URL: server.url, REDIS_PREFIX: prefix, FLOW_ID: FLOW });
      assert.deepStrictEqual(child.model, ARTIFACT, JSON.stringify(child));
      assert.deepStrictEqual(child.keys.sort(), ['ack', 'model']);
      assert.match(child.nodeRed, /^\d+\.\d+\.\d+/);

      // ... and this runtime sees its answer.
      const read = nextMessage(helper.getNode('read'));
      helper.getNode('reader').receive({ key: 'ack' });
      assert.deepStrictEqual((await read).payload, { from: 'instance-2', version: ARTIFACT.version });
      assert.deepStrictEqual(await keys(other, FLOW), ['ack', 'model']);
    });

    it('a nested key read in a function node walks into the stored JSON', async function () {
      const wrote = nextMessage(helper.getNode('wrote'));
      helper.getNode('writer').receive({ payload: ARTIFACT });
      await wrote;
      const read = nextMessage(helper.getNode('read'));
      helper.getNode('reader').receive({ key: 'model.scaler.features[1]' });
      assert.strictEqual((await read).payload, 'hum');
    });

    it('a synchronous flow.get on the store fails the function node with the explanation', async function () {
      const syncReader = helper.getNode('syncReader');
      const logged = new Promise((resolve) => syncReader.once('call:error', (call) => resolve(call.args[0])));
      syncReader.receive({ payload: 1 });
      const err = await logged;
      assert.match(String(err && (err.message || err)), /asynchronous.*needs a callback/);
    });
  });
});

/** Runs test/context/fixtures/second-instance.js and returns what it printed after RESULT. */
function runSecondInstance(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'second-instance.js')], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errOut = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (errOut += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`second instance exited with ${signal || code}:\n${out}\n${errOut}`));
        return;
      }
      resolve(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}
