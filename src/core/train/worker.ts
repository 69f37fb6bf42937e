/**
 * The training worker (a `worker_threads` Worker started by runner.ts).
 * Runs a training request off the main event loop: a wasm fit on the main
 * thread stalls Node-RED's event loop for ~250 ms at a time.
 *
 * workerData: {@link WorkerRequest}, a request the runner has already checked
 * (checkTrainRequest), so it is trained without checking it again.
 * Messages to the parent: {@link WorkerMessage}.
 * Cancellation: the parent sets `stop[0] = 1` in a SharedArrayBuffer; the trainer
 * checks it before every batch, without needing this thread's event loop.
 */
import { parentPort, workerData } from 'worker_threads';
import { initBackend, type BackendName } from '../base/backend';
import { ForecastError, type MessageParams } from '../base/errors';
import type { ModelArtifact, TrainReport } from '../model/artifact';
import type { ModelConfig } from '../settings/model';
import { unflatten3 } from '../base/arrays';
import type { CheckedRequest } from './request';
import { trainChecked, type EpochProgress, type TrainOptions, type TrainDataMeta } from './trainer';

/** A checked request: dataset meta, windows flattened row-major (real units), resolved settings. */
export interface WorkerRequest extends TrainDataMeta {
  /** Number of training windows N; inputs [N*L*F], targets [N*H]. */
  count: number;
  inputs: Float32Array;
  targets: Float32Array;
  /** Explicit validation windows (valCount > 0), same layout. */
  valCount: number;
  valInputs?: Float32Array;
  valTargets?: Float32Array;
  /** [count] / [valCount] the series of each window, when the data names them. */
  seriesIds?: string[];
  valSeriesIds?: string[];
  model: ModelConfig;
  options: TrainOptions;
  /** Validated by the runner. */
  previous?: ModelArtifact;
  targetIndex: number;
  /** Int32Array view of it: [0] = 1 asks the trainer to stop. */
  stop: SharedArrayBuffer;
  backend?: BackendName;
}

export type WorkerMessage =
  | { type: 'epoch'; progress: EpochProgress }
  | { type: 'done'; artifact: ModelArtifact; report: TrainReport; backend: string }
  | {
      type: 'error';
      code: string;
      message: string;
      /** The declared text's id and values (core/base/messages.ts), so the node can translate the error. */
      id?: string;
      params?: MessageParams;
    };

/**
 * The checked request the runner flattened, rebuilt. The cast is the point: the
 * runner checked these windows before flattening them, and moving them between
 * threads changes no shape (values are rounded to float32, as always).
 */
export function checkedFromWorkerData(req: WorkerRequest): CheckedRequest {
  const F = req.features.length;
  const data = {
    features: req.features,
    target: req.target,
    window: req.window,
    horizon: req.horizon,
    step: req.step,
    series: req.series,
    inputs: unflatten3(req.inputs, req.count, req.window, F),
    targets: unflatten3(req.targets, req.count, req.horizon, 1),
    ...(req.seriesIds ? { seriesIds: req.seriesIds } : {}),
  };
  const validation =
    req.valCount > 0 && req.valInputs && req.valTargets
      ? {
          inputs: unflatten3(req.valInputs, req.valCount, req.window, F),
          targets: unflatten3(req.valTargets, req.valCount, req.horizon, 1),
          ...(req.valSeriesIds ? { seriesIds: req.valSeriesIds } : {}),
        }
      : undefined;
  const { previous, options, model, targetIndex } = req;
  return { data, validation, previous, options, model, targetIndex } as CheckedRequest;
}

/** Trains the request and posts progress and the outcome; never throws. */
export async function runWorkerRequest(req: WorkerRequest, post: (m: WorkerMessage) => void): Promise<void> {
  const stop = new Int32Array(req.stop);
  try {
    const backend = await initBackend(req.backend);
    const { artifact, report } = await trainChecked(checkedFromWorkerData(req), {
      onEpoch: (progress) => post({ type: 'epoch', progress }),
      shouldStop: () => Atomics.load(stop, 0) !== 0,
    });
    post({ type: 'done', artifact, report, backend: backend.name });
  } catch (e) {
    const code = e instanceof ForecastError ? e.code : 'TRAINING_FAILED';
    const message = e instanceof Error ? e.message : String(e);
    const text = e instanceof ForecastError && e.id ? { id: e.id, params: { ...e.params } } : {};
    post({ type: 'error', code, message, ...text });
  }
}

if (parentPort) {
  const port = parentPort;
  void runWorkerRequest(workerData as WorkerRequest, (m) => port.postMessage(m));
}
