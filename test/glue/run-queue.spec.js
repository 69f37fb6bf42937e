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
});
