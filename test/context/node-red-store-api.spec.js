'use strict';
// Node-RED's own context store specs, ported by hand to run against the Redis store and a real
// redis-server: test/unit/@node-red/runtime/lib/nodes/context/memory_spec.js and localfilesystem_spec.js
// (node-red/node-red), the callback-API cases that apply to any store. Each case names its origin.
//
// Not ported: memory_spec's synchronous cases (this store is asynchronous only) and its "set/get/keys
// are not global keys" case (an artefact of the memory store's old global object); localfilesystem's
// cache, configuration (dir, userDir, NODE_RED_HOME) and empty-file cases; and its "should not throw an
// error when callback of set() is not specified" with an invalid key, which contradicts memory_spec's
// "should throw the error if the error occurs": this store throws, as the memory store does.
//
// Node-RED's cases use should.js; here node's assert says the same thing. Values are compared as the
// callbacks' whole argument lists, as the originals do with `arguments`.
const assert = require('assert');
const Redis = require('ioredis');
const redisStore = require('../../nodes/context/redis-store.js');
const { startRedisServer } = require('./fixtures/redis-server');

/** The arguments a callback-style call calls back with. */
const args = (fn) => new Promise((resolve) => fn((...a) => resolve(a)));

let prefixCount = 0;
const uniquePrefix = () => `nrapi${process.pid}:${++prefixCount}:`;

