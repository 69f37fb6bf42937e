'use strict';
// Defect 4 of issue 10 across processes: two real Node-RED instances (child
// processes) on one real redis-server train the same model name at the same
// time, round after round. The stored versions strictly increase, no write
// replaces a newer model, and the loser of each race is told clearly (CONFLICT
// naming both versions, its trained model in msg.artifact of the error message).
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { startRedisServer } = require('../context/fixtures/redis-server');
const redisStore = require('../../nodes/context/redis-store.js');

const ROUNDS = 2;
const FLOW = 'race-flow';

/** A Node-RED instance in its own process, steered line by line (see fixtures/train-instance.js). */
function instance(redis, prefix, seed) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'train-instance.js')], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: prefix, FLOW_ID: FLOW, SEED: String(seed) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = [];
  const waiters = [];
  let buf = '';
  let errOut = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.on('data', (d) => (errOut = (errOut + d).slice(-4000)));
  child.stdout.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop();
    for (const l of parts) lines.push(l);
    waiters.splice(0).forEach((w) => w());
  });
  /** The next line starting with `prefix` (lines are consumed in order), within `ms`. */
  async function next(prefix, ms) {
    const end = Date.now() + ms;
    for (;;) {
      const i = lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0)
        return lines
          .splice(0, i + 1)
          .pop()
          .slice(prefix.length);
      if (child.exitCode !== null) throw new Error(`instance ${seed} exited ${child.exitCode}: ${errOut}`);
      if (Date.now() > end) throw new Error(`instance ${seed}: no ${prefix.trim()} within ${ms} ms: ${errOut}`);
      await new Promise((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  return {
    child,
    send: (line) => child.stdin.write(`${line}\n`),
    next,
    exited,
    stderr: () => errOut,
  };
}

function storedModel(store) {
  return new Promise((resolve, reject) => store.get(FLOW, 'co2', (err, v) => (err ? reject(err) : resolve(v))));
}

describe('faults: two Node-RED processes train one model name on one redis-server', function () {
  this.timeout(240000);
  let redis;
  let store;
  const instances = [];
  before(async function () {
    redis = await startRedisServer();
  });
  after(async function () {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
    if (store) await store.close();
    if (redis) await redis.stop();
  });

  it('every round: one stores the next version, the other gets CONFLICT; versions strictly increase', async function () {
    const prefix = `race${process.pid}:`;
    store = redisStore({ url: redis.url, prefix });
    await store.open();
    instances.push(instance(redis, prefix, 7), instance(redis, prefix, 8));
    await Promise.all(instances.map((i) => i.next('READY', 60000)));

    const history = [];
    let previous = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // Both at once: each reads the stored version at the start of its run and trains the next one.
      instances.forEach((i) => i.send(`GO ${round}`));
      const results = await Promise.all(instances.map(async (i) => JSON.parse(await i.next('RESULT ', 120000))));
      const reports = results.filter((r) => r.report);
      const errors = results.filter((r) => r.error);
      assert.strictEqual(reports.length + errors.length, 2, JSON.stringify(results));
      assert.ok(reports.length >= 1, `round ${round}: someone stored a model: ${JSON.stringify(results)}`);
      const versions = reports.map((r) => r.report.version).sort((a, b) => a - b);
      assert.ok(versions[0] > previous, `round ${round}: versions ${versions} after ${previous}`);
      if (versions.length === 2) assert.ok(versions[1] > versions[0], `two equal versions stored: ${versions}`);
      for (const e of errors) {
        // The loser is told which versions met, and keeps its model for the flow.
        assert.match(e.error, /CONFLICT: model 'co2' not stored/);
        assert.match(e.error, /version \d+/);
        assert.ok(e.artifact && e.artifact.version <= versions[versions.length - 1], JSON.stringify(e));
        assert.ok(!reports.some((r) => r.report.id === e.artifact.id), 'a refused model was not stored');
      }
      // The store holds the newest reported model: no write replaced it, newer or not.
      const stored = await storedModel(store);
      const newest = reports.find((r) => r.report.version === versions[versions.length - 1]).report;
      assert.strictEqual(stored.version, newest.version);
      assert.strictEqual(stored.id, newest.id);
      previous = newest.version;
      history.push({ round, versions, conflicts: errors.length });
    }
    // Both started together each round, each training for seconds: the runs overlapped, and the race was real.
    assert.ok(
      history.some((h) => h.conflicts > 0),
      `no round had a conflict: ${JSON.stringify(history)}`,
    );
    instances.forEach((i) => i.send('END'));
    const codes = await Promise.all(instances.map((i) => i.exited));
    assert.deepStrictEqual(codes, [0, 0], instances.map((i) => i.stderr()).join('\n'));
  });
});
