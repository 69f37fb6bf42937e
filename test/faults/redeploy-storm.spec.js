'use strict';
// Redeploy storm: 50 full deploys while a small training runs and forecasts flow.
// No orphan training threads, tensor count flat, heap roughly flat, and every
// deploy (the close handlers of the old nodes, then the new start) well inside 15 s.
const assert = require('assert');
const { helper, startRuntime, stopRuntime, nextMessage } = require('../helpers/runtime');
const { tf } = require('../../nodes/core/base/backend');
const { co2Series } = require('../helpers/co2-fixture');
const { tinyArtifact, renamed, windowMessage } = require('./predict-fixtures');

const nodes = ['sequence-windower', 'lstm-train', 'lstm-predict'].map((n) => require(`../../nodes/${n}.js`));
const DEPLOYS = 50;

const flow = [
  { id: 'tab', type: 'tab', label: 'storm' },
  {
    id: 'w',
    type: 'sequence-windower',
    mode: 'batch',
    window: 12,
    horizon: 3,
    features: 'co2',
    target: 'co2',
    timeField: 'date',
    wires: [[], ['t']],
  },
  { id: 't', type: 'lstm-train', model: 'stormtrain', units: 4, epochs: 500, patience: 500, wires: [['rep'], []] },
  { id: 'rep', type: 'helper' },
  { id: 'p', type: 'lstm-predict', model: 'tiny', wires: [['out']] },
  { id: 'out', type: 'helper' },
].map((n) => (n.type === 'tab' ? n : { z: 'tab', ...n }));

/** Counts live training threads (the runner constructs worker_threads.Worker at call time). */
function countThreads() {
  const wt = require('worker_threads');
  const Original = wt.Worker;
  const c = { live: 0, started: 0, restore: () => (wt.Worker = Original) };
  wt.Worker = class extends Original {
    constructor(...args) {
      super(...args);
      c.live++;
      c.started++;
      this.once('exit', () => c.live--);
    }
  };
  return c;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, ms) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(20);
  return check();
}
const heap = () => {
  if (global.gc) global.gc();
  return process.memoryUsage().heapUsed;
};

describe('faults: redeploy storm', function () {
  this.timeout(240000);
  let threads;
  before(async function () {
    const artifact = await tinyArtifact();
    threads = countThreads();
    await startRuntime(nodes, flow);
    await new Promise((resolve, reject) =>
      helper
        .getNode('p')
        .context()
        .flow.set('tiny', renamed(artifact, 'tiny'), (e) => (e ? reject(e) : resolve())),
    );
  });
  after(async function () {
    threads.restore();
    await stopRuntime();
  });

  async function forecasts(n) {
    for (let i = 0; i < n; i++) {
      const m = nextMessage(helper.getNode('out'));
      helper.getNode('p').receive({ payload: windowMessage(i) });
      assert.strictEqual((await m).payload.forecast.length, 3);
    }
  }

  it(`${DEPLOYS} full deploys during training and forecasts: no orphan thread, tensors and heap flat`, async function () {
    const rows = co2Series().slice(0, 120);
    await forecasts(3);
    const tensors = tf().memory().numTensors;
    const heapBefore = heap();
    const deployMs = [];
    let caught = 0;
    for (let d = 0; d < DEPLOYS; d++) {
      helper.getNode('w').receive({ payload: rows });
      await forecasts(2);
      // Deploy while the training thread runs (most iterations), or before it started (the rest).
      if (d % 5 !== 4) await until(() => threads.live > 0, 3000);
      if (threads.live > 0) caught++;
      const started = Date.now();
      await helper.setFlows(flow, 'full');
      deployMs.push(Date.now() - started);
      await forecasts(1);
    }
    const orphans = (await until(() => threads.live === 0, 10000)) ? 0 : threads.live;
    await forecasts(3);
    const heapGrowth = (heap() - heapBefore) / 1e6;
    const slowest = Math.max(...deployMs);
    console.log(
      `      ${DEPLOYS} deploys (${caught} during training, ${threads.started} threads started): slowest ${slowest} ms, ` +
        `heap ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)} MB${global.gc ? ' after GC' : ' (no --expose-gc)'}, ` +
        `tensors ${tensors} -> ${tf().memory().numTensors}`,
    );
    assert.ok(caught >= DEPLOYS / 2, `${caught} deploys landed during training`);
    assert.strictEqual(orphans, 0, `${threads.live} training threads outlived the deploys`);
    assert.ok(slowest < 10000, `a deploy took ${slowest} ms (close handlers must finish well inside 15 s)`);
    assert.ok(tf().memory().numTensors <= tensors, `tensors ${tensors} -> ${tf().memory().numTensors}`);
    assert.ok(heapGrowth < (global.gc ? 50 : 150), `heap grew ${heapGrowth.toFixed(1)} MB`);
  });
});
