/**
 * Trains a forecaster on a dataset of windows and returns its artifact.
 *
 * Adam on the MSE of scaled, window-relative targets (see scaler.ts); the
 * validation windows are the chronologically last part of the data (or given
 * explicitly); early stopping on validation MSE restores the best epoch's
 * weights. Reproducible: seeded initialisers (graph.ts) and our own seeded
 * shuffle per epoch (tfjs's `fit` shuffle uses Math.random), batches trained
 * with `trainOnBatch`, so cancellation is checked between every two batches.
 *
 * Linear start: with the highway on (and not continuing a previous artifact), a
 * ridge regression (ridge.ts) from the prepared flattened window to the prepared
 * targets is fitted before the first epoch, alpha chosen on the validation
 * windows, and loaded into the highway's Dense layer while the recurrent head's
 * Dense layer is zeroed: the network starts as that linear model exactly. Its
 * validation loss ("epoch 0", report.initialValLoss) is the first best of early
 * stopping, so when no epoch beats it the ridge weights are what is stored
 * (report.bestEpoch 0). Why: from a random head, a few epochs of Adam ended worse
 * than the linear model and even than the reference alone (hourly temperature
 * MASE 0.944 after 10 epochs; reference 0.716, ridge 0.646).
 */
import type * as TF from '@tensorflow/tfjs';
import { backendInfo, tf } from '../base/backend';
import { ForecastError } from '../base/errors';
import { buildGraph } from '../model/graph';
import type { ModelConfig } from '../settings/model';
import type { TrainOptions } from '../settings/training';
import type { TrainData } from './train-data';
import { checkTrainRequest, type CheckedRequest, type RequestSources } from './request';
import { chooseReference, fitScaler, prepare, restoreForecast, type ScalerState } from '../data/scaler';
import { targetsToMatrix, validationScores } from '../data/metrics';
import {
  serializeModel,
  applyWeights,
  disposeModels,
  type ModelArtifact,
  type TrainReport,
  type EpochLoss,
} from '../model/artifact';
import { RIDGE_ALPHAS, selectRidge, type RidgeModel } from './ridge';
import { permutation, seededRandom } from '../base/random';

export type { TrainReport, EpochLoss } from '../model/artifact';
export type { TrainOptions } from '../settings/training';
export type { TrainData, TrainDataMeta, ValidationData } from './train-data';

/** Progress of one epoch (losses: MSE on scaled window-relative targets). */
export interface EpochProgress {
  /** 1-based. */
  epoch: number;
  /** Maximum epochs. */
  epochs: number;
  loss: number;
  valLoss: number;
  bestValLoss: number;
  /** Since training started, ms. */
  elapsedMs: number;
}

/** What a training run reports to and asks of its caller while it runs. */
export interface EpochHooks {
  onEpoch?: (p: EpochProgress) => void;
  /** Checked before every batch; true cancels (ForecastError 'CANCELLED'). */
  shouldStop?: () => boolean;
}

/** Progress and cancellation, and what the request brings besides the data: previous artifact, validation windows. */
export interface TrainHooks extends EpochHooks, RequestSources {}

export interface TrainResult {
  artifact: ModelArtifact;
  report: TrainReport;
}

/** First output of a model's predict (the forecast), whether it has one or two outputs. */
function firstOutput(out: TF.Tensor | TF.Tensor[]): TF.Tensor {
  return Array.isArray(out) ? out[0] : out;
}

/** Scaled window-relative forecasts [N*H] of `serve` on prepared inputs, in batches. */
function predictScaled(serve: TF.LayersModel, x: TF.Tensor3D, batchSize: number): Float32Array {
  const t = tf();
  return t.tidy(() => firstOutput(serve.predict(x, { batchSize }) as TF.Tensor | TF.Tensor[]).dataSync() as Float32Array);
}

function mseOf(pred: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return s / y.length;
}

/** Layer names the linear start relies on (graph.ts withHighway; every builder's final Dense is 'head'). */
const HIGHWAY_LAYER = 'highway_dense';
const HEAD_LAYER = 'head';

/**
 * Makes the network equal the linear model `ridge`: the highway Dense gets the
 * ridge weights ([L*F, H] kernel: the flatten layer reads [L, F] row-major, the
 * same order as the prepared inputs the ridge was fitted on) and intercept, the
 * recurrent head's Dense (shared by every GCA iteration) gets zeros. The layers
 * are shared by the train and serve models.
 */
function layerNamed(serve: TF.LayersModel, name: string): TF.layers.Layer {
  const layer = serve.layers.find((l) => l.name === name);
  if (!layer) throw new ForecastError('TRAINING_FAILED', `cannot start from the linear model: the ${serve.name} model has no layer '${name}' (layers: ${serve.layers.map((l) => l.name).join(', ')})`);
  return layer;
}

