/**
 * Linear start: with the highway on (and not continuing a previous artifact), a
 * ridge regression (ridge.ts) from the prepared flattened window to the prepared
 * targets is fitted before the first epoch, alpha chosen on the validation
 * windows, and loaded into the highway's Dense layer while the recurrent head's
 * Dense layer is zeroed: the network starts as that linear model exactly. Its
 * validation loss ("epoch 0", report.initialValLoss) is the first best of early
 * stopping (epochs.ts), so when no epoch beats it the ridge weights are what is
 * stored (report.bestEpoch 0). Why: from a random head, a few epochs of Adam
 * ended worse than the linear model and even than the reference alone (hourly
 * temperature MASE 0.944 after 10 epochs; reference 0.716, ridge 0.646).
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { fail } from '../base/messages';
import type { TrainOptions } from '../settings/training';
import { RIDGE_ALPHAS, selectRidge, type RidgeModel } from './ridge';
import type { Prepared } from './split';

/** Layer names the linear start relies on (graph.ts withHighway; every builder's final Dense is 'head'). */
const HIGHWAY_LAYER = 'highway_dense';
const HEAD_LAYER = 'head';

/** What the linear start left on the model. */
export interface LinearStart {
  /** The ridge penalty chosen on the validation windows. */
  alpha: number;
  /** The highway layer when it was frozen ('frozen' linear path), to make trainable again before saving. */
  frozen: TF.layers.Layer | null;
}

function layerNamed(serve: TF.LayersModel, name: string): TF.layers.Layer {
  const layer = serve.layers.find((l) => l.name === name);
  if (!layer) {
    const names = serve.layers.map((l) => l.name).join(', ');
    throw fail('TRAINING_FAILED', 'linearStart.noLayer', { serveName: serve.name, name, names });
  }
  return layer;
}

/**
 * Makes the network equal the linear model `ridge`: the highway Dense gets the
 * ridge weights ([L*F, H] kernel: the flatten layer reads [L, F] row-major, the
 * same order as the prepared inputs the ridge was fitted on) and intercept, the
 * recurrent head's Dense (shared by every GCA iteration) gets zeros. The layers
 * are shared by the train and serve models.
 */
export function loadLinearStart(serve: TF.LayersModel, ridge: RidgeModel): void {
  const t = tf();
  const highway = layerNamed(serve, HIGHWAY_LAYER);
  const head = layerNamed(serve, HEAD_LAYER);
  const [kernel] = highway.getWeights();
  if (kernel.shape.length !== 2 || kernel.shape[0] !== ridge.inputs || kernel.shape[1] !== ridge.outputs) {
    throw fail('TRAINING_FAILED', 'linearStart.shapeDiffers', {
      kernel: kernel.shape.join(', '),
      inputs: ridge.inputs,
      outputs: ridge.outputs,
    });
  }
  t.tidy(() => {
    highway.setWeights([
      t.tensor2d(Float32Array.from(ridge.weights), [ridge.inputs, ridge.outputs]),
      t.tensor1d(Float32Array.from(ridge.intercept)),
    ]);
    head.setWeights(head.getWeights().map((w) => t.zerosLike(w)));
  });
}

/**
 * Fits the ridge model on the prepared windows (alpha chosen on the validation
 * windows), loads it (see {@link loadLinearStart}) and, for the 'frozen' linear
 * path, freezes the highway: the recurrent part then learns what the ridge model
 * misses.
 */
export function startLinear(
  serve: TF.LayersModel,
  prepared: Prepared,
  linearPath: TrainOptions['linearPath'],
): LinearStart {
  const { train, val } = prepared;
  const D = train.window * train.features;
  const H = train.horizon;
  const ridge = selectRidge(
    { data: train.x, rows: train.count, cols: D },
    { data: train.y, rows: train.count, cols: H },
    { data: val.x, rows: val.count, cols: D },
    { data: val.y, rows: val.count, cols: H },
    RIDGE_ALPHAS,
  );
  loadLinearStart(serve, ridge.model);
  let frozen: TF.layers.Layer | null = null;
  if (linearPath === 'frozen') {
    frozen = layerNamed(serve, HIGHWAY_LAYER);
    frozen.trainable = false;
  }
  return { alpha: ridge.model.alpha, frozen };
}

