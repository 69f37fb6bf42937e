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
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { fail } from '../base/messages';
import { ForecastError } from '../base/errors';
import { applyWeights, disposeModels } from '../model/artifact';
import { buildGraph, type ForecastGraph } from '../model/graph';
import type { ModelConfig } from '../settings/model';
import type { TrainOptions } from '../settings/training';
import { BestWeights, epochTensors, runEpochs, type EpochHooks, type EpochRun } from './epochs';
import { baseName, baseParams, chooseBase, type ChosenBase } from './base';
import type { BaseReport } from '../model/artifact';
import {
  blendIntoBase,
  shiftHighway,
  startFromBase,
  unfreezeLinearPath,
  zeroHead,
  type LinearStart,
} from './linear-start';
import { buildArtifact, trainReport, validationCalibration, type TrainResult } from './report';
import { checkTrainRequest, type CheckedRequest, type RequestSources } from './request';
import { predictScaled } from './scaled-forecast';
import { prepareSplit, splitWindows, type Prepared } from './split';
import { mae, targetsToMatrix } from '../data/metrics';
import { restoreForecast } from '../data/scaler';
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

/** Validation MAE (real units) of what the graph forecasts with its current weights; null when not finite. */
function graphValMae(req: CheckedRequest, prepared: Prepared, graph: ForecastGraph, xVal: TF.Tensor3D): number | null {
  const { val, valWindows, scaler } = prepared;
  const H = req.data.horizon;
  const pred = restoreForecast(predictScaled(graph.serve, xVal), val.levels, scaler, req.targetIndex, H, val.refs);
  const score = mae(targetsToMatrix(valWindows.targets), pred);
  return Number.isFinite(score) ? score : null;
}

/**
 * Sets the weights that make the graph forecast the base: `start` (the base's
 * starting weights: ridge or zeros on the highway) with the recurrent head zeroed.
 */
function setBase(graph: ForecastGraph, start: BestWeights): void {
  start.restore(graph.serve);
  zeroHead(graph.serve);
}

/**
 * The network is kept only when its validation MAE (real units, the report's
 * metric) is below the base's, both scored through the same float32 graph (the
 * base: its starting weights with the head zeroed); otherwise the base comes
 * back, so the stored model forecasts the base exactly (up to float32 rounding).
 * A run whose best epoch is 0 stored the base itself, and is labelled so.
 * Called before the highway is unfrozen: the weights were taken in the frozen
 * order.
 */
function keepNetworkOnlyIfBetter(
  req: CheckedRequest,
  prepared: Prepared,
  graph: ForecastGraph,
  xVal: TF.Tensor3D,
  base: ChosenBase,
  baseWeights: BestWeights,
  run: EpochRun,
): void {
  const netMae = graphValMae(req, prepared, graph, xVal);
  const trained = new BestWeights();
  try {
    trained.take(graph.serve);
    setBase(graph, baseWeights);
    const baseMae = graphValMae(req, prepared, graph, xVal);
    base.report.networkMae = netMae;
    if (netMae !== null && (baseMae === null || netMae < baseMae)) {
      trained.restore(graph.serve);
      return;
    }
  } finally {
    trained.dispose();
  }
  base.report.network = 'dropped';
  run.bestEpoch = 0;
}

/**
 * Continued training keeps the previous scaler, so its base is that scaler's
 * reference (the graph with the highway and the head zeroed). The stored model
 * is the best on validation MAE of: the continued network (when it beats both
 * others), the previous model, the base. Returns the report's base entry.
 */
