'use strict';
// lstm-train's run state machine without a Node-RED runtime: fake store, fake
// worker jobs, and every transition checked by its state and its calls.
const assert = require('assert');
const { TrainRun, storeRetryWait } = require('../../nodes/glue/train-run');
const { ForecastError } = require('../../nodes/core/base/errors');
const { initBackend } = require('../../nodes/core/base/backend');
const { trainForecaster } = require('../../nodes/core/train/trainer');
const { co2Dataset } = require('../helpers/co2-fixture');
const catalogue = require('../../nodes/locales/en-US/lstm-train.json')['lstm-train'].status;

/** A simple translator over the node's real catalogue (the node passes RED._). */
const say = (id, values = {}) => {
  assert.ok(typeof catalogue[id] === 'string', `no status '${id}' in lstm-train.json`);
  return catalogue[id].replace(/__(\w+)__/g, (_m, k) => String(values[k]));
};

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));
const cancelled = () => new ForecastError('CANCELLED', 'training cancelled');

/** A worker job that settles when the test says so. */
function fakeJob() {
  const d = deferred();
  const job = {
    promise: d.promise,
    cancels: 0,
    listeners: [],
    cancel() {
      this.cancels++;
    },
    onProgress(cb) {
      this.listeners.push(cb);
    },
  };
  return { job, resolve: d.resolve, reject: d.reject, progress: (p) => job.listeners.forEach((cb) => cb(p)) };
}

const RESULT = {
  artifact: { version: 1, id: 'id-1' },
  report: { validation: { model: { mase: 0.5 }, lastValue: { mase: 1.25 } }, backend: 'wasm' },
};

/** The calls of every run a test set up: each status text is checked against the convention after it. */
let runs = [];

/** A TrainRun whose ports record every call; `read` and `jobs` are the test's to settle. */
function setup({ incremental = false, closeWaitMs, storeRetry, reads, writes } = {}) {
  const calls = { statuses: [], logs: [], warns: [], errors: [], writes: [], trains: [], reads: 0 };
  runs.push(calls);
  const jobs = [];
  const t = { calls, jobs, read: deferred(), texts: () => calls.statuses.map((s) => s.text) };
  t.run = new TrainRun(
    {
      name: 'm',
      location: "flow context (store 'default')",
      settings: { model: { type: 'lstm', units: 4 }, options: { epochs: 5 }, incremental },
      closeWaitMs,
      storeRetry,
    },
    {
      // `reads` / `writes`: per-call outcomes after the first read (functions returning a promise).
      read: () => {
        calls.reads++;
        if (reads && calls.reads > 1 && reads.length) return reads.shift()();
        return t.read.promise;
      },
      write: async (artifact) => {
        if (writes && writes.length) await writes.shift()();
        calls.writes.push(artifact);
      },
      train: (request) => {
        calls.trains.push(request);
        const j = fakeJob();
        jobs.push(j);
        return j.job;
      },
      status: (s) => calls.statuses.push(s),
      say,
      log: (text) => calls.logs.push(text),
      warn: (text) => calls.warns.push(text),
      error: (text) => calls.errors.push(text),
    },
  );
  return t;
}

function request(tag = 'a', windows = 3) {
  const req = { data: { inputs: Array.from({ length: windows }, () => [[1]]) }, msg: { tag }, sent: [], dones: [] };
  req.send = (m) => req.sent.push(m);
  req.done = (err) => req.dones.push(err);
  return req;
}

/** Starts a run and waits until its worker job exists (state training). */
async function training(t, req = request(), stored = undefined) {
  const running = t.run.start(req);
  t.read.resolve(stored);
  await tick();
  assert.strictEqual(t.run.stateName, 'training');
  return { running, req, job: t.jobs[t.jobs.length - 1] };
}

