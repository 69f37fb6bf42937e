/**
 * Runs training in a `worker_threads` Worker so the Node-RED event loop stays
 * responsive (measured: a wasm fit on the main thread stalls it ~250 ms at a
 * time; in a worker at most 17 ms).
 *
 * The windows travel as transferable Float32Arrays (moved, not copied). Cancel
 * sets a SharedArrayBuffer flag that the trainer checks before every batch; if
 * the worker has not stopped within the grace period (default 2 s), it is
 * terminated. Either way the job settles soon after, well inside Node-RED's
 * 15 s close timeout.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { BackendName } from '../base/backend';
import { ForecastError, type ErrorCode } from '../base/errors';
import { fail } from '../base/messages';
import type { ModelArtifact } from '../model/artifact';
import { flatten3 } from '../base/arrays';
import type { ModelConfig } from '../settings/model';
import type { TrainOptions } from '../settings/training';
import { trainDataMeta, type TrainData, type ValidationData } from './train-data';
import { checkTrainRequest } from './request';
import type { EpochProgress, TrainResult } from './trainer';
import type { WorkerMessage, WorkerRequest } from './worker';

/** What to train. */
export interface TrainRequest {
  data: TrainData;
  /** Architecture; defaults from DEFAULT_MODEL_CONFIG. */
  model?: Partial<ModelConfig>;
  /** Training options; defaults from DEFAULT_TRAIN_OPTIONS. */
  options?: Partial<TrainOptions>;
  /** Continue from this artifact (weights and scaler kept). */
  previous?: ModelArtifact;
  /** Explicit validation windows. */
  validation?: ValidationData;
  /** Force a backend in the worker (else LSTM_FORECAST_BACKEND, else auto). */
  backend?: BackendName;
}

export interface RunnerOptions {
  /** How long a cancelled worker may take to stop by itself before it is terminated, ms. Default 2000. */
  graceMs?: number;
  /** The compiled worker script. Default: worker.js beside this file. */
  workerPath?: string;
  /** Longest run, ms; past it the worker is terminated and the job fails with LIMIT. 0 or absent: none. */
  timeoutMs?: number;
  /**
   * The worker's JavaScript heap limit, MB (Worker `resourceLimits.maxOldGenerationSizeMb`): a run that
   * needs more fails with LIMIT instead of growing Node-RED's process without bound. 0 or absent: Node's default.
   */
  memoryLimitMb?: number;
  /** Names the settings in the limit errors ("timeout setting"). */
  limitNames?: { timeout: string; memory: string };
}

/** A running training job. */
export interface TrainingJob {
  /**
   * Resolves with the artifact and report. Rejects with a ForecastError:
   * CANCELLED after cancel(), TRAINING_FAILED with the worker's message, or
   * BAD_INPUT when the split leaves too few windows (the rest of the input was
   * checked before the worker started).
   */
  promise: Promise<TrainResult>;
  /** Asks the worker to stop (per batch); terminates it after the grace period. Idempotent. */
  cancel(): void;
  /** Registers a listener for per-epoch progress. */
  onProgress(cb: (p: EpochProgress) => void): void;
}

const PASSED_CODES: ErrorCode[] = [
  'BAD_INPUT',
  'BAD_CONFIG',
  'SPEC_MISMATCH',
  'BAD_ARTIFACT',
  'CANCELLED',
  'TRAINING_FAILED',
  'LIMIT',
];

/**
 * Windows flattened for the worker. The worker gets float32 copies, in which a
 * finite number beyond the float32 range (about ±3.4e38) arrives as Infinity;
 * the request check saw the float64 values and the worker does not check again,
 * so such a number is refused here.
 */
function flattenForWorker(what: string, part: 'inputs' | 'targets', windows: number[][][]): Float32Array {
  const flat = flatten3(windows);
  const i = flat.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) {
    const w = Math.floor(i / (flat.length / windows.length));
    throw fail('BAD_INPUT', 'runner.beyondFloatRange', { what, part, window: w });
  }
  return flat;
}

/**
 * Starts training in a worker thread.
 * @throws ForecastError BAD_CONFIG, BAD_ARTIFACT, BAD_INPUT, SPEC_MISMATCH
 *   synchronously when the request is malformed (checked once, here, before a
 *   worker is started; the worker does not check it again).
 */
