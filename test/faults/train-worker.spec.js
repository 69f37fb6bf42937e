'use strict';
// Faults inside lstm-train's training worker, provoked for real through the
// Node-RED runtime: the next Worker the runner constructs runs a fault script
// (worker_threads.Worker is replaced by a subclass that swaps the script, as
// test/nodes/lstm-train-predict.spec.js counts threads): an exception, an
// out-of-memory under the node's memory limit (Worker resourceLimits) and a
// worker that spins past the node's timeout. Each must give done(err), a red
// status, leave no thread behind, and the node must train again afterwards.
const assert = require('assert');
const wt = require('worker_threads');
const { helper, startRuntime, stopRuntime, nextMessage, lastStatus } = require('../helpers/runtime');
const { co2Dataset } = require('../helpers/co2-fixture');

const modules = [require('../../nodes/lstm-train.js')];
const small = { units: 4, epochs: 2, patience: 2, batchSize: 32, seed: 7 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const callsOf = (node, method) => node[method].getCalls().filter((c) => c.thisValue === node);
const errorsOf = (node) => callsOf(node, 'error').map((c) => String(c.args[0]));

function dataset(limit = 120) {
  const d = co2Dataset(24, 6, limit);
  return { type: 'dataset', count: d.inputs.length, timestamps: [], ...d };
}

const FAULTS = {
  throws: "throw new Error('injected exception in the training worker');",
  // Bounded, so that without a memory limit it cannot take the machine down: it reports instead.
  allocates: [
    "const { parentPort } = require('worker_threads');",
    'const keep = [];',
    'for (let i = 0; i < 60; i++) keep.push(new Array(1e6).fill(i + 0.5));',
    "parentPort.postMessage({ type: 'error', code: 'TRAINING_FAILED', message: 'allocated 480 MB, no limit hit' });",
  ].join('\n'),
  spins: 'for (;;) {}',
};

/**
 * Counts live Worker threads, and makes the next `fault` construction run a fault script instead.
 */
function workers() {
  const Original = wt.Worker;
  const c = {
    live: 0,
    started: 0,
    options: [],
    fault: undefined,
    restore: () => (wt.Worker = Original),
  };
  wt.Worker = class extends Original {
    constructor(file, options = {}) {
      const fault = c.fault;
      c.fault = undefined;
      c.options.push(options);
      if (fault) super(FAULTS[fault], { ...options, eval: true });
      else super(file, options);
      c.live++;
      c.started++;
      this.once('exit', () => c.live--);
    }
  };
  return c;
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

let run = 0;
beforeEach(function () {
  run++;
});
const id = (x) => `${x}${run}`;

function flow(train = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'worker faults' },
    { id: id('t'), type: 'lstm-train', z: 'f1', model: 'co2', ...small, ...train, wires: [['report'], []] },
    { id: 'report', type: 'helper', z: 'f1' },
  ];
}

describe('faults: the training worker', function () {
  this.timeout(120000);
  let threads;
  beforeEach(function () {
    threads = workers();
  });
  afterEach(async function () {
    await stopRuntime().catch(() => undefined);
    threads.restore();
  });

  /** Runs one faulty training, checks done(err) and a red status, then a good run and no thread left. */
  async function faultThenTrain(fault, train, expected) {
    await startRuntime(modules, flow(train));
    const t = helper.getNode(id('t'));
    threads.fault = fault;
    const t0 = Date.now();
    t.receive({ payload: dataset() });
    await until(() => errorsOf(t).length, 30000, `done(err) after the ${fault} fault`);
    const ms = Date.now() - t0;
    const err = errorsOf(t)[0];
    assert.match(err, expected);
    const st = lastStatus(t);
    assert.strictEqual(st.fill, 'red', JSON.stringify(st));
    await until(() => threads.live === 0, 5000, `no thread left (${threads.live} live)`);
    // The node trains again with the real worker.
    const report = nextMessage(helper.getNode('report'), 60000);
    t.receive({ payload: dataset() });
    assert.strictEqual((await report).model.version, 1);
    assert.strictEqual(lastStatus(t).fill, 'green');
    await until(() => threads.live === 0, 5000, `no thread left after the good run (${threads.live} live)`);
    assert.strictEqual(threads.started, 2);
    return { err, ms };
  }

  it('an exception inside the worker', async function () {
    await faultThenTrain('throws', {}, /training worker failed: injected exception in the training worker/);
  });

  it('an out-of-memory inside the worker under the memory limit (Worker resourceLimits)', async function () {
    const { err } = await faultThenTrain(
      'allocates',
      { memoryLimit: 64 },
      /training worker ran out of memory \(limit 64 MB, memoryLimit setting\)/,
    );
    assert.ok(err.length < 400, err);
    assert.strictEqual(threads.options[0].resourceLimits.maxOldGenerationSizeMb, 64);
    assert.strictEqual(threads.options[1].resourceLimits.maxOldGenerationSizeMb, 64);
  });

  it('a hung worker past the timeout is terminated with a clear error', async function () {
    const { ms } = await faultThenTrain(
      'spins',
      // Long enough for the good run after it (worker start-up and backend included), short for a test.
      { timeout: 0.1 },
      /training stopped after the time limit of 0\.1 min \(6 s, timeout setting\); the stored model is unchanged/,
    );
    assert.ok(ms >= 5900 && ms < 10000, `settled after ${ms} ms`);
  });

  it('the defaults: a 60 minute timeout and a 2048 MB worker heap', async function () {
    await startRuntime(modules, flow());
    const report = nextMessage(helper.getNode('report'), 60000);
    helper.getNode(id('t')).receive({ payload: dataset() });
    await report;
    assert.strictEqual(threads.options[0].resourceLimits.maxOldGenerationSizeMb, 2048);
  });
});
