'use strict';
const assert = require('assert');
const { RunQueue } = require('../../nodes/glue/run-queue');

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

describe('core: run queue', function () {
  it('runs one at a time; a newer pending request replaces the older one', async function () {
    const log = [];
    const gates = {};
    const q = new RunQueue('queue', {
      run: async (r) => {
        log.push(`start ${r}`);
        gates[r] = deferred();
        await gates[r].promise;
        log.push(`end ${r}`);
      },
      failed: (r, e) => log.push(`failed ${r} ${e.message}`),
      dropped: (r, why) => log.push(`dropped ${r} ${why}`),
    });
    q.submit('a');
    q.submit('b');
    q.submit('c');
    assert.strictEqual(q.busy, true);
    gates.a.resolve();
    await new Promise((r) => setImmediate(r));
    gates.c.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(log, ['start a', 'dropped b replaced', 'end a', 'start c', 'end c']);
    assert.strictEqual(q.busy, false);
  });
  it('rejects overlapping requests with BUSY and keeps running after a failure', async function () {
    const q = new RunQueue(
      'reject',
      {
        run: async (r) => {
          await new Promise((res) => setTimeout(res, 10));
          if (r === 'bad') throw new Error('boom');
        },
        failed: (r, e) => failures.push(`${r}: ${e.message}`),
        dropped: () => assert.fail('nothing is queued with reject'),
      },
      'training of m',
    );
    const failures = [];
    q.submit('bad');
    assert.throws(
      () => q.submit('b'),
      (e) => e.code === 'BUSY' && /training of m is already running; request rejected/.test(e.message),
    );
    await new Promise((r) => setTimeout(r, 30));
    assert.deepStrictEqual(failures, ['bad: boom']);
    q.submit('ok');
    assert.strictEqual(q.busy, true);
  });
  it('with keys: one at a time, one pending per key in arrival order, the newest of a key replacing it', async function () {
    const log = [];
    const gates = {};
    const q = new RunQueue(
      'queue',
      {
        run: async (r) => {
          log.push(`start ${r}`);
          gates[r] = deferred();
          await gates[r].promise;
        },
        failed: () => assert.fail('no run fails'),
        dropped: (r, why) => log.push(`dropped ${r} ${why}`),
      },
      (key) => `training of '${key}'`,
    );
    q.submit('a1', 'a');
    q.submit('b1', 'b');
    q.submit('c1', 'c');
    q.submit('b2', 'b'); // replaces b1 and keeps its place before c
    assert.ok(q.has('a') && q.has('b') && q.has('c') && !q.has('d'));
    for (const r of ['a1', 'b2', 'c1']) {
      await new Promise((res) => setImmediate(res));
      gates[r].resolve();
    }
    await new Promise((res) => setImmediate(res));
    assert.deepStrictEqual(log, ['start a1', 'dropped b1 replaced', 'start b2', 'start c1']);
    assert.strictEqual(q.busy, false);
  });
  it('with keys and reject: refuses only a key already running or pending; clear(key) drops only its own', function () {
    const dropped = [];
    const q = new RunQueue(
      'reject',
      { run: () => new Promise(() => undefined), failed: () => undefined, dropped: (r) => dropped.push(r) },
      (key) => `training of '${key}'`,
    );
    q.submit('a1', 'a');
    q.submit('b1', 'b');
    assert.throws(
      () => q.submit('a2', 'a'),
      (e) => e.code === 'BUSY' && /training of 'a' is already running/.test(e.message),
    );
    assert.throws(
      () => q.submit('b2', 'b'),
      (e) => e.code === 'BUSY',
    );
    q.submit('c1', 'c');
    q.clear('b');
    assert.deepStrictEqual(dropped, ['b1']);
    assert.ok(q.has('c') && !q.has('b'));
  });
});
