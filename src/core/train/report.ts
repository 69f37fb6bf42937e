/**
 * What a run hands back: the report (validation scores in real units beside the
 * baselines, the loss history, how the run went) and the artifact built from the
 * trained serve model. Apart from the loop because it only reads the trained
 * model: nothing here changes a weight.
 */
import type * as TF from '../base/tfjs';
import { backendInfo, tf } from '../base/backend';
import { targetsToMatrix, validationScores } from '../data/metrics';
import { restoreForecast } from '../data/scaler';
import { BACKTEST_MAX_WINDOWS, calibrateBySeries, type Calibration, type Forecasts } from '../data/conformal';
import { serializeModel, type ModelArtifact, type TrainReport } from '../model/artifact';
import type { ForecastGraph } from '../model/graph';
import type { EpochRun } from './epochs';
import type { CheckedRequest } from './request';
import { predictScaled } from './scaled-forecast';
import { trainSeriesIds, type Prepared } from './split';

export interface TrainResult {
  artifact: ModelArtifact;
  report: TrainReport;
}

/**
 * The report of a finished run: the model's validation forecasts (of the
 * weights it holds now, the best ones) scored in real units.
 * @param xVal [m, L, F] the prepared validation inputs.
 * @param ridgeAlpha the linear start's penalty, null without one.
 */
export function trainReport(
  req: CheckedRequest,
  prepared: Prepared,
  graph: ForecastGraph,
  xVal: TF.Tensor3D,
  run: EpochRun,
  ridgeAlpha: number | null,
): TrainReport {
  const { options: o, targetIndex } = req;
  const { scaler, train, val, trainWindows, valWindows } = prepared;
  const { history, trainMs } = run;
  const H = req.data.horizon;
  const valPred = restoreForecast(predictScaled(graph.serve, xVal), val.levels, scaler, targetIndex, H, val.refs);
  const truth = targetsToMatrix(valWindows.targets);
  const validation = validationScores(trainWindows.inputs, valWindows.inputs, truth, valPred, targetIndex, o.season);
  return {
    name: o.name,
    type: req.model.type,
    backend: backendInfo()?.name ?? tf().getBackend(),
    params: graph.serve.countParams(),
    epochs: history.length,
    bestEpoch: run.bestEpoch,
    stoppedEarly: run.stoppedEarly,
    trainWindows: train.count,
    valWindows: val.count,
    trainSeconds: trainMs / 1000,
    windowsPerSecond: trainMs > 0 ? (history.length * train.count) / (trainMs / 1000) : 0,
    history,
    initialValLoss: run.initialValLoss,
    ridgeAlpha,
    validation,
    incremental: !!req.previous,
  };
}

/**
 * The split-conformal calibration of the trained model: its validation
 * forecasts (the weights it holds now) against the validation truth, real units,
 * with its backtest over the training windows (data/conformal.ts says why).
 * Null when a validation forecast is not finite (the artifact then has no intervals).
 */
export function validationCalibration(
  req: CheckedRequest,
  prepared: Prepared,
  graph: ForecastGraph,
  xVal: TF.Tensor3D,
): Calibration | null {
  const { val, valWindows, scaler } = prepared;
  const H = req.data.horizon;
  const valPred = restoreForecast(predictScaled(graph.serve, xVal), val.levels, scaler, req.targetIndex, H, val.refs);
  return calibrateBySeries(
    targetsToMatrix(valWindows.targets),
    valPred,
    prepared.valIds,
    backtestForecasts(req, prepared, graph),
  );
}

/**
 * The model's forecasts over its training windows, real units, with their series ids when the data names several:
 * at most {@link BACKTEST_MAX_WINDOWS}, evenly spaced over the history (the newest always), so the pass stays bounded.
 */
function backtestForecasts(
  req: CheckedRequest,
  prepared: Prepared,
  graph: ForecastGraph,
): (Forecasts & { ids?: string[] }) | undefined {
  const { train, trainWindows, scaler } = prepared;
  const N = train.count;
  const H = req.data.horizon;
  if (N === 0 || H === 0) return undefined;
  const stride = Math.ceil(N / BACKTEST_MAX_WINDOWS);
  const picked: number[] = [];
  for (let i = N - 1; i >= 0; i -= stride) picked.unshift(i);
  const LF = train.window * train.features;
  const x = new Float32Array(picked.length * LF);
  const levels = new Float32Array(picked.length);
  const refs = new Float32Array(picked.length * H);
  picked.forEach((i, k) => {
    x.set(train.x.subarray(i * LF, (i + 1) * LF), k * LF);
    levels[k] = train.levels[i];
    refs.set(train.refs.subarray(i * H, (i + 1) * H), k * H);
  });
  const xt = tf().tensor3d(x, [picked.length, train.window, train.features]);
  let scaled: Float32Array;
  try {
    scaled = predictScaled(graph.serve, xt);
  } finally {
    xt.dispose();
  }
  const pred = restoreForecast(scaled, levels, scaler, req.targetIndex, H, refs);
  const truth = targetsToMatrix(picked.map((i) => trainWindows.targets[i]));
  const ids = trainSeriesIds(req);
  return ids && ids.length === N ? { truth, pred, ids: picked.map((i) => ids[i]) } : { truth, pred };
}

/**
 * The artifact of the trained serve model, the scaler and the report. Its
 * version: the option, else the previous artifact's + 1, else 1.
 */
export function buildArtifact(
  req: CheckedRequest,
  prepared: Prepared,
  graph: ForecastGraph,
  report: TrainReport,
  calibration: Calibration | null = null,
): ModelArtifact {
  const { data, options: o, previous } = req;
  return serializeModel({
    name: o.name,
    version: o.version ?? (previous ? previous.version + 1 : 1),
    spec: {
      window: data.window,
      horizon: data.horizon,
      features: data.features.slice(),
      target: data.target,
      targetIndex: req.targetIndex,
      step: data.step ?? 0,
      series: data.series ?? '',
    },
    model: req.model,
    iterations: graph.iterations,
    hasAttention: graph.hasAttention,
    scaler: prepared.scaler,
    serve: graph.serve,
    report,
    backend: report.backend,
    calibration,
  });
}
