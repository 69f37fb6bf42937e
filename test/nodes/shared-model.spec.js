'use strict';
// Several Node-RED instances share one model through the Redis context store:
// this runtime trains into store 'redis'; a second Node-RED, in its own process,
// forecasts with it, and picks up the new version when this one retrains.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { helper, startRuntime, stopRuntime, nextMessage } = require('../helpers/runtime');
const { startRedisServer } = require('../context/fixtures/redis-server');
const { co2Series } = require('../helpers/co2-fixture');

const nodes = ['sequence-windower', 'lstm-train', 'lstm-predict'].map((n) => require(`../../nodes/${n}.js`));
const redisStore = require('../../nodes/context/redis-store.js');

describe('a model shared by two Node-RED instances (Redis context store)', function () {
  this.timeout(180000);
  let redis;
  before(async function () {
    redis = await startRedisServer();
  });
  after(async function () {
    await stopRuntime().catch(() => undefined);
    if (redis) await redis.stop();
  });

  it('trains here, forecasts there with identical numbers, and the other instance follows a retrain', async function () {
    const z = 'sharedtab';
    const prefix = `shared-${process.pid}:`;
    await startRuntime(
      nodes,
      [
        { id: z, type: 'tab', label: 'shared' },
        {
          id: 'w',
          type: 'sequence-windower',
          z,
          mode: 'batch',
          window: 24,
          horizon: 6,
          stride: 3,
          features: 'co2',
          target: 'co2',
          timeField: 'date',
          wires: [['p'], ['t']],
        },
        {
          id: 't',
          type: 'lstm-train',
          z,
          model: 'shared',
          scope: 'flow',
          store: 'redis',
          units: 4,
          epochs: 2,
          patience: 2,
          batchSize: 32,
          season: 12,
          wires: [['rep'], []],
        },
        { id: 'rep', type: 'helper', z },
        { id: 'p', type: 'lstm-predict', z, model: 'shared', scope: 'flow', store: 'redis', wires: [['fc']] },
        { id: 'fc', type: 'helper', z },
      ],
      {
        contextStorage: {
          default: { module: 'memory' },
          redis: { module: redisStore, config: { url: redis.url, prefix } },
        },
      },
    );
    const rows = co2Series().slice(0, 240);
    let report = nextMessage(helper.getNode('rep'), 120000);
    helper.getNode('w').receive({ payload: rows });
    assert.strictEqual((await report).model.version, 1);

    // Our own forecast of the newest window, with the model read back from Redis.
    const mine = nextMessage(helper.getNode('fc'));
    helper.getNode('w').receive({ payload: rows.slice(-24) }); // 24 rows: no dataset, only the latest window
    const ours = (await mine).payload;
    assert.strictEqual(ours.version, 1);

    const window = {
      type: 'window',
      series: '',
      features: ['co2'],
      target: 'co2',
      window: 24,
      horizon: 6,
      step: 0,
      inputs: rows.slice(-24).map((r) => [r.co2]),
      timestamps: rows.slice(-24).map((r) => Date.parse(r.date)),
    };
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'predict-instance.js')], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: prefix, FLOW_ID: z, WINDOW: JSON.stringify(window) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results = [];
    let out = '';
    let errOut = '';
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stderr.on('data', (d) => (errOut += d));
    const firstResult = new Promise((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        for (const line of out.split('\n').filter((l) => l.startsWith('RESULT ')))
          if (!results.includes(line)) results.push(line);
        if (results.length >= 1) resolve();
      });
    });
    await Promise.race([
      firstResult,
      exited.then((code) => {
        throw new Error(`second instance exited ${code}: ${errOut}`);
      }),
    ]);
    const theirs = JSON.parse(results[0].slice(7));
    assert.strictEqual(theirs.version, 1);
    assert.strictEqual(theirs.forecast.length, 6);
    theirs.forecast.forEach((v, h) =>
      assert.ok(Math.abs(v - ours.forecast[h]) < 1e-4, `step ${h}: ${v} vs ${ours.forecast[h]}`),
    );

    // Retrain here: the other instance notices the new artifact and forecasts with version 2.
    report = nextMessage(helper.getNode('rep'), 120000);
    helper.getNode('w').receive({ payload: rows });
    assert.strictEqual((await report).model.version, 2);
    const code = await exited;
    assert.strictEqual(code, 0, `second instance failed: ${errOut}`);
    assert.strictEqual(results.length, 2, out);
    assert.strictEqual(JSON.parse(results[1].slice(7)).version, 2);
  });
});
