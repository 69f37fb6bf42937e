/**
 * The epoch loop's batch step through the fused kernel (src/core/model/kernel.ts) for the 'lstm' type:
 * the same batches, in the same order, as trainOnBatch would take, one kernel call each (forward,
 * backward through time, Adam as tf.train.adam builds it). The weights live in the kernel while the
 * epochs run and are written back into the tfjs layers whenever the loop needs them there (a new best,
 * the end), so the artifact is what tfjs training stores. Null (tfjs trains) when
 * `LSTM_FORECAST_KERNEL=tfjs`, the kernel does not load, or the graph is not one it computes.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import {
  KernelTrainer,
  kernelEnabled,
  kernelExports,
  kernelPlan,
  predictBatch,
  type KernelPlan,
} from '../model/kernel';

/** Layer names the kernel's plan order maps to (lstm.ts names them; linear-start.ts relies on the last two). */
const HEAD_LAYER = 'head';
const HIGHWAY_LAYER = 'highway_dense';

export interface KernelEpochs {
  /** One Adam step on the windows `rows` of the training set: the batch's loss before the step. */
  step(rows: Int32Array): number;
  /** The validation forecasts [m * H] of the current weights. */
  validate(): Float32Array;
  /** Writes the current weights into the serve model's layers (shared with the train model). */
  sync(): void;
}

/** Which plan arrays each layer's weights are, in the layer's own order. */
function layerSlots(serve: TF.LayersModel, plan: KernelPlan): Map<TF.layers.Layer, number[]> | null {
  const L = plan.units.length;
  const slots = new Map<TF.layers.Layer, number[]>();
  for (const layer of serve.layers) {
    if (layer.weights.length === 0) continue;
    const m = /^lstm_([12])$/.exec(layer.name);
    if (m && Number(m[1]) <= L)
      slots.set(
        layer,
        [0, 1, 2].map((i) => 3 * (Number(m[1]) - 1) + i),
      );
    else if (layer.name === HEAD_LAYER) slots.set(layer, [3 * L, 3 * L + 1]);
    else if (layer.name === HIGHWAY_LAYER && plan.highway) slots.set(layer, [3 * L + 2, 3 * L + 3]);
    else return null;
  }
  return slots.size === L + 1 + (plan.highway ? 1 : 0) ? slots : null;
}

/**
 * The kernel's batch step for this graph, or null when tfjs must train it.
 * @param yAll [n, iterations, H] targets: the kernel trains iterations = 1 only.
 */
export function kernelEpochs(
  graph: { serve: TF.LayersModel; iterations: number },
  tensors: { xAll: TF.Tensor3D; yAll: TF.Tensor3D; xVal: TF.Tensor3D },
  o: { batchSize: number; learningRate: number },
): KernelEpochs | null {
  const { serve } = graph;
  if (!kernelEnabled() || !kernelExports() || graph.iterations !== 1 || tensors.yAll.shape[1] !== 1) return null;
  // the stored order: every layer's weights in topology order, whatever is frozen
  const weights = serve.layers.flatMap((l) =>
    l.weights.map((w) => {
      const v = w.read();
      return { shape: v.shape.slice(), values: v.dataSync() as Float32Array };
    }),
  );
  const plan = kernelPlan(serve.toJSON(null, false), weights);
  if (!plan) return null;
  const slots = layerSlots(serve, plan);
  if (!slots) return null;
  const highway = serve.layers.find((l) => l.name === HIGHWAY_LAYER);
  const [n, T, F] = tensors.xAll.shape;
  const H = plan.horizon;
  const B = Math.min(o.batchSize, n);
  let trainer: KernelTrainer;
  try {
    trainer = new KernelTrainer(plan, {
      batchSize: B,
      learningRate: o.learningRate,
      frozenHighway: !!highway && !highway.trainable,
    });
  } catch {
    return null; // beyond the kernel's memory bound: tfjs trains it
  }
  const x = tensors.xAll.dataSync() as Float32Array;
  const y = tensors.yAll.dataSync() as Float32Array;
  const xVal = tensors.xVal.dataSync() as Float32Array;
  const m = tensors.xVal.shape[0];
  const row = T * F;
  const xb = new Float32Array(B * row);
  const yb = new Float32Array(B * H);
  return {
    step(rows) {
      const c = rows.length;
      for (let i = 0; i < c; i++) {
        const r = rows[i];
        xb.set(x.subarray(r * row, (r + 1) * row), i * row);
        yb.set(y.subarray(r * H, (r + 1) * H), i * H);
      }
      return trainer.step(xb.subarray(0, c * row), yb.subarray(0, c * H), c);
    },
    validate() {
      return m > 0 ? predictBatch({ ...plan, arrays: trainer.weights() }, xVal, m) : new Float32Array(0);
    },
    sync() {
      const arrays = trainer.weights();
      const t = tf();
      for (const [layer, at] of slots) {
        const values = at.map((i, j) => t.tensor(arrays[i], layer.weights[j].read().shape));
        layer.setWeights(values);
        t.dispose(values);
      }
    },
  };
}
