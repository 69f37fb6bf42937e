'use strict';
// Redis faults under the pack's nodes in the real Node-RED runtime: the pack's
// Redis store (commandTimeout 500 ms) on a real redis-server that is paused
// (SIGSTOP: sockets open, nobody answers), killed and restarted on the same port
// during predict traffic, readings, training and the model write. Nothing may
// wait past the command timeout (plus scheduling slack), statuses say what is
// wrong, everything works again once Redis is back, and no stored model is lost
// (the server keeps an fsynced append-only file, so a killed Redis comes back
// with every acknowledged write). Every test resumes/restarts Redis in finally.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { helper, startRuntime, stopRuntime, lastStatus } = require('../helpers/runtime');
const { startPersistentRedis } = require('./fixtures/redis-aof');
const { validateArtifact } = require('../../nodes/core/model/artifact');

const redisStore = require('../../nodes/context/redis-store.js');
const nodes = ['sequence-windower', 'lstm-train', 'lstm-predict'].map((n) => require(`../../nodes/${n}.js`));

const Z = 'redisfaults';
const TIMEOUT_MS = 500;
/** Slack for two busy cores: a call settles at most this long after the command timeout. */
const SLACK_MS = 1000;
const T0 = Date.UTC(2024, 0, 1);
const SMALL = { units: 4, epochs: 3, patience: 3, batchSize: 16, seed: 7, validationFraction: 0.25 };
const LONGER = { ...SMALL, epochs: 40, patience: 40, units: 16 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const value = (i) => 10 + 5 * Math.sin(i / 3) + 0.1 * i;

/**
 * Sends msg to node `id` and resolves, once the node answered on helper `out` or
 * reported done(err), with {ms, msg} or {ms, err}. With `statusOk`, a status that
 * is not red also counts as an answer (a windower still filling its window sends nothing). With
 * `messageOnly`, errors are collected in `errors` and only a message answers (lstm-train reports a
 * model it could not store yet at once, and sends the report when it is stored).
 */
function settle(id, out, msg, timeoutMs = 10000, statusOk = false, messageOnly = false) {
  const errors = [];
  const node = helper.getNode(id);
  const outNode = helper.getNode(out);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const finish = (r) => {
      clearTimeout(t);
      node.removeListener('call:error', onError);
      outNode.removeListener('input', onMsg);
      node.removeListener('call:status', onStatus);
      resolve({ ms: Date.now() - started, errors, ...r });
    };
    const onError = (call) => (messageOnly ? errors.push(call.args[0]) : finish({ err: call.args[0] }));
    const onMsg = (m) => finish({ msg: m });
    const onStatus = (call) => {
      if (statusOk && call.thisValue === node && call.args[0] && call.args[0].fill !== 'red') finish({});
    };
    const t = setTimeout(
      () => reject(new Error(`${id} neither answered nor failed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    node.on('call:error', onError);
    outNode.on('input', onMsg);
    node.on('call:status', onStatus);
    node.receive(msg);
  });
}

const errorText = (err) => String(err && err.message ? err.message : err);

/** The model as stored in Redis, read through the runtime's context (store 'redis'). */
function storedModel() {
  return new Promise((resolve, reject) =>
    helper
      .getNode('p')
      .context()
      .flow.get('m', 'redis', (err, v) => (err ? reject(err) : resolve(v))),
  );
}

/** Retries fn until it resolves, for at most ms (ioredis reconnects with a backoff). */
async function eventually(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await sleep(200);
    }
  }
}

describe('faults: Redis paused, killed and restarted under the nodes (Redis store, commandTimeout 500 ms)', function () {
  this.timeout(90000);
  let dir;
  let redis;
  let next = 0; // the next reading's index
  let window; // a fixed window for forecast comparisons
  let current; // {version, id, forecast} of the stored model

  const flow = () => [
    { id: Z, type: 'tab', label: 'redis faults' },
    {
      id: 'w',
      type: 'sequence-windower',
      z: Z,
      mode: 'stream',
      window: 8,
      horizon: 2,
      persist: true,
      store: 'redis',
      wires: [['win'], ['t', 'tl']],
    },
    { id: 't', type: 'lstm-train', z: Z, model: 'm', store: 'redis', ...SMALL, wires: [['report'], ['progress']] },
    { id: 'tl', type: 'lstm-train', z: Z, model: 'm', store: 'redis', ...LONGER, wires: [['report'], ['progress']] },
    { id: 'p', type: 'lstm-predict', z: Z, model: 'm', store: 'redis', wires: [['fc']] },
    ...['win', 'fc', 'report', 'progress'].map((id) => ({ id, type: 'helper', z: Z })),
  ];

  /** n more readings through the windower (Redis up): each must come out as a window. */
  async function readings(n) {
    for (let k = 0; k < n; k++, next++) {
      const r = await settle(
        'w',
        'win',
        { topic: 's', payload: value(next), timestamp: T0 + next * 1000 },
        10000,
        true,
      );
      if (r.err) throw r.err;
    }
  }

  async function forecast() {
    const r = await settle('p', 'fc', { payload: window });
    if (r.err) throw r.err;
    return r.msg.payload;
  }

  /** Trains node `id` on its collected windows; resolves with the report message. */
  async function train(id) {
    const r = await settle(id, 'report', { train: true }, 60000);
    if (r.err) throw r.err;
    return r.msg;
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-redis-faults-'));
    redis = await startPersistentRedis(dir);
    await startRuntime(nodes, flow(), {
      contextStorage: {
        default: { module: 'memory' },
        redis: { module: redisStore, config: { url: redis.url, prefix: 'faults:', commandTimeout: TIMEOUT_MS } },
      },
    });
    for (const id of ['w', 'p', 'fc', 'win']) helper.getNode(id).setMaxListeners(100); // the 20-message burst
    // Windows reach lstm-predict only when a test sends them: train v1 first.
    await readings(40);
    window = (await settle('w', 'win', { topic: 's', payload: value(next), timestamp: T0 + next++ * 1000 })).msg
      .payload;
    const report = await train('t');
    current = { version: report.model.version, id: report.model.id, forecast: (await forecast()).forecast };
  });

  after(async function () {
    if (redis) redis.resume();
    await stopRuntime();
    if (redis) await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Asserts what a call during the fault did: within the bound; an error says Redis; a forecast is the stored model's. */
  function assertBounded(r, what, pattern) {
    assert.ok(r.ms <= TIMEOUT_MS + SLACK_MS, `${what} took ${r.ms} ms (command timeout ${TIMEOUT_MS} ms)`);
    if (r.err) assert.match(errorText(r.err), pattern, `${what}: ${errorText(r.err)}`);
  }

  it('predict traffic with Redis paused (SIGSTOP): each message settles within the timeout; forecasts resume, unchanged', async function () {
    let results;
    try {
      redis.pause();
      const one = [];
      for (let k = 0; k < 3; k++) one.push(await settle('p', 'fc', { payload: window }));
      // 20 at once: each command has its own timeout, none queues behind another.
      const burst = await Promise.all(Array.from({ length: 20 }, () => settle('p', 'fc', { payload: window })));
      results = [...one, ...burst];
    } finally {
      redis.resume();
    }
    for (const r of results) {
      assertBounded(r, 'a forecast', /did not answer within 500 ms|REDIS_TIMEOUT/);
      // A model served from a cache during the pause is fine, but only the stored one.
      if (r.msg) assert.deepStrictEqual(r.msg.payload.forecast, current.forecast);
    }
    if (results.some((r) => r.err)) {
      const st = lastStatus(helper.getNode('p'));
      assert.strictEqual(st.fill, 'red', JSON.stringify(st));
    }
    const after = await eventually(forecast);
    assert.strictEqual(after.version, current.version);
    assert.deepStrictEqual(after.forecast, current.forecast);
    assert.strictEqual(lastStatus(helper.getNode('p')).fill, 'green');
  });

  it('readings with Redis paused (kept buffers in Redis): each fails within the timeout with a red status; works after SIGCONT', async function () {
    const results = [];
    try {
      redis.pause();
      for (let k = 0; k < 3; k++, next++) {
        results.push(await settle('w', 'win', { topic: 's', payload: value(next), timestamp: T0 + next * 1000 }));
      }
    } finally {
      redis.resume();
    }
    for (const r of results) {
      assertBounded(r, 'a reading', /did not answer within 500 ms|REDIS_TIMEOUT/);
      assert.ok(r.err, 'the buffers could not be saved: the message must fail');
    }
    const st = lastStatus(helper.getNode('w'));
    assert.strictEqual(st.fill, 'red', JSON.stringify(st));
    await eventually(() => readings(1));
    assert.strictEqual(lastStatus(helper.getNode('w')).fill, 'green');
  });

  /** Starts a run of node `id`, pauses Redis after its first epoch (the stored model was read); resumes in finally. */
  /** The forecast by model `version` (predict re-reads the store at most every `refresh` ms). */
  async function forecastBy(version) {
    return eventually(async () => {
      const p = await forecast();
      assert.strictEqual(p.version, version);
      return p;
    });
  }

  /** Resolves with the node's first status matching `pred`, and when it came. */
  function statusOf(id, pred, ms) {
    const node = helper.getNode(id);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        node.removeListener('call:status', on);
        reject(new Error(`${id}: no such status within ${ms} ms (last: ${JSON.stringify(lastStatus(node))})`));
      }, ms);
      const on = (call) => {
        if (call.thisValue !== node || !pred(call.args[0] || {})) return;
        clearTimeout(t);
        node.removeListener('call:status', on);
        resolve({ status: call.args[0], at: Date.now() });
      };
      node.on('call:status', on);
    });
  }

  it('Redis paused as a run ends: the write fails within the timeout, the node keeps the model and retries, and stores it once Redis answers', async function () {
    await readings(10);
    const progress = helper.getNode('progress');
    let lastProgressAt = 0;
    const onProgress = () => (lastProgressAt = Date.now());
    progress.on('input', onProgress);
    let r;
    let retrying;
    try {
      const done = settle('tl', 'report', { train: true }, 60000, false, true);
      const end = Date.now() + 30000;
      while (!lastProgressAt && Date.now() < end) await sleep(5);
      assert.ok(lastProgressAt, 'no epoch within 30 s');
      const waiting = statusOf('tl', (st) => /^v\d+ retry in /.test(st.text || ''), 30000);
      redis.pause();
      retrying = await waiting;
      redis.resume();
      r = await done;
    } finally {
      redis.resume();
      progress.removeListener('input', onProgress);
    }
    // The first write met the paused Redis: it failed within the command timeout, and the status said so.
    assert.strictEqual(retrying.status.fill, 'yellow');
    assert.match(retrying.status.text, /^v\d+ retry in 1 s$/);
    assert.ok(
      retrying.at - lastProgressAt <= TIMEOUT_MS + SLACK_MS + 1000,
      `retrying ${retrying.at - lastProgressAt} ms after the last epoch`,
    );
    // Once Redis answered, the model was stored and reported. The timed-out write may have landed when
    // Redis woke up: the retry then finds this run's own model (same id) and counts it as stored.
    assert.ok(r.msg, `the run should end with a report, got ${r.err ? errorText(r.err) : 'nothing'}`);
    // The failed first write was reported at once (Catch-able), naming the store.
    assert.strictEqual(r.errors.length, 1);
    assert.match(errorText(r.errors[0]), /STORE_UNAVAILABLE|context store 'redis'.*kept and retried/);
    assert.strictEqual(r.msg.model.version, current.version + 1);
    const stored = validateArtifact(await storedModel());
    assert.strictEqual(stored.id, r.msg.model.id);
    assert.strictEqual(stored.version, r.msg.model.version);
    const p = await forecastBy(stored.version);
    current = { version: stored.version, id: stored.id, forecast: p.forecast };
  });

  it('Redis killed (SIGKILL) and restarted on the same port: calls fail fast, a run keeps its model until Redis is back, nothing is lost', async function () {
    let during;
    let trainDuring;
    let retrying;
    try {
      await redis.kill();
      during = [];
      for (let k = 0; k < 3; k++) during.push(await settle('p', 'fc', { payload: window }));
      during.push(await settle('w', 'win', { topic: 's', payload: value(next), timestamp: T0 + next++ * 1000 }));
      // A fresh run cannot read the stored model: it trains anyway and keeps its model until it can store it.
      retrying = statusOf('t', (st) => / retry in /.test(st.text || ''), 45000);
      trainDuring = settle('t', 'report', { train: true }, 60000, false, true);
      await retrying;
    } finally {
      await redis.restart();
    }
    for (const r of during) {
      assertBounded(r, 'a call with Redis down', /cannot reach|REDIS_UNAVAILABLE|did not answer|REDIS_TIMEOUT/);
      if (r.msg) assert.deepStrictEqual(r.msg.payload.forecast, current.forecast);
    }
    assert.ok(
      during.slice(3).every((r) => r.err),
      'the reading could not be saved: it must fail',
    );
    assert.strictEqual(lastStatus(helper.getNode('w')).fill, 'red');
    assert.strictEqual((await retrying).status.fill, 'yellow');

    // Back: the run stored its model as the next version after the one stored before the kill (it read
    // the stored version again before writing), and every node works again.
    const r = await trainDuring;
    assert.ok(r.msg, `the run should end with a report, got ${r.err ? errorText(r.err) : 'nothing'}`);
    assert.strictEqual(r.msg.model.version, current.version + 1);
    const stored = validateArtifact(await storedModel());
    assert.strictEqual(stored.id, r.msg.model.id);
    const p = await forecastBy(stored.version);
    current = { version: stored.version, id: stored.id, forecast: p.forecast };
    await eventually(() => readings(1));
    await readings(9);
    const report = await train('t');
    assert.strictEqual(report.model.version, current.version + 1);
  });
});