describe('glue: lstm-train run state machine', function () {
  afterEach(function () {
    const texts = runs.flatMap((c) => c.statuses.map((s) => s.text));
    runs = [];
    const long = texts.filter((x) => typeof x !== 'string' || x.length > 20);
    assert.deepStrictEqual(long, [], 'every status text is a string of at most 20 characters');
  });
  describe('idle', function () {
    it('starts idle; the backend ready status shows only before the first message', function () {
      const t = setup();
      assert.strictEqual(t.run.stateName, 'idle');
      t.run.ready('wasm');
      assert.deepStrictEqual(t.calls.statuses, [{ fill: 'grey', shape: 'ring', text: 'ready (wasm)' }]);
      const late = setup();
      late.run.touch();
      late.run.ready('cpu');
      assert.deepStrictEqual(late.calls.statuses, []);
      assert.strictEqual(late.run.stateName, 'idle');
    });

    it('stop: nothing to stop, still idle', function () {
      const t = setup();
      t.run.stop();
      assert.deepStrictEqual(t.calls.statuses, [{ fill: 'grey', shape: 'ring', text: 'nothing to stop' }]);
      assert.strictEqual(t.run.stateName, 'idle');
      assert.strictEqual(t.calls.reads, 0);
    });

    it('start: reading the stored model, no worker yet', function () {
      const t = setup();
      void t.run.start(request());
      assert.strictEqual(t.run.stateName, 'reading');
      assert.strictEqual(t.calls.reads, 1);
      assert.strictEqual(t.calls.trains.length, 0);
      assert.deepStrictEqual(t.calls.statuses, []);
    });

    it('close: closed at once, and a later start or stop does nothing', async function () {
      const t = setup();
      let closes = 0;
      t.run.close(() => closes++);
      assert.strictEqual(closes, 1, 'close done called synchronously');
      assert.strictEqual(t.run.stateName, 'closed');
      t.run.stop();
      const req = request();
      await t.run.start(req);
      assert.deepStrictEqual(req.dones, [undefined]);
      assert.strictEqual(t.calls.reads, 0);
      assert.strictEqual(t.calls.trains.length, 0);
      assert.deepStrictEqual(t.calls.statuses, []);
      assert.strictEqual(t.run.stateName, 'closed');
    });
  });

  describe('reading', function () {
    it('store read: training, with a status and the worker started on version 1', async function () {
      const t = setup();
      t.run.ready('wasm');
      await training(t);
      assert.deepStrictEqual(t.texts(), ['ready (wasm)', 'train 3 windows']);
      assert.deepStrictEqual(t.calls.logs, ["training 'm' v1 (lstm) on 3 windows (backend wasm)"]);
      assert.strictEqual(t.calls.statuses[1].fill, 'blue');
      assert.strictEqual(t.calls.trains.length, 1);
      const r = t.calls.trains[0];
      assert.deepStrictEqual(r.model, { type: 'lstm', units: 4 });
      // The run's model name goes into the artifact (per topic it differs from the node's setting).
      assert.deepStrictEqual(r.options, { epochs: 5, version: 1, name: 'm' });
      assert.strictEqual(r.previous, undefined);
      assert.strictEqual(r.data.inputs.length, 3);
    });

    it("store read before the backend is up: the log says 'starting'", async function () {
      const t = setup();
      await training(t);
      assert.deepStrictEqual(t.texts(), ['train 3 windows']);
      assert.match(t.calls.logs[0], /\(backend starting\)$/);
    });

    it('stop: cancelled before it started, no worker, back to idle; the next run is not affected', async function () {
      const t = setup();
      const req = request();
      const running = t.run.start(req);
      t.run.stop();
      t.run.stop();
      assert.strictEqual(t.run.stateName, 'reading');
      t.read.resolve(undefined);
      await running;
      assert.strictEqual(t.run.stateName, 'idle');
      assert.deepStrictEqual(t.calls.statuses, [{ fill: 'yellow', shape: 'ring', text: 'cancelled at start' }]);
      assert.deepStrictEqual(req.dones, [undefined]);
      assert.strictEqual(t.calls.trains.length, 0);
      assert.deepStrictEqual(req.sent, []);
      // The stop belonged to that run only.
      void t.run.start(request('b'));
      await tick();
      assert.strictEqual(t.run.stateName, 'training');
      assert.strictEqual(t.calls.trains.length, 1);
    });

    it('close: closed at once; the read ends the run without a worker or a status', async function () {
      const t = setup();
      const req = request();
      const running = t.run.start(req);
      let closes = 0;
      t.run.close(() => closes++);
      assert.strictEqual(closes, 1);
      assert.strictEqual(t.run.stateName, 'closed');
      t.read.resolve(undefined);
      await running;
      assert.strictEqual(t.run.stateName, 'closed');
      assert.strictEqual(t.calls.trains.length, 0);
      assert.deepStrictEqual(t.calls.statuses, []);
      assert.deepStrictEqual(req.dones, [undefined]);
    });

    it('stop then close: closed wins, no status', async function () {
      const t = setup();
      const running = t.run.start(request());
      t.run.stop();
      t.run.close(() => undefined);
      t.read.resolve(undefined);
      await running;
      assert.strictEqual(t.run.stateName, 'closed');
      assert.deepStrictEqual(t.calls.statuses, []);
      assert.strictEqual(t.calls.trains.length, 0);
    });

    it('a failed read rejects an incremental run and returns to idle; a stop during it does not stick', async function () {
      const t = setup({ incremental: true });
      const req = request();
      const running = t.run.start(req);
      t.run.stop();
      t.read.reject(new Error('store down'));
      await assert.rejects(running, /store down/);
      assert.strictEqual(t.run.stateName, 'idle');
      assert.deepStrictEqual(req.dones, [], "done is the queue's failure hook's to call");
      assert.deepStrictEqual(t.calls.statuses, []);
      t.read = deferred();
      await training(t);
      assert.strictEqual(t.calls.trains.length, 1);
    });

    it('a second start while a run is going is refused (the queue never does that)', async function () {
      const t = setup();
      void t.run.start(request());
      await assert.rejects(t.run.start(request('b')), /a run started while another was reading/);
      assert.strictEqual(t.run.stateName, 'reading');
      assert.strictEqual(t.calls.reads, 1);
    });

    it('an invalid stored model: a warning, and training starts over at version 1', async function () {
      const t = setup({ incremental: true });
      await training(t, request(), { format: 'something else' });
      assert.deepStrictEqual(t.calls.warns, ["the stored model 'm' is not a valid artifact; it will be replaced"]);
      assert.strictEqual(t.calls.trains[0].options.version, 1);
      assert.strictEqual(t.calls.trains[0].previous, undefined);
    });

    describe('a valid stored model', function () {
      this.timeout(120000);
      let stored;
      before(async () => {
        await initBackend();
        const data = co2Dataset(12, 3, 60);
        ({ artifact: stored } = await trainForecaster(
          data,
          { units: 4, seed: 1 },
          { epochs: 1, name: 'm', version: 4 },
        ));
        assert.strictEqual(stored.version, 4);
      });

      it('the next version; the stored weights are kept only when incremental', async function () {
        const fresh = setup({ incremental: false });
        await training(fresh, request(), stored);
        assert.strictEqual(fresh.calls.trains[0].options.version, 5);
        assert.strictEqual(fresh.calls.trains[0].previous, undefined);
        const more = setup({ incremental: true });
        await training(more, request(), stored);
        assert.strictEqual(more.calls.trains[0].options.version, 5);
        assert.strictEqual(more.calls.trains[0].previous, stored);
        assert.deepStrictEqual([...fresh.calls.warns, ...more.calls.warns], []);
      });
    });
  });

  describe('training', function () {
    it('progress: an epoch status and one message per loss line on output 2 (msg.topic names the line)', async function () {
      const t = setup();
      t.run.ready('wasm');
      const { req, job } = await training(t);
      job.progress({ epoch: 2, epochs: 5, loss: 0.25, valLoss: 0.001 });
      assert.deepStrictEqual(t.calls.statuses.at(-1), {
        fill: 'blue',
        shape: 'dot',
        text: '2/5 loss 0.250',
      });
      // A FlowFuse Dashboard 2 ui-chart at its defaults splits lines on msg.topic and plots a number payload.
      const progress = { epoch: 2, epochs: 5, loss: 0.25, valLoss: 0.001, model: 'm', backend: 'wasm' };
      assert.deepStrictEqual(req.sent, [
        [
          null,
          [
            { tag: 'a', topic: 'loss', payload: 0.25, progress },
            { tag: 'a', topic: 'validation loss', payload: 0.001, progress },
          ],
        ],
      ]);
      assert.strictEqual(t.run.stateName, 'training');
    });

    it('job done: stores the model, a green status, the report on output 1, done, back to idle', async function () {
      const t = setup();
      const { running, req, job } = await training(t);
      job.resolve(RESULT);
      await running;
      assert.strictEqual(t.run.stateName, 'idle');
      assert.deepStrictEqual(t.calls.writes, [RESULT.artifact]);
      assert.deepStrictEqual(t.calls.statuses.at(-1), {
        fill: 'green',
        shape: 'dot',
        text: 'v1 MASE 0.500',
      });
      assert.match(
        t.calls.logs.join('\n'),
        /model 'm' v1 stored in .*: validation MASE 0\.500 \(last value 1\.250\), backend wasm/,
      );
      const model = { name: 'm', version: 1, id: 'id-1', location: "flow context (store 'default')" };
      assert.deepStrictEqual(req.sent, [[{ tag: 'a', topic: 'm', payload: RESULT.report, model }, null]]);
      assert.deepStrictEqual(req.dones, [undefined]);
    });

    it('stop: cancels the job; settled as CANCELLED: a yellow status, a warning, done, idle', async function () {
      const t = setup();
      const { running, req, job } = await training(t);
      t.run.stop();
      assert.strictEqual(job.job.cancels, 1);
      assert.strictEqual(t.run.stateName, 'training', 'training until the worker has stopped');
      job.reject(cancelled());
      await running;
      assert.strictEqual(t.run.stateName, 'idle');
      assert.deepStrictEqual(t.calls.statuses.at(-1), {
        fill: 'yellow',
        shape: 'ring',
        text: 'cancelled (0 s)',
      });
      assert.deepStrictEqual(t.calls.warns, ["training of 'm' cancelled; the stored model is unchanged"]);
      assert.deepStrictEqual(t.calls.writes, []);
      assert.deepStrictEqual(req.sent, []);
      assert.deepStrictEqual(req.dones, [undefined]);
    });

    it('a failed job rejects the run (for the queue failure hook) and returns to idle', async function () {
      const t = setup();
      const { running, req, job } = await training(t);
      job.reject(new ForecastError('TRAINING_FAILED', 'worker crashed'));
      await assert.rejects(running, /worker crashed/);
      assert.strictEqual(t.run.stateName, 'idle');
      assert.deepStrictEqual(t.calls.writes, []);
      assert.deepStrictEqual(req.dones, []);
    });

    it('close: cancels the job and calls close done once the job has settled', async function () {
      const t = setup();
      const { running, job } = await training(t);
      let closes = 0;
      t.run.close(() => closes++);
      assert.strictEqual(t.run.stateName, 'closed');
      assert.strictEqual(job.job.cancels, 1);
      await tick();
      assert.strictEqual(closes, 0, 'waits for the worker');
      job.reject(cancelled());
      await running;
      await tick();
      assert.strictEqual(closes, 1);
      assert.strictEqual(t.run.stateName, 'closed', 'the run ending does not reopen a closed node');
      t.run.stop();
      assert.strictEqual(job.job.cancels, 1, 'stop after close does nothing');
    });

    it('close: a job that never settles holds the close only for the wait; done comes once', async function () {
      const t = setup({ closeWaitMs: 30 });
      const { job } = await training(t);
      let closes = 0;
      t.run.close(() => closes++);
      await new Promise((r) => setTimeout(r, 10));
      assert.strictEqual(closes, 0);
      await new Promise((r) => setTimeout(r, 40));
      assert.strictEqual(closes, 1, 'done after the wait');
      job.reject(cancelled());
      await tick();
      assert.strictEqual(closes, 1, 'not again when the job settles late');
    });
  });

  describe('storing (check-and-write)', function () {
    const trained = (version) => ({
      format: 'lstm-forecast-model',
      version,
      id: `id-${version}`,
      report: RESULT.report,
    });
    const stored = (version) => () => Promise.resolve({ format: 'lstm-forecast-model', version, id: 'other' });
    const fails = (text) => () => Promise.reject(new Error(text));

    it('the report on output 1 is a copy: the stored artifact shares no object with the message', async function () {
      const t = setup();
      const { running, req, job } = await training(t);
      const artifact = trained(1);
      job.resolve({ artifact, report: artifact.report });
      await running;
      const sent = req.sent[0][0];
      assert.deepStrictEqual(sent.payload, artifact.report);
      assert.notStrictEqual(sent.payload, t.calls.writes[0].report);
      assert.notStrictEqual(sent.payload.validation, t.calls.writes[0].report.validation);
    });

    it('a version stored meanwhile that is not older: CONFLICT naming both, nothing written, artifact on the input', async function () {
      const t = setup({ reads: [stored(1)] });
      const { running, req, job } = await training(t);
      req.input = {};
      job.resolve({ artifact: trained(1), report: RESULT.report });
      await assert.rejects(running, (err) => {
        assert.strictEqual(err.code, 'CONFLICT');
        assert.match(err.message, /CONFLICT: model 'm' not stored: this run trained version 1 but .* holds version 1/);
        assert.strictEqual(err.status, 'conflict (v1)');
        return true;
      });
      assert.deepStrictEqual(t.calls.writes, []);
      assert.strictEqual(req.input.artifact.id, 'id-1');
      assert.strictEqual(t.run.stateName, 'idle');
    });

    it('a store-side CONFLICT from the write is not retried', async function () {
      const conflict = Object.assign(new ForecastError('CONFLICT', 'CONFLICT: store says no'), {});
      const t = setup({ writes: [() => Promise.reject(conflict)], storeRetry: { firstMs: 10, maxMs: 10 } });
      const { running, job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      await assert.rejects(running, /store says no/);
      assert.strictEqual(t.calls.reads, 2, 'one check, no retry');
    });

    it('a write that failed but landed (a timed-out Redis write applied later) counts as stored, not as a conflict', async function () {
      // 1st check: nothing newer; the write times out; 2nd check: the store holds this run's own artifact.
      const t = setup({
        reads: [() => Promise.resolve(undefined), () => Promise.resolve(trained(1))],
        writes: [fails('did not answer within 500 ms (commandTimeout)')],
        storeRetry: { firstMs: 10, maxMs: 10 },
      });
      const { running, req, job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      await running;
      // The failed try was reported (Catch) before anyone could know it landed; the report follows.
      assert.strictEqual(req.dones.length, 1);
      assert.strictEqual(req.dones[0].code, 'STORE_UNAVAILABLE');
      assert.strictEqual(req.sent[0][0].model.version, 1);
      assert.strictEqual(req.sent[0][0].model.id, 'id-1');
      assert.deepStrictEqual(t.calls.writes, [], 'no second write over its own model');
      assert.match(t.texts().join('\n'), /^v1 retry in 0\.01 s$/m);
    });

    it('a failed write is retried until stored: reported to Catch at the first failure, each try warned', async function () {
      const writes = Array.from({ length: 8 }, () => fails('busy'));
      const t = setup({ writes, storeRetry: { firstMs: 1, maxMs: 4 } });
      const { running, req, job } = await training(t);
      req.input = {};
      job.resolve({ artifact: trained(1), report: RESULT.report });
      await running;
      assert.strictEqual(req.dones.length, 1, 'done once');
      assert.strictEqual(req.dones[0].code, 'STORE_UNAVAILABLE');
      assert.strictEqual(req.dones[0].status, 'v1 not stored');
      assert.match(
        req.dones[0].message,
        /^busy; the trained model v1 is kept and retried until stored or the node closes \(next try in 0 s\); it is also in msg.artifact/,
      );
      assert.strictEqual(req.input.artifact.id, 'id-1');
      const retries = t.texts().filter((x) => / retry in /.test(x));
      assert.deepStrictEqual(retries.slice(0, 4), [
        'v1 retry in 0 s',
        'v1 retry in 0 s',
        'v1 retry in 0 s',
        'v1 retry in 0 s',
      ]);
      assert.strictEqual(retries.length, 8);
      assert.strictEqual(t.calls.warns.length, 8);
      assert.match(t.calls.warns[7], /^model 'm' v1 not stored \(try 8\): busy; next try in 0 s$/);
      assert.deepStrictEqual(
        t.calls.writes.map((a) => a.version),
        [1],
        'stored once it could be',
      );
      assert.strictEqual(req.sent[0][0].model.version, 1);
      assert.strictEqual(t.calls.statuses[t.calls.statuses.length - 1].fill, 'green');
      assert.strictEqual(t.run.stateName, 'idle');
    });

    it('the backoff doubles from firstMs up to maxMs (default 1 s to 60 s)', function () {
      const waits = Array.from({ length: 9 }, (_, i) => storeRetryWait(i + 1));
      assert.deepStrictEqual(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
      assert.strictEqual(storeRetryWait(1e6), 60000, 'no overflow on a store down for months');
    });

    it('a conflict found by a later try (another writer stored meanwhile): logged as an error, request done once', async function () {
      const t = setup({
        reads: [() => Promise.resolve(undefined), stored(1)],
        writes: [fails('busy')],
        storeRetry: { firstMs: 1, maxMs: 1 },
      });
      const { running, req, job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      await assert.rejects(running, /CONFLICT/);
      t.run.queueHooks().failed(req, await running.catch((e) => e));
      assert.strictEqual(req.dones.length, 1);
      assert.strictEqual(req.dones[0].code, 'STORE_UNAVAILABLE');
      assert.match(t.calls.errors.join('\n'), /CONFLICT: model 'm' not stored/);
      assert.deepStrictEqual(t.calls.writes, []);
    });

    it('a request while a model waits to be stored waits for it: one writer', async function () {
      const { RunQueue } = require('../../nodes/glue/run-queue');
      const t = setup({ writes: [fails('busy'), fails('busy')], storeRetry: { firstMs: 20, maxMs: 20 } });
      const queue = new RunQueue('queue', t.run.queueHooks());
      const first = request('first');
      queue.submit(first);
      t.read.resolve(undefined);
      await tick();
      t.jobs[0].resolve({ artifact: trained(1), report: RESULT.report });
      for (let i = 0; i < 5; i++) await tick();
      assert.strictEqual(t.run.stateName, 'storing');
      queue.submit(request('second'));
      assert.strictEqual(t.jobs.length, 1, 'no second run while the model waits');
      for (let i = 0; i < 50 && t.jobs.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      assert.strictEqual(t.jobs.length, 2, 'the second run started once the first model was stored');
      assert.deepStrictEqual(
        t.calls.writes.map((a) => a.id),
        ['id-1'],
      );
    });

    it('a check read failing after a good start read is retried, never a blind write', async function () {
      const t = setup({
        reads: [fails('down'), () => Promise.resolve(undefined)],
        storeRetry: { firstMs: 10, maxMs: 10 },
      });
      const { running, job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      await running;
      assert.strictEqual(t.calls.reads, 3);
      assert.strictEqual(t.calls.writes.length, 1);
    });

    it('a fresh run whose start read failed: trains, and settles its version at the check', async function () {
      const t = setup({ reads: [stored(4)] });
      const req = request();
      const running = t.run.start(req);
      t.read.reject(new Error('could not read model m: disk'));
      await tick();
      await tick();
      assert.strictEqual(t.run.stateName, 'training');
      assert.strictEqual(t.calls.trains[0].options.version, 1);
      t.jobs[0].resolve({ artifact: trained(1), report: RESULT.report });
      await running;
      assert.strictEqual(t.calls.writes[0].version, 5);
      assert.strictEqual(req.sent[0][0].model.version, 5);
      assert.match(t.calls.warns.join('\n'), /could not read model m: disk; training a fresh model anyway/);
      assert.match(t.calls.warns.join('\n'), /model 'm' v4 \(unreadable when this run started\) is replaced by v5/);
    });

    it('close while a model waits to be stored: one last try; when it fails, an error says the model was lost', async function () {
      const t = setup({ writes: [fails('busy'), fails('still busy')], storeRetry: { firstMs: 60000, maxMs: 60000 } });
      const { running, req, job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      for (let i = 0; i < 5; i++) await tick();
      assert.strictEqual(t.run.stateName, 'storing');
      const reads = t.calls.reads;
      let closed = false;
      t.run.close(() => (closed = true));
      await running;
      for (let i = 0; i < 5; i++) await tick();
      assert.ok(closed);
      assert.strictEqual(t.calls.reads, reads + 1, 'one last check-and-write');
      assert.deepStrictEqual(t.calls.writes, []);
      assert.strictEqual(t.calls.errors.length, 1);
      assert.match(
        t.calls.errors[0],
        /^model 'm' v1 lost: the node closed before it could be stored in .* \(the last try failed: still busy\); the stored model is unchanged$/,
      );
      assert.strictEqual(req.dones.length, 1, 'reported at the first failure only');
    });

    it('close while a model waits to be stored: a last try that succeeds stores it', async function () {
      const t = setup({ writes: [fails('busy')], storeRetry: { firstMs: 60000, maxMs: 60000 } });
      const { running, job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      for (let i = 0; i < 5; i++) await tick();
      let closed = false;
      t.run.close(() => (closed = true));
      await running;
      for (let i = 0; i < 5; i++) await tick();
      assert.ok(closed);
      assert.deepStrictEqual(
        t.calls.writes.map((a) => a.id),
        ['id-1'],
      );
      assert.deepStrictEqual(t.calls.errors, []);
    });

    it('close while a last try hangs: closed after closeWaitMs, the model said lost', async function () {
      const t = setup({
        writes: [fails('busy'), () => new Promise(() => undefined)],
        storeRetry: { firstMs: 60000, maxMs: 60000 },
        closeWaitMs: 30,
      });
      const { job } = await training(t);
      job.resolve({ artifact: trained(1), report: RESULT.report });
      for (let i = 0; i < 5; i++) await tick();
      const t0 = Date.now();
      await new Promise((resolve) => t.run.close(resolve));
      assert.ok(Date.now() - t0 < 1000);
      assert.match(t.calls.errors.join('\n'), /v1 lost: .*the last try did not finish within 0\.03 s/);
    });
  });

  describe('queue hooks', function () {
    it('failed: a red status with the short text and done(err); a non-Error is wrapped', function () {
      const t = setup();
      const hooks = t.run.queueHooks();
      const req = request();
      const err = new ForecastError('BUSY', 'long text', 'busy: rejected');
      hooks.failed(req, err);
      hooks.failed(req, 'plain');
      assert.deepStrictEqual(t.calls.statuses, [
        { fill: 'red', shape: 'ring', text: 'busy: rejected' },
        { fill: 'red', shape: 'ring', text: 'plain' },
      ]);
      assert.strictEqual(req.dones[0], err);
      assert.ok(req.dones[1] instanceof Error && req.dones[1].message === 'plain');
    });

    it('dropped: a warning when replaced, silence when cleared; done either way', function () {
      const t = setup();
      const hooks = t.run.queueHooks();
      const a = request('a');
      const b = request('b');
      hooks.dropped(a, 'replaced');
      hooks.dropped(b, 'cleared');
      assert.deepStrictEqual(t.calls.warns, ['a queued training request was replaced by a newer one']);
      assert.deepStrictEqual([a.dones, b.dones], [[undefined], [undefined]]);
    });

    it('run: starts the run', function () {
      const t = setup();
      void t.run.queueHooks().run(request());
      assert.strictEqual(t.run.stateName, 'reading');
      assert.strictEqual(t.calls.reads, 1);
    });
  });
});