export function startTraining(request: TrainRequest, runner: RunnerOptions = {}): TrainingJob {
  const checked = checkTrainRequest(request.data, request.model, request.options, request);
  const { data, validation } = checked;

  const graceMs = runner.graceMs ?? 2000;
  const stop = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stop);
  const inputs = flattenForWorker('training data', 'inputs', data.inputs);
  const targets = flattenForWorker('training data', 'targets', data.targets);
  const valInputs = validation ? flattenForWorker('validation data', 'inputs', validation.inputs) : undefined;
  const valTargets = validation ? flattenForWorker('validation data', 'targets', validation.targets) : undefined;
  const workerData: WorkerRequest = {
    ...trainDataMeta(data),
    count: data.inputs.length,
    inputs,
    targets,
    valCount: validation ? validation.inputs.length : 0,
    valInputs,
    valTargets,
    ...(data.seriesIds ? { seriesIds: data.seriesIds } : {}),
    ...(validation?.seriesIds ? { valSeriesIds: validation.seriesIds } : {}),
    model: checked.model,
    options: checked.options,
    previous: checked.previous,
    targetIndex: checked.targetIndex,
    stop,
    backend: request.backend,
  };
  const transferList = [
    inputs.buffer,
    targets.buffer,
    ...(valInputs ? [valInputs.buffer] : []),
    ...(valTargets ? [valTargets.buffer] : []),
  ] as ArrayBuffer[];
  const memoryMb = runner.memoryLimitMb ?? 0;
  const timeoutMs = runner.timeoutMs ?? 0;
  const names = runner.limitNames ?? { timeout: 'timeoutMs option', memory: 'memoryLimitMb option' };
  const worker = new Worker(runner.workerPath ?? path.join(__dirname, 'worker.js'), {
    workerData,
    transferList,
    ...(memoryMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: memoryMb } } : {}),
  });

  const listeners: Array<(p: EpochProgress) => void> = [];
  let settled = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  let limitTimer: NodeJS.Timeout | undefined;

  const promise = new Promise<TrainResult>((resolve, reject) => {
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      if (limitTimer) clearTimeout(limitTimer);
      worker.removeAllListeners('message');
      // The worker has nothing left to do; make sure its thread is gone before settling.
      worker.terminate().then(fn, fn);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'epoch') {
        for (const cb of listeners) {
          try {
            cb(m.progress);
          } catch {
            // a failing listener must not break training
          }
        }
      } else if (m.type === 'done') {
        if (cancelled) finish(() => reject(fail('CANCELLED', 'training.cancelled', {}, 'cancelled')));
        else finish(() => resolve({ artifact: m.artifact, report: m.report }));
      } else if (m.type === 'error') {
        const code = cancelled
          ? 'CANCELLED'
          : PASSED_CODES.includes(m.code as ErrorCode)
            ? (m.code as ErrorCode)
            : 'TRAINING_FAILED';
        // The worker's error keeps its id and values across the thread, so the node can translate it.
        const text = m.id ? { id: m.id, params: m.params ?? {} } : undefined;
        finish(() =>
          reject(
            code === 'CANCELLED'
              ? fail('CANCELLED', 'training.cancelled', {})
              : new ForecastError(code, m.message, undefined, text),
          ),
        );
      }
    });
    if (timeoutMs > 0) {
      limitTimer = setTimeout(() => {
        const minutes = Number((timeoutMs / 60000).toPrecision(6));
        const limit = { minutes, seconds: timeoutMs / 1000, setting: names.timeout };
        // terminate() stops even a thread spinning in one batch, which the stop flag cannot reach.
        finish(() => reject(fail('LIMIT', 'runner.timeLimit', limit, 'time limit')));
      }, timeoutMs);
    }
    worker.on('error', (e: Error & { code?: string }) => {
      let err: ForecastError;
      if (cancelled) err = fail('CANCELLED', 'training.cancelled', {});
      else if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        err =
          memoryMb > 0
            ? fail('LIMIT', 'runner.outOfMemory', { mb: memoryMb, setting: names.memory }, 'out of memory')
            : fail('LIMIT', 'runner.outOfHeap', {}, 'out of memory');
      } else err = fail('TRAINING_FAILED', 'runner.workerFailed', { reason: e.message }, 'training failed');
      finish(() => reject(err));
    });
    worker.on('exit', (exitCode) => {
      finish(() =>
        reject(
          cancelled
            ? fail('CANCELLED', 'runner.cancelledTerminated', {})
            : fail('TRAINING_FAILED', 'runner.workerExited', { exitCode }, 'training failed'),
        ),
      );
    });
  });

  return {
    promise,
    cancel(): void {
      if (settled || cancelled) return;
      cancelled = true;
      Atomics.store(stopFlag, 0, 1);
      killTimer = setTimeout(() => {
        // Stuck inside one long batch (or in backend start-up): stop the thread.
        void worker.terminate();
      }, graceMs);
    },
    onProgress(cb: (p: EpochProgress) => void): void {
      listeners.push(cb);
    },
  };
}
