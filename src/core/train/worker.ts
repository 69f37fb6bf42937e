/**
 * The training worker (a `worker_threads` Worker started by train-runner.ts).
 * Runs {@link trainForecaster} off the main event loop: a wasm fit on the main
 * thread stalls Node-RED's event loop for ~250 ms at a time.
 *
 * workerData: {@link WorkerRequest}. Messages to the parent: {@link WorkerMessage}.
 * Cancellation: the parent sets `stop[0] = 1` in a SharedArrayBuffer; the trainer
 * checks it before every batch, without needing this thread's event loop.
 */
import { parentPort, workerData } from 'worker_threads';
import { initBackend, type BackendName } from '../base/backend';
import { ForecastError } from '../base/errors';
import type { ModelArtifact, TrainReport } from '../model/artifact';
import type { ModelConfig } from '../settings/model';
import { unflatten3 } from '../base/arrays';
import { trainForecaster, type EpochProgress, type TrainOptions, type TrainDataMeta } from './trainer';

/** Dataset meta and windows flattened row-major (real units). */
export interface WorkerRequest extends TrainDataMeta {
  /** Number of training windows N; inputs [N*L*F], targets [N*H]. */
  count: number;
  inputs: Float32Array;
  targets: Float32Array;
  /** Explicit validation windows (valCount > 0), same layout. */
  valCount: number;
  valInputs?: Float32Array;
  valTargets?: Float32Array;
  model: Partial<ModelConfig>;
  options: Partial<TrainOptions>;
  previous?: ModelArtifact;
  /** Int32Array view of it: [0] = 1 asks the trainer to stop. */
  stop: SharedArrayBuffer;
  backend?: BackendName;
}

export type WorkerMessage =
  | { type: 'epoch'; progress: EpochProgress }
  | { type: 'done'; artifact: ModelArtifact; report: TrainReport; backend: string }
  | { type: 'error'; code: string; message: string };

async function main(): Promise<void> {
  const req = workerData as WorkerRequest;
  const port = parentPort!;
  const stop = new Int32Array(req.stop);
  try {
    const backend = await initBackend(req.backend);
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
    };
    const validation = req.valCount > 0 && req.valInputs && req.valTargets
      ? { inputs: unflatten3(req.valInputs, req.valCount, req.window, F), targets: unflatten3(req.valTargets, req.valCount, req.horizon, 1) }
      : undefined;
    const { artifact, report } = await trainForecaster(data, req.model, req.options, {
      onEpoch: (progress) => port.postMessage({ type: 'epoch', progress } satisfies WorkerMessage),
      shouldStop: () => Atomics.load(stop, 0) !== 0,
      previous: req.previous,
      validation,
    });
    port.postMessage({ type: 'done', artifact, report, backend: backend.name } satisfies WorkerMessage);
  } catch (e) {
    const code = e instanceof ForecastError ? e.code : 'TRAINING_FAILED';
    const message = e instanceof Error ? e.message : String(e);
    port.postMessage({ type: 'error', code, message } satisfies WorkerMessage);
  }
}

if (parentPort) void main();
