/**
 * The epoch loop: Adam on the MSE of scaled, window-relative targets (see
 * scaler.ts); early stopping on validation MSE restores the best epoch's
 * weights. Reproducible: seeded initialisers (graph.ts) and our own seeded
 * shuffle per epoch (tfjs's `fit` shuffle uses Math.random), batches trained
 * with `trainOnBatch`, so cancellation is checked between every two batches.
 *
 * Epoch 0 is the starting weights: a linear start (linear-start.ts) is the first
 * best, kept when no epoch beats it; a random or previous start is only reported.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { fail } from '../base/messages';
import { permutation, seededRandom } from '../base/random';
import type { EpochLoss } from '../model/artifact';
import type { ForecastGraph } from '../model/graph';
import type { TrainOptions } from '../settings/training';
import { kernelEpochs } from './kernel-epochs';
import { mseOf, predictScaled } from './scaled-forecast';
import type { Prepared } from './split';

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

/** The prepared windows as tensors; the caller disposes them. */
export interface EpochTensors {
  /** [n, L, F] training inputs. */
  xAll: TF.Tensor3D;
  /** [n, iterations, H] training targets, tiled. */
  yAll: TF.Tensor3D;
  /** [m, L, F] validation inputs. */
  xVal: TF.Tensor3D;
}

/**
 * The tensors the loop gathers its batches from. Targets are tiled once per
 * refinement iteration ([n, iterations, H]), so every iteration is supervised.
 */
export function epochTensors(prepared: Prepared, iterations: number): EpochTensors {
  const t = tf();
  const { train, val } = prepared;
  const { count: n, window: L, features: F, horizon: H } = train;
  const yTiled = new Float32Array(n * iterations * H);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < iterations; k++) yTiled.set(train.y.subarray(i * H, (i + 1) * H), (i * iterations + k) * H);
  }
  return {
    xAll: t.tensor3d(train.x, [n, L, F]),
    yAll: t.tensor3d(yTiled, [n, iterations, H]),
    xVal: t.tensor3d(val.x, [val.count, L, F]),
  };
}

/**
 * A copy of the best weights so far, in the model's current weight order. Owned
 * by the caller (disposed in its `finally`), so a cancelled or failed run
 * releases the copy too.
 */
export class BestWeights {
  private weights: TF.Tensor[] | null = null;

  /** Copies the model's current weights, replacing the previous copy. */
  take(serve: TF.LayersModel): void {
    const t = tf();
    if (this.weights) t.dispose(this.weights);
    this.weights = serve.getWeights().map((w) => t.keep(w.clone()));
  }

  /** Sets the copy on the model, if one was taken. */
  restore(serve: TF.LayersModel): void {
    if (this.weights) serve.setWeights(this.weights);
  }

  dispose(): void {
    if (this.weights) tf().dispose(this.weights);
    this.weights = null;
  }
}

/** What the loop works on; the caller creates and disposes the tensors, optimizer and models. */
export interface EpochSetup {
  graph: ForecastGraph;
  tensors: EpochTensors;
  /** [m*H] prepared validation targets. */
  valY: Float32Array;
  optimizer: TF.Optimizer;
  best: BestWeights;
  /** The model config's seed: seeds the shuffle. */
  seed: number;
  /** The starting weights are the ridge model: their validation loss is the first best. */
  linearStart: boolean;
  /** Date.now() when training started: progress and trainMs count from it. */
  start: number;
}

/** How the epochs went; the model holds the best weights afterwards. */
export interface EpochRun {
  history: EpochLoss[];
  /** 0 = the linear start was never beaten. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Validation loss of the starting weights (null when not finite). */
  initialValLoss: number | null;
  trainMs: number;
}

/**
 * Trains epoch by epoch on seeded shuffles until `epochs`, or until `patience`
 * epochs pass without a better validation loss, then sets the best weights.
 * @throws ForecastError CANCELLED (hooks.shouldStop, checked before every batch),
 *   TRAINING_FAILED when a loss is not finite.
 */
export async function runEpochs(s: EpochSetup, o: TrainOptions, hooks: EpochHooks = {}): Promise<EpochRun> {
  const t = tf();
  const { graph, tensors, valY, best } = s;
  const { xAll, yAll, xVal } = tensors;
  const nTrain = xAll.shape[0];
  const history: EpochLoss[] = [];
  let bestValLoss = Infinity;
  let bestEpoch = 0;
  let stoppedEarly = false;
  const rand = seededRandom(s.seed * 7919 + 17);

  // the lstm, attention and gca types train in the fused kernel: same batches, same Adam, weights back in the
  // layers at a new best
  const kernel = kernelEpochs(graph, tensors, o);
  const startLoss = mseOf(kernel ? kernel.validate() : predictScaled(graph.serve, xVal), valY);
  const initialValLoss = Number.isFinite(startLoss) ? startLoss : null;
  if (s.linearStart && initialValLoss !== null) {
    bestValLoss = initialValLoss;
    best.take(graph.serve);
  }
  graph.train.compile({ optimizer: s.optimizer, loss: 'meanSquaredError' });
  const B = Math.min(o.batchSize, nTrain);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const perm = permutation(nTrain, rand);
    let lossSum = 0;
    for (let b = 0; b < nTrain; b += B) {
      if (hooks.shouldStop?.()) throw fail('CANCELLED', 'training.cancelled', {}, 'cancelled');
      if (kernel) {
        const rows = perm.subarray(b, Math.min(b + B, nTrain));
        lossSum += kernel.step(rows) * rows.length;
        // a kernel step does not yield as trainOnBatch does: let the worker see a cancel message
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
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
    const valLoss = mseOf(kernel ? kernel.validate() : predictScaled(graph.serve, xVal), valY);
    if (!Number.isFinite(lossMean) || !Number.isFinite(valLoss)) {
      throw fail('TRAINING_FAILED', 'epochs.diverged', { epoch, loss: lossMean, valLoss }, 'diverged');
    }
    history.push({ epoch, loss: lossMean, valLoss });
    if (valLoss < bestValLoss) {
      bestValLoss = valLoss;
      bestEpoch = epoch;
      kernel?.sync();
      best.take(graph.serve);
    }
    const elapsedMs = Date.now() - s.start;
    hooks.onEpoch?.({ epoch, epochs: o.epochs, loss: lossMean, valLoss, bestValLoss, elapsedMs });
    if (epoch - bestEpoch >= o.patience && epoch < o.epochs) {
      stoppedEarly = true;
      break;
    }
  }
  const trainMs = Date.now() - s.start;
  kernel?.sync();
  best.restore(graph.serve);
  return { history, bestEpoch, stoppedEarly, initialValLoss, trainMs };
}