function keepContinuedOnlyIfBetter(
  req: CheckedRequest,
  prepared: Prepared,
  graph: ForecastGraph,
  xVal: TF.Tensor3D,
  previous: BestWeights,
  run: EpochRun,
): BaseReport {
  const scaler = prepared.scaler;
  const netMae = graphValMae(req, prepared, graph, xVal);
  const trained = new BestWeights();
  try {
    trained.take(graph.serve);
    previous.restore(graph.serve);
    const prevMae = graphValMae(req, prepared, graph, xVal);
    if (req.model.highway) startFromBase(graph.serve, null, 'joint');
    else zeroHead(graph.serve);
    const baseMae = graphValMae(req, prepared, graph, xVal);
    const worst = Number.POSITIVE_INFINITY;
    const scores: [BaseReport['network'], number][] = [
      ['dropped', baseMae ?? worst],
      ['previous', prevMae ?? worst],
      ['kept', netMae ?? worst],
    ];
    // ties go to the earlier entry: the base, then the previous model
    let [network, best] = scores[0];
    for (const [n, v] of scores.slice(1)) if (v < best) [network, best] = [n, v];
    if (network === 'kept') trained.restore(graph.serve);
    else if (network === 'previous') previous.restore(graph.serve);
    if (network !== 'kept') run.bestEpoch = 0;
    const name = baseName(scaler, false);
    return {
      name,
      reference: scaler.reference ?? 'last',
      ridge: false,
      params: baseParams(scaler),
      mae: baseMae ?? worst,
      candidates: [
        { name, mae: baseMae },
        { name: 'previous model', mae: prevMae },
      ],
      network,
      networkMae: netMae,
    };
  } finally {
    trained.dispose();
  }
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
  // A new run chooses its base (base.ts); a continued one keeps the previous scaler and weights.
  const base: ChosenBase | null = req.previous ? null : chooseBase(req, splitWindows(req), cfg.highway);
  // with a combined base the network learns the residual of its best member, then enters the mean in its place
  const stored = base ? base.prepared : prepareSplit(req);
  const prepared = base?.anchor ? base.anchor.prepared : stored;
  const graph = buildGraph({ window: data.window, features: data.features.length, horizon: data.horizon }, cfg);
  const tensors = epochTensors(prepared, graph.iterations);
  const optimizer = t.train.adam(o.learningRate);
  const best = new BestWeights();
  const baseWeights = new BestWeights();
  const start = Date.now();
  try {
    let linear: LinearStart | null = null;
    if (req.previous) applyWeights(graph.serve, req.previous);
    else if (cfg.highway)
      linear = startFromBase(graph.serve, base!.anchor ? base!.anchor.ridge : base!.ridge, o.linearPath);
    // the base's starting weights, or the previous model's when training continues
    baseWeights.take(graph.serve);
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
    if (base?.anchor) {
      // the base is now the mean itself; every reference sees the same inputs, so xVal serves it too
      blendIntoBase(graph.serve, base.ridge, base.anchor.ridge, base.anchor.weight);
      const blended = new BestWeights();
      try {
        blended.take(graph.serve);
        // the mean's own weights (its ridge, the head at zero) are the base the network has to beat
        if (cfg.highway) startFromBase(graph.serve, base.ridge, o.linearPath);
        else zeroHead(graph.serve);
        baseWeights.take(graph.serve);
        blended.restore(graph.serve);
      } finally {
        blended.dispose();
      }
    }
    if (base) keepNetworkOnlyIfBetter(req, stored, graph, tensors.xVal, base, baseWeights, run);
    const continued = base ? null : keepContinuedOnlyIfBetter(req, stored, graph, tensors.xVal, baseWeights, run);
    unfreezeLinearPath(linear);
    const report = trainReport(req, stored, graph, tensors.xVal, run, linear && base?.ridge ? linear.alpha : null);
    report.base = base ? base.report : continued!;
    // scores and intervals come from the held-out fit; the stored model forecasts with the refitted base
    const calibration = validationCalibration(req, stored, graph, tensors.xVal);
    const refit = base?.refit;
    if (refit && cfg.highway) shiftHighway(graph.serve, base.ridge, refit.ridge);
    const final = refit ? { ...stored, scaler: refit.scaler } : stored;
    return { artifact: buildArtifact(req, final, graph, report, calibration), report };
  } catch (e) {
    if (e instanceof ForecastError) throw e;
    throw fail(
      'TRAINING_FAILED',
      'trainer.failed',
      { reason: e instanceof Error ? e.message : String(e) },
      'training failed',
    );
  } finally {
    best.dispose();
    baseWeights.dispose();
    t.dispose([tensors.xAll, tensors.yAll, tensors.xVal]);
    optimizer.dispose();
    disposeModels(graph.train, graph.serve);
  }
}