/**
 * Makes a frozen linear path trainable again. Needed before saving:
 * model.weights lists trainable weights first, so a frozen layer would change
 * the order the artifact stores them in (the best weights of the epoch loop were
 * taken, and are set, in the frozen order).
 */
export function unfreezeLinearPath(start: LinearStart | null): void {
  if (start?.frozen) start.frozen.trainable = true;
}

/**
 * Starts the highway from the chosen base (train/base.ts): its ridge fit, or
 * zeros (the network then starts as the base's reference exactly), the head
 * zeroed; frozen for the 'frozen' linear path.
 */
export function startFromBase(
  serve: TF.LayersModel,
  ridge: RidgeModel | null,
  linearPath: TrainOptions['linearPath'],
): LinearStart | null {
  const highway = layerNamed(serve, HIGHWAY_LAYER);
  const [D, H] = highway.getWeights()[0].shape;
  loadLinearStart(
    serve,
    ridge ?? { weights: new Float64Array(D * H), intercept: new Float64Array(H), alpha: 0, inputs: D, outputs: H },
  );
  let frozen: TF.layers.Layer | null = null;
  if (linearPath === 'frozen') {
    frozen = highway;
    frozen.trainable = false;
  }
  return { alpha: ridge ? ridge.alpha : 0, frozen };
}

/** Zeroes the recurrent head's Dense layer: the network's output is then the highway's (or 0 without one). */
export function zeroHead(serve: TF.LayersModel): void {
  const t = tf();
  const head = layerNamed(serve, HEAD_LAYER);
  t.tidy(() => head.setWeights(head.getWeights().map((w) => t.zerosLike(w))));
}

/** A ridge fit (null: zeros) as the highway's kernel [D, H] and bias [H] tensors, inside a tidy. */
function ridgeTensors([D, H]: number[]): {
  k: (r: RidgeModel | null) => TF.Tensor;
  b: (r: RidgeModel | null) => TF.Tensor;
} {
  const t = tf();
  return {
    k: (r) => (r ? t.tensor2d(Float32Array.from(r.weights), [D, H]) : t.zeros([D, H])),
    b: (r) => (r ? t.tensor1d(Float32Array.from(r.intercept)) : t.zeros([H])),
  };
}

/**
 * Puts a network trained on one member of a combined base (train/base.ts, `anchor`) into the mean in that
 * member's place: the forecast becomes sum_j w_j (ref_j + ridge_j(x)) with the member's ridge replaced by what
 * the network made of it (its highway and head). All of it is linear in the highway's and the head's Dense
 * layers (every model type adds head and highway last), so it is exact: highway = the mean's ridge + w (trained
 * highway - the member's ridge), head = w head.
 * @param base the combination's ridge (null: zeros). @param anchor the member's ridge (null: zeros).
 * @param weight the member's weight in the mean.
 */
export function blendIntoBase(
  serve: TF.LayersModel,
  base: RidgeModel | null,
  anchor: RidgeModel | null,
  weight: number,
): void {
  const t = tf();
  const head = layerNamed(serve, HEAD_LAYER);
  const highway = serve.layers.find((l) => l.name === HIGHWAY_LAYER);
  t.tidy(() => {
    head.setWeights(head.getWeights().map((w) => t.mul(w, weight)));
    if (!highway) return;
    const [kernel, bias] = highway.getWeights();
    const { k, b } = ridgeTensors(kernel.shape);
    highway.setWeights([
      t.add(t.mul(t.sub(kernel, k(anchor)), weight), k(base)),
      t.add(t.mul(t.sub(bias, b(anchor)), weight), b(base)),
    ]);
  });
}

/**
 * Moves the highway from one ridge fit of the base to another (refitBase in train/base.ts): highway += to - from
 * (null: zeros), the head untouched. With the linear path frozen, or the network dropped, the highway holds `from`
 * exactly and then holds `to`; with a trained highway its learned change is kept on top of the new fit.
 */
export function shiftHighway(serve: TF.LayersModel, from: RidgeModel | null, to: RidgeModel | null): void {
  const t = tf();
  const highway = serve.layers.find((l) => l.name === HIGHWAY_LAYER);
  if (!highway || (!from && !to)) return;
  t.tidy(() => {
    const [kernel, bias] = highway.getWeights();
    const { k, b } = ridgeTensors(kernel.shape);
    highway.setWeights([t.add(kernel, t.sub(k(to), k(from))), t.add(bias, t.sub(b(to), b(from)))]);
  });
}