describe("Node-RED context store API (Node-RED's memory and localfilesystem specs, ported)", function () {
  this.timeout(10000);
  let server;
  let raw;
  let context;
  let prefix;

  const get = (scope, key) => args((cb) => context.get(scope, key, cb));
  const set = (scope, key, value) => args((cb) => context.set(scope, key, value, cb));
  const keys = (scope) => args((cb) => context.keys(scope, cb));
  /** The value of a single-key get, asserting no error. */
  const value = async (scope, key) => {
    const [err, v] = await get(scope, key);
    assert.ifError(err);
    return v;
  };

  before(async function () {
    server = await startRedisServer();
    raw = new Redis(server.url);
  });

  after(async function () {
    if (raw) raw.disconnect();
    if (server) await server.stop();
  });

  beforeEach(async function () {
    prefix = uniquePrefix();
    context = redisStore({ url: server.url, prefix });
    await context.open();
  });

  afterEach(async function () {
    // As the originals do: clean everything, then close.
    await context.clean([]);
    await context.close();
  });

  describe('memory_spec #get/set async', function () {
    it('should store property', async function () {
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
      assert.ifError((await set('nodeX', 'foo', 'test'))[0]);
      assert.strictEqual(await value('nodeX', 'foo'), 'test');
    });

    it('should pass the error to callback if the error occurs', async function () {
      const [setErr] = await set('nodeX', '.foo', 'test');
      assert.ok(setErr, 'set calls back with an error');
      const [getErr] = await get('nodeX', '.foo');
      assert.ok(getErr, 'get calls back with an error');
    });

    it('should get multiple values - all known', async function () {
      context.set('nodeX', 'one', 'test1');
      context.set('nodeX', 'two', 'test2');
      context.set('nodeX', 'three', 'test3');
      context.set('nodeX', 'four', 'test4');
      assert.deepStrictEqual(await get('nodeX', ['one', 'two', 'four']), [undefined, 'test1', 'test2', 'test4']);
    });

    it('should get multiple values - include unknown', async function () {
      context.set('nodeX', 'one', 'test1');
      context.set('nodeX', 'two', 'test2');
      context.set('nodeX', 'three', 'test3');
      context.set('nodeX', 'four', 'test4');
      assert.deepStrictEqual(await get('nodeX', ['one', 'unknown']), [undefined, 'test1', undefined]);
    });

    it('should throw error if bad key included in multiple keys', async function () {
      context.set('nodeX', 'one', 'test1');
      context.set('nodeX', 'two', 'test2');
      const [err] = await get('nodeX', ['one', '.foo', 'three']);
      assert.ok(err);
    });
  });

  describe('memory_spec #keys async', function () {
    it('should enumerate context keys', async function () {
      assert.deepStrictEqual(await keys('nodeX'), [null, []]);
      await set('nodeX', 'foo', 'bar');
      const [err, one] = await keys('nodeX');
      assert.ifError(err);
      assert.deepStrictEqual(one, ['foo']);
      await set('nodeX', 'abc.def', 'bar');
      const [, two] = await keys('nodeX');
      assert.strictEqual(two.length, 2);
      assert.strictEqual(two[1], 'abc');
    });
  });

  describe('memory_spec #delete', function () {
    it('should delete context', async function () {
      await set('nodeX', 'foo', 'abc');
      await set('nodeY', 'foo', 'abc');
      assert.strictEqual(await value('nodeX', 'foo'), 'abc');
      assert.strictEqual(await value('nodeY', 'foo'), 'abc');
      await context.delete('nodeX');
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
      assert.strictEqual(await value('nodeY', 'foo'), 'abc');
    });
  });

  describe('memory_spec #clean', function () {
    it('should clean unnecessary context', async function () {
      await set('nodeX', 'foo', 'abc');
      await set('nodeY', 'foo', 'abc');
      await context.clean([]);
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
      assert.strictEqual(await value('nodeY', 'foo'), undefined);
    });

    it('should not clean active context', async function () {
      await set('nodeX', 'foo', 'abc');
      await set('nodeY', 'foo', 'abc');
      await context.clean(['nodeX']);
      assert.strictEqual(await value('nodeX', 'foo'), 'abc');
      assert.strictEqual(await value('nodeY', 'foo'), undefined);
    });

    it('should not clean global context', async function () {
      await set('global', 'foo', 'abc');
      await context.clean(['global']);
      assert.strictEqual(await value('global', 'foo'), 'abc');
    });
  });

  describe('localfilesystem_spec #get/set', function () {
    it('should store property', async function () {
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
      assert.ifError((await set('nodeX', 'foo', 'test'))[0]);
      assert.strictEqual(await value('nodeX', 'foo'), 'test');
    });

    it('should store property - creates parent properties', async function () {
      await set('nodeX', 'foo.bar', 'test');
      assert.deepStrictEqual(await value('nodeX', 'foo'), { bar: 'test' });
    });

    it('should store local scope property', async function () {
      await set('abc:def', 'foo.bar', 'test');
      assert.deepStrictEqual(await value('abc:def', 'foo'), { bar: 'test' });
    });

    it('should delete property', async function () {
      await set('nodeX', 'foo.abc.bar1', 'test1');
      await set('nodeX', 'foo.abc.bar2', 'test2');
      assert.deepStrictEqual(await value('nodeX', 'foo.abc'), { bar1: 'test1', bar2: 'test2' });
      await set('nodeX', 'foo.abc.bar1', undefined);
      assert.deepStrictEqual(await value('nodeX', 'foo.abc'), { bar2: 'test2' });
      await set('nodeX', 'foo.abc', undefined);
      assert.strictEqual(await value('nodeX', 'foo.abc'), undefined);
      await set('nodeX', 'foo', undefined);
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
    });

    it('should not shared context with other scope', async function () {
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
      assert.strictEqual(await value('nodeY', 'foo'), undefined);
      await set('nodeX', 'foo', 'testX');
      await set('nodeY', 'foo', 'testY');
      assert.strictEqual(await value('nodeX', 'foo'), 'testX');
      assert.strictEqual(await value('nodeY', 'foo'), 'testY');
    });

    it('should store string', async function () {
      await set('nodeX', 'foo', 'bar');
      assert.strictEqual(await value('nodeX', 'foo'), 'bar');
      await set('nodeX', 'foo', '1');
      assert.strictEqual(await value('nodeX', 'foo'), '1');
    });

    it('should store number', async function () {
      await set('nodeX', 'foo', 1);
      assert.strictEqual(await value('nodeX', 'foo'), 1);
    });

    it('should store null', async function () {
      await set('nodeX', 'foo', null);
      assert.strictEqual(await value('nodeX', 'foo'), null);
    });

    it('should store boolean', async function () {
      await set('nodeX', 'foo', true);
      assert.strictEqual(await value('nodeX', 'foo'), true);
      await set('nodeX', 'foo', false);
      assert.strictEqual(await value('nodeX', 'foo'), false);
    });

    it('should store object', async function () {
      await set('nodeX', 'foo', { obj: 'bar' });
      assert.deepStrictEqual(await value('nodeX', 'foo'), { obj: 'bar' });
    });

    it('should store array', async function () {
      await set('nodeX', 'foo', ['a', 'b', 'c']);
      assert.deepStrictEqual(await value('nodeX', 'foo'), ['a', 'b', 'c']);
      assert.strictEqual(await value('nodeX', 'foo[1]'), 'b');
    });

    it('should store array of arrays', async function () {
      await set('nodeX', 'foo', [
        ['a', 'b', 'c'],
        [1, 2, 3, 4],
        [true, false],
      ]);
      const v = await value('nodeX', 'foo');
      assert.deepStrictEqual(
        v.map((a) => a.length),
        [3, 4, 2],
      );
      assert.deepStrictEqual(await value('nodeX', 'foo[1]'), [1, 2, 3, 4]);
    });

    it('should store array of objects', async function () {
      await set('nodeX', 'foo', [{ obj: 'bar1' }, { obj: 'bar2' }, { obj: 'bar3' }]);
      assert.strictEqual((await value('nodeX', 'foo')).length, 3);
      assert.deepStrictEqual(await value('nodeX', 'foo[1]'), { obj: 'bar2' });
    });

    it('should set/get multiple values', async function () {
      await set('nodeX', ['one', 'two', 'three'], ['test1', 'test2', 'test3']);
      assert.deepStrictEqual(await get('nodeX', ['one', 'two']), [undefined, 'test1', 'test2']);
    });

    it('should set/get multiple values - get unknown', async function () {
      await set('nodeX', ['one', 'two', 'three'], ['test1', 'test2', 'test3']);
      assert.deepStrictEqual(await get('nodeX', ['one', 'two', 'unknown']), [undefined, 'test1', 'test2', undefined]);
    });

    it('should set/get multiple values - single value providd', async function () {
      await set('nodeX', ['one', 'two', 'three'], 'test1');
      assert.deepStrictEqual(await get('nodeX', ['one', 'two']), [undefined, 'test1', null]);
    });

    it('should throw error if bad key included in multiple keys - get', async function () {
      await set('nodeX', ['one', 'two', 'three'], ['test1', 'test2', 'test3']);
      const [err] = await get('nodeX', ['one', '.foo', 'three']);
      assert.ok(err);
    });

    it('should throw error if bad key included in multiple keys - set', async function () {
      const [err] = await set('nodeX', ['one', '.foo', 'three'], ['test1', 'test2', 'test3']);
      assert.ok(err);
      assert.strictEqual(await value('nodeX', 'one'), undefined, "'one' was not set");
    });

    it('should throw an error when getting a value with invalid key', async function () {
      await set('nodeX', 'foo', 'bar');
      const [err] = await get('nodeX', ' ');
      assert.ok(err);
    });

    it('should throw an error when setting a value with invalid key', async function () {
      const [err] = await set('nodeX', ' ', 'bar');
      assert.ok(err);
    });

    it('should throw an error when callback of get() is not a function', function () {
      assert.throws(() => context.get('nodeX', 'foo', 'callback'));
    });

    it('should throw an error when callback of get() is not specified', function () {
      assert.throws(() => context.get('nodeX', 'foo'));
    });

    it('should throw an error when callback of set() is not a function', function () {
      assert.throws(() => context.set('nodeX', 'foo', 'bar', 'callback'));
    });

    it('should throw an error when reading corrupt context file (here: a field that is not JSON)', async function () {
      await raw.hset(`${prefix}nodeX`, 'foo', '{abc');
      const [err] = await get('nodeX', 'foo');
      assert.ok(err);
    });
  });

  describe('localfilesystem_spec #keys', function () {
    it('should enumerate context keys', async function () {
      assert.deepStrictEqual((await keys('nodeX'))[1], []);
      await set('nodeX', 'foo', 'bar');
      assert.deepStrictEqual((await keys('nodeX'))[1], ['foo']);
      await set('nodeX', 'abc.def', 'bar');
      const [, two] = await keys('nodeX');
      assert.strictEqual(two.length, 2);
      assert.strictEqual(two[1], 'abc');
    });

    it('should enumerate context keys in each scopes', async function () {
      assert.deepStrictEqual((await keys('nodeX'))[1], []);
      assert.deepStrictEqual((await keys('nodeY'))[1], []);
      await set('nodeX', 'foo', 'bar');
      await set('nodeY', 'hoge', 'piyo');
      assert.deepStrictEqual((await keys('nodeX'))[1], ['foo']);
      assert.deepStrictEqual((await keys('nodeY'))[1], ['hoge']);
    });

    it('should throw an error when callback of keys() is not a function', function () {
      assert.throws(() => context.keys('nodeX', 'callback'));
    });

    it('should throw an error when callback of keys() is not specified', function () {
      assert.throws(() => context.keys('nodeX'));
    });
  });

  describe('localfilesystem_spec #delete', function () {
    it('should delete context', async function () {
      await set('nodeX', 'foo', 'testX');
      await set('nodeY', 'foo', 'testY');
      assert.strictEqual(await value('nodeX', 'foo'), 'testX');
      assert.strictEqual(await value('nodeY', 'foo'), 'testY');
      await context.delete('nodeX');
      assert.strictEqual(await value('nodeX', 'foo'), undefined);
      assert.strictEqual(await value('nodeY', 'foo'), 'testY');
    });
  });

  describe('localfilesystem_spec #clean', function () {
    it('should clean unnecessary context', async function () {
      await set('global', 'foo', 'testGlobal');
      await set('nodeX:flow1', 'foo', 'testX');
      await set('nodeY:flow2', 'foo', 'testY');
      assert.strictEqual(await value('nodeX:flow1', 'foo'), 'testX');
      assert.strictEqual(await value('nodeY:flow2', 'foo'), 'testY');
      await context.clean([]);
      assert.strictEqual(await value('nodeX:flow1', 'foo'), undefined);
      assert.strictEqual(await value('nodeY:flow2', 'foo'), undefined);
      assert.strictEqual(await value('global', 'foo'), 'testGlobal');
    });

    it('should not clean active context', async function () {
      await set('global', 'foo', 'testGlobal');
      await set('nodeX:flow1', 'foo', 'testX');
      await set('nodeY:flow2', 'foo', 'testY');
      await context.clean(['flow1', 'nodeX']);
      assert.strictEqual(await value('nodeX:flow1', 'foo'), 'testX');
      assert.strictEqual(await value('nodeY:flow2', 'foo'), undefined);
      assert.strictEqual(await value('global', 'foo'), 'testGlobal');
    });
  });
});
