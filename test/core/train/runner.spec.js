'use strict';
const assert = require('assert');
const { startTraining } = require('../../../nodes/core/train/runner');
const { trainForecaster } = require('../../../nodes/core/train/trainer');
const { Forecaster } = require('../../../nodes/core/serve/forecaster');
const { initBackend } = require('../../../nodes/core/base/backend');
const { co2Dataset } = require('../../helpers/co2-fixture');

/** Samples the main event loop's lag with a 10 ms interval; stop() returns the max lag in ms. */
function lagMonitor() {
  let last = Date.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    max = Math.max(max, now - last - 10);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return max;
  };
}

describe('core/train-runner', function () {
  this.timeout(120000);

  it('trains in a worker: progress arrives, the event loop stays responsive, the artifact predicts', async () => {
    const data = co2Dataset(24, 6, 300);
    const stopLag = lagMonitor();
    const job = startTraining({
      data,
      model: { units: 8, seed: 1 },
      options: { epochs: 4, batchSize: 32, learningRate: 0.01, season: 12, name: 'co2' },
    });
    const progress = [];
    job.onProgress((p) => progress.push(p));
    const { artifact, report } = await job.promise;
    const maxLag = stopLag();
    assert.deepStrictEqual(
      progress.map((p) => p.epoch),
      [1, 2, 3, 4],
    );
    assert.ok(progress.every((p) => Number.isFinite(p.loss) && Number.isFinite(p.valLoss) && p.epochs === 4));
    assert.strictEqual(report.epochs, 4);
    assert.strictEqual(artifact.report.epochs, 4);
    assert.strictEqual(artifact.spec.window, 24);
    // machines are noisy: loose bound; a fit on the main thread stalls ~250 ms at a time
    assert.ok(maxLag < 200, `max event-loop lag ${maxLag} ms`);
    console.log(
      `      worker training ${report.trainSeconds.toFixed(1)} s on ${report.backend}; max event-loop lag ${maxLag} ms`,
    );
    await initBackend();
    const f = Forecaster.fromArtifact(artifact);
    try {
      const out = f.predict([data.inputs[0]]);
      assert.strictEqual(out.forecast[0].length, 6);
      assert.ok(out.forecast[0].every((v) => v > 300 && v < 400));
    } finally {
      f.dispose();
    }
  });

  it('cancel mid-training rejects with CANCELLED quickly', async () => {
    const data = co2Dataset(12, 3, 150);
    const job = startTraining({ data, model: { units: 8 }, options: { epochs: 1000, patience: 1000, batchSize: 16 } });
    await new Promise((resolve) => job.onProgress(resolve)); // wait until the first epoch is done: we are inside fit
    const t0 = Date.now();
    job.cancel();
    await assert.rejects(job.promise, (e) => e.code === 'CANCELLED');
    const ms = Date.now() - t0;
    assert.ok(ms < 3000, `cancelled after ${ms} ms`);
  });

  it('terminates a worker that does not stop by itself after the grace period', async () => {
    const data = co2Dataset(12, 3, 100);
    // cancel before the worker even got its backend up: the flag is seen only at the first batch,
    // so a grace period of 1 ms forces the hard terminate path
    const job = startTraining({ data, model: { units: 8 }, options: { epochs: 100 } }, { graceMs: 1 });
    const t0 = Date.now();
    job.cancel();
    await assert.rejects(job.promise, (e) => e.code === 'CANCELLED' && /cancelled/.test(e.message));
    assert.ok(Date.now() - t0 < 2000);
  });

  it("keeps the message id and values of a worker's error (the node translates it by them)", async () => {
    const data = co2Dataset(12, 3, 20); // 8 windows: too few
    const job = startTraining({ data, model: { units: 8 }, options: { epochs: 1 } });
    await assert.rejects(job.promise, (e) => {
      assert.strictEqual(e.id, 'split.tooFewWindowsSplit');
      assert.ok(e.message.includes(`(${e.params.windows} windows split by validationFraction`), e.message);
      assert.match(
        e.message,
        /^not enough windows: need at least \d+ for training and 1 for validation, got \d+ \+ \d+/,
      );
      return true;
    });
  });

  it("passes the worker's errors on, and refuses a malformed request before starting a worker", async () => {
    const data = co2Dataset(12, 3, 20); // 8 windows: too few
    const job = startTraining({ data, model: { units: 8 }, options: { epochs: 1 } });
    await assert.rejects(job.promise, (e) => e.code === 'BAD_INPUT' && /not enough windows/.test(e.message));
    assert.throws(
      () => startTraining({ data, options: { epochs: -1 } }),
      (e) => e.code === 'BAD_CONFIG',
    );
    const ragged = co2Dataset(12, 3, 40);
    ragged.inputs[2] = ragged.inputs[2].slice(3);
    assert.throws(
      () => startTraining({ data: ragged }),
      (e) => e.code === 'BAD_INPUT' && /window 2 to be 12 rows x 1 features, got 9 x 1/.test(e.message),
    );
  });

  it('checks the whole request before starting a worker: previous artifact, spec, float32 range', async () => {
    const data = co2Dataset(12, 3, 60);
    assert.throws(
      () => startTraining({ data, previous: { format: 'x' } }),
      (e) => e.code === 'BAD_ARTIFACT',
    );
    await initBackend();
    const { artifact } = await trainForecaster(data, { units: 8 }, { epochs: 1 });
    assert.throws(
      () => startTraining({ data: co2Dataset(10, 3, 60), previous: artifact }),
      (e) => e.code === 'SPEC_MISMATCH' && /window 12 vs 10/.test(e.message),
    );
    // finite for the check, Infinity in the worker's float32 copy
    const huge = co2Dataset(12, 3, 60);
    huge.targets[4] = huge.targets[4].map(() => [1e39]);
    assert.throws(
      () => startTraining({ data: huge }),
      (e) => e.code === 'BAD_INPUT' && /^training data: the targets of window 4 hold a number beyond/.test(e.message),
    );
  });
});