function loadLinearStart(serve: TF.LayersModel, ridge: RidgeModel): void {
  const t = tf();
  const highway = layerNamed(serve, HIGHWAY_LAYER);
  const head = layerNamed(serve, HEAD_LAYER);
  const [kernel] = highway.getWeights();
  if (kernel.shape.length !== 2 || kernel.shape[0] !== ridge.inputs || kernel.shape[1] !== ridge.outputs) {
    throw new ForecastError('TRAINING_FAILED', `cannot start from the linear model: highway kernel [${kernel.shape.join(', ')}], ridge [${ridge.inputs}, ${ridge.outputs}]`);
  }
  t.tidy(() => {
    highway.setWeights([t.tensor2d(Float32Array.from(ridge.weights), [ridge.inputs, ridge.outputs]), t.tensor1d(Float32Array.from(ridge.intercept))]);
    head.setWeights(head.getWeights().map((w) => t.zerosLike(w)));
  });
}

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
  const { data, previous, options: o, model: cfg, targetIndex } = req;
  const { window: L, horizon: H, features } = data;
  const F = features.length;

  // Chronological split: the last windows validate.
  let trainIn: number[][][], trainTg: number[][][], valIn: number[][][], valTg: number[][][];
  if (req.validation) {
    trainIn = data.inputs;
    trainTg = data.targets;
    valIn = req.validation.inputs;
    valTg = req.validation.targets;
  } else {
    const N = data.inputs.length;
    const nVal = Math.max(1, Math.round(N * o.validationFraction));
    trainIn = data.inputs.slice(0, N - nVal);
    trainTg = data.targets.slice(0, N - nVal);
    valIn = data.inputs.slice(N - nVal);
    valTg = data.targets.slice(N - nVal);
  }
  if (trainIn.length < o.minWindows || valIn.length < 1) {
    throw new ForecastError(
      'BAD_INPUT',
      `not enough windows: need at least ${o.minWindows} for training and 1 for validation, got ${trainIn.length} + ${valIn.length}` +
        (req.validation ? '' : ` (${data.inputs.length} windows split by validationFraction ${o.validationFraction})`),
      'too few windows',
    );
  }

  let scaler: ScalerState;
  if (previous) {
    scaler = previous.scaler;
  } else {
    const z = fitScaler(trainIn);
    scaler = { ...z, ...(o.reference === 'seasonal' ? chooseReference(trainIn, trainTg, z, targetIndex, o.season) : { reference: 'last' as const }) };
  }
  const train = prepare(trainIn, trainTg, scaler, targetIndex);
  const val = prepare(valIn, valTg, scaler, targetIndex);

  const graph = buildGraph({ window: L, features: F, horizon: H }, cfg);
  const N_IT = graph.iterations;
  const nTrain = train.count;
  // Targets tiled N_IT times: [n, N_IT, H], so every refinement iteration is supervised.
  const yTiled = new Float32Array(nTrain * N_IT * H);
  for (let i = 0; i < nTrain; i++) {
    for (let k = 0; k < N_IT; k++) yTiled.set(train.y.subarray(i * H, (i + 1) * H), (i * N_IT + k) * H);
  }

  const xAll = t.tensor3d(train.x, [nTrain, L, F]);
  const yAll = t.tensor3d(yTiled, [nTrain, N_IT, H]);
  const xVal = t.tensor3d(val.x, [val.count, L, F]);
  let best: TF.Tensor[] | null = null;
  const optimizer = t.train.adam(o.learningRate);
  const history: EpochLoss[] = [];
  let bestValLoss = Infinity;
  let bestEpoch = 0;
  let stoppedEarly = false;
  let ridgeAlpha: number | null = null;
  let frozen: TF.layers.Layer | null = null;
  let initialValLoss: number | null = null;
  const start = Date.now();
  let trainMs = 0;
  const rand = seededRandom(cfg.seed * 7919 + 17);

  try {
    if (previous) {
      applyWeights(graph.serve, previous);
    } else if (cfg.highway) {
      const D = L * F;
      const ridge = selectRidge(
        { data: train.x, rows: nTrain, cols: D },
        { data: train.y, rows: nTrain, cols: H },
        { data: val.x, rows: val.count, cols: D },
        { data: val.y, rows: val.count, cols: H },
        RIDGE_ALPHAS,
      );
      loadLinearStart(graph.serve, ridge.model);
      ridgeAlpha = ridge.model.alpha;
      // A frozen linear path: the recurrent part learns what the ridge model misses.
      if (o.linearPath === 'frozen') {
        frozen = layerNamed(graph.serve, HIGHWAY_LAYER);
        frozen.trainable = false;
      }
    }
    // Epoch 0: the starting weights. A linear start is the first best (kept when
    // no epoch beats it); a random or previous start is only reported.
    const startLoss = mseOf(predictScaled(graph.serve, xVal, 256), val.y);
    initialValLoss = Number.isFinite(startLoss) ? startLoss : null;
    if (ridgeAlpha !== null && initialValLoss !== null) {
      bestValLoss = initialValLoss;
      best = graph.serve.getWeights().map((w) => t.keep(w.clone()));
    }
    graph.train.compile({ optimizer, loss: 'meanSquaredError' });
    const B = Math.min(o.batchSize, nTrain);
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const perm = permutation(nTrain, rand);
      let lossSum = 0;
      for (let b = 0; b < nTrain; b += B) {
        if (hooks.shouldStop?.()) throw new ForecastError('CANCELLED', 'training was cancelled', 'cancelled');
        const idx = t.tensor1d(perm.subarray(b, Math.min(b + B, nTrain)), 'int32');
        const xb = t.gather(xAll, idx);
        const yb = t.gather(yAll, idx);
        let loss: number | number[];
        try {
          loss = await graph.train.trainOnBatch(xb, yb);
        } finally {
          t.dispose([idx, xb, yb]);
        }
        const l = Array.isArray(loss) ? loss[0] : loss;
        lossSum += l * idx.shape[0];
      }
      const lossMean = lossSum / nTrain;
      const valLoss = mseOf(predictScaled(graph.serve, xVal, 256), val.y);
      if (!Number.isFinite(lossMean) || !Number.isFinite(valLoss)) {
        throw new ForecastError('TRAINING_FAILED', `training diverged at epoch ${epoch} (loss ${lossMean}, validation loss ${valLoss}); try a lower learning rate`, 'diverged');
      }
      history.push({ epoch, loss: lossMean, valLoss });
      if (valLoss < bestValLoss) {
        bestValLoss = valLoss;
        bestEpoch = epoch;
        if (best) t.dispose(best);
        best = graph.serve.getWeights().map((w) => t.keep(w.clone()));
      }
      hooks.onEpoch?.({ epoch, epochs: o.epochs, loss: lossMean, valLoss, bestValLoss, elapsedMs: Date.now() - start });
      if (epoch - bestEpoch >= o.patience && epoch < o.epochs) {
        stoppedEarly = true;
        break;
      }
    }
    trainMs = Date.now() - start;
    if (best) graph.serve.setWeights(best);
    // Trainable again before saving: model.weights lists trainable weights first,
    // so a frozen layer would change the order the artifact stores them in
    // (`best` above was taken, and is set, in the frozen order).
    if (frozen) frozen.trainable = true;

    const valPred = restoreForecast(predictScaled(graph.serve, xVal, 256), val.levels, scaler, targetIndex, H, val.refs);
    const validation = validationScores(trainIn, valIn, targetsToMatrix(valTg), valPred, targetIndex, o.season);
    const params = graph.serve.countParams();
    const report: TrainReport = {
      name: o.name,
      type: cfg.type,
      backend: backendInfo()?.name ?? t.getBackend(),
      params,
      epochs: history.length,
      bestEpoch,
      stoppedEarly,
      trainWindows: nTrain,
      valWindows: val.count,
      trainSeconds: trainMs / 1000,
      windowsPerSecond: trainMs > 0 ? (history.length * nTrain) / (trainMs / 1000) : 0,
      history,
      initialValLoss,
      ridgeAlpha,
      validation,
      incremental: !!previous,
    };
    const artifact = serializeModel({
      name: o.name,
      version: o.version ?? (previous ? previous.version + 1 : 1),
      spec: { window: L, horizon: H, features: features.slice(), target: data.target, targetIndex, step: data.step ?? 0, series: data.series ?? '' },
      model: cfg,
      iterations: graph.iterations,
      hasAttention: graph.hasAttention,
      scaler,
      serve: graph.serve,
      report,
      backend: report.backend,
    });
    return { artifact, report };
  } catch (e) {
    if (e instanceof ForecastError) throw e;
    throw new ForecastError('TRAINING_FAILED', `training failed: ${e instanceof Error ? e.message : String(e)}`, 'training failed');
  } finally {
    if (best) t.dispose(best);
    t.dispose([xAll, yAll, xVal]);
    optimizer.dispose();
    disposeModels(graph.train, graph.serve);
  }
}
