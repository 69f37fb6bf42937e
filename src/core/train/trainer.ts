/**
 * Trains a forecaster on a dataset of windows and returns its artifact.
 *
 * Adam on the MSE of scaled, window-relative targets (see scaler.ts); the
 * validation windows are the chronologically last part of the data (or given
 * explicitly); early stopping on validation MSE restores the best epoch's
 * weights; with the highway on, the network starts as a ridge model. One module
 * per step, this one only runs them in order and owns what has to be disposed:
 * request.ts (the checks), split.ts (split, scaler, prepared windows),
 * linear-start.ts (the ridge start, and why), epochs.ts (the seeded,
 * cancellable epoch loop with early stopping), report.ts (scores and artifact).
 */
import { tf } from '../base/backend';
import { ForecastError } from '../base/errors';
import { applyWeights, disposeModels } from '../model/artifact';
import { buildGraph } from '../model/graph';
import type { ModelConfig } from '../settings/model';
import type { TrainOptions } from '../settings/training';
import { BestWeights, epochTensors, runEpochs, type EpochHooks } from './epochs';
import { startLinear, unfreezeLinearPath, type LinearStart } from './linear-start';
import { buildArtifact, trainReport, validationCalibration, type TrainResult } from './report';
import { checkTrainRequest, type CheckedRequest, type RequestSources } from './request';
import { prepareSplit } from './split';
import type { TrainData } from './train-data';

export type { TrainReport, EpochLoss } from '../model/artifact';
export type { TrainOptions } from '../settings/training';
export type { TrainData, TrainDataMeta, ValidationData } from './train-data';
export type { EpochHooks, EpochProgress } from './epochs';
export type { TrainResult } from './report';

/** Progress and cancellation, and what the request brings besides the data: previous artifact, validation windows. */
export interface TrainHooks extends EpochHooks, RequestSources {}

/**
 * Trains a forecaster.
 * @param data windows in real units (see {@link TrainData}).
 * @param modelCfg architecture; missing fields from DEFAULT_MODEL_CONFIG. Ignored
 *   (except `seed`, which drives the shuffle) when `hooks.previous` is given: the
 *   previous architecture is kept.
 * @param opts see {@link TrainOptions} for defaults.
 * @param hooks progress, cancellation, incremental training, explicit validation.
 * @returns the artifact (JSON-safe) and the report (also inside the artifact).
 * @throws ForecastError BAD_CONFIG, BAD_ARTIFACT, BAD_INPUT, SPEC_MISMATCH, CANCELLED, TRAINING_FAILED.
 */
export async function trainForecaster(
  data: TrainData,
  modelCfg: Partial<ModelConfig> = {},
  opts: Partial<TrainOptions> = {},
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  return trainChecked(checkTrainRequest(data, modelCfg, opts, hooks), hooks);
}

/**
 * Trains a request that {@link checkTrainRequest} passed, without checking it
 * again (the worker's entry: the runner checked the request before sending it).
 * @param hooks progress and cancellation (a checked request carries the rest).
 * @throws ForecastError BAD_INPUT (too few windows), CANCELLED, TRAINING_FAILED.
 */
export async function trainChecked(req: CheckedRequest, hooks: EpochHooks = {}): Promise<TrainResult> {
  const t = tf();
  const { data, model: cfg, options: o } = req;
  const prepared = prepareSplit(req);
  const graph = buildGraph({ window: data.window, features: data.features.length, horizon: data.horizon }, cfg);
  const tensors = epochTensors(prepared, graph.iterations);
  const optimizer = t.train.adam(o.learningRate);
  const best = new BestWeights();
  const start = Date.now();
  try {
    let linear: LinearStart | null = null;
    if (req.previous) applyWeights(graph.serve, req.previous);
    else if (cfg.highway) linear = startLinear(graph.serve, prepared, o.linearPath);
    const setup = {
      graph,
      tensors,
      valY: prepared.val.y,
      optimizer,
      best,
      seed: cfg.seed,
      linearStart: !!linear,
      start,
    };
    const run = await runEpochs(setup, o, hooks);
    unfreezeLinearPath(linear);
    const report = trainReport(req, prepared, graph, tensors.xVal, run, linear ? linear.alpha : null);
    const calibration = validationCalibration(req, prepared, graph, tensors.xVal);
    return { artifact: buildArtifact(req, prepared, graph, report, calibration), report };
  } catch (e) {
    if (e instanceof ForecastError) throw e;
    const message = `training failed: ${e instanceof Error ? e.message : String(e)}`;
    throw new ForecastError('TRAINING_FAILED', message, 'training failed');
  } finally {
    best.dispose();
    t.dispose([tensors.xAll, tensors.yAll, tensors.xVal]);
    optimizer.dispose();
    disposeModels(graph.train, graph.serve);
  }
}
