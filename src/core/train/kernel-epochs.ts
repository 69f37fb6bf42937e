/**
 * The epoch loop's batch step through the fused kernel (src/core/model/kernel.ts) for the 'lstm', 'attention'
 * and 'gca' types: the same batches, in the same order, as trainOnBatch would take, one trainer step each
 * (forward, backward through time, Adam as tf.train.adam builds it; the attention type's attention and head,
 * and the gca type's attention block, refinement and head, in TypeScript around the kernel's encoder; gca's
 * loss is every iteration's, as its train model's). The weights live in the kernel while the epochs run and are
 * written back into the tfjs layers whenever the loop needs them there (a new best, the end), so the artifact
 * is what tfjs training stores. Null (tfjs trains) when `LSTM_FORECAST_KERNEL=tfjs`, the kernel does not
 * load, or the graph is not one it computes.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import {
  AttentionTrainer,
  KernelTrainer,
  attentionPlan,
  kernelEnabled,
  kernelExports,
  kernelPlan,
  predictAttention,
  predictBatch,
  type AttentionPlan,
  type KernelPlan,
} from '../model/kernel';
import { gcaPlan, gcaSlotStarts, gcaWithArrays, predictGca, type GcaPlan } from '../model/kernel-gca';
import { GcaTrainer } from '../model/kernel-gca-train';

/** Layer names the kernel's plan order maps to (lstm.ts, blocks.ts, attention.ts name them). */
const HEAD_LAYER = 'head';
const HIGHWAY_LAYER = 'highway_dense';
const ATTENTION_LAYER = 'attention';
const GCA_LAYER = 'gca';

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

/** Which plan arrays each layer's weights are, for the 'attention' type's graph (attentionPlan's order). */
function attentionSlots(serve: TF.LayersModel, plan: AttentionPlan): Map<TF.layers.Layer, number[]> | null {
  const slots = new Map<TF.layers.Layer, number[]>();
  for (const layer of serve.layers) {
    if (layer.weights.length === 0) continue;
    if (layer.name === 'lstm_1') slots.set(layer, [0, 1, 2]);
    else if (layer.name === ATTENTION_LAYER) slots.set(layer, [3, 4, 5, 6]);
    else if (layer.name === HEAD_LAYER) slots.set(layer, [7, 8]);
    else if (layer.name === HIGHWAY_LAYER && plan.highway) slots.set(layer, [9, 10]);
    else return null;
  }
  return slots.size === 3 + (plan.highway ? 1 : 0) ? slots : null;
}

/** Which plan arrays each layer's weights are, for the 'gca' type's graph (gcaArrays' order). */
function gcaSlots(serve: TF.LayersModel, plan: GcaPlan): Map<TF.layers.Layer, number[]> | null {
  const { headAt } = gcaSlotStarts(plan);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
  const slots = new Map<TF.layers.Layer, number[]>();
  for (const layer of serve.layers) {
    if (layer.weights.length === 0) continue;
    if (layer.name === 'lstm_1') slots.set(layer, [0, 1, 2]);
    else if (layer.name === GCA_LAYER) slots.set(layer, range(3, headAt));
    else if (layer.name === HEAD_LAYER) slots.set(layer, [headAt, headAt + 1]);
    else if (layer.name === HIGHWAY_LAYER && plan.highway) slots.set(layer, [headAt + 2, headAt + 3]);
    else return null;
  }
  for (const [layer, at] of slots) if (layer.weights.length !== at.length) return null;
  return slots.size === 3 + (plan.highway ? 1 : 0) ? slots : null;
}

/** A kernel trainer of any type, its layer slots and its forecast of the validation windows. */
interface KernelPath {
  trainer: Pick<KernelTrainer, 'step' | 'weights'>;
  slots: Map<TF.layers.Layer, number[]>;
  horizon: number;
  /** The forecasts a target row holds (gca: one per iteration; else 1). */
  iterations: number;
  forecast(arrays: Float32Array[], x: Float32Array, count: number): Float32Array;
}

/** The kernel path of the graph's stored topology, or null (not a graph the kernel trains, or too large). */
function kernelPath(serve: TF.LayersModel, batchSize: number, learningRate: number): KernelPath | null {
  // the stored order: every layer's weights in topology order, whatever is frozen
  const weights = serve.layers.flatMap((l) =>
    l.weights.map((w) => {
      const v = w.read();
      return { shape: v.shape.slice(), values: v.dataSync() as Float32Array };
    }),
  );
  const topology = serve.toJSON(null, false);
  const highway = serve.layers.find((l) => l.name === HIGHWAY_LAYER);
  const o = { batchSize, learningRate, frozenHighway: !!highway && !highway.trainable };
  try {
    const plan = kernelPlan(topology, weights);
    if (plan) {
      const slots = layerSlots(serve, plan);
      return slots
        ? {
            trainer: new KernelTrainer(plan, o),
            slots,
            horizon: plan.horizon,
            iterations: 1,
            forecast: (arrays, x, count) => predictBatch({ ...plan, arrays }, x, count),
          }
        : null;
    }
    const att = attentionPlan(topology, weights);
    if (att) {
      const slots = attentionSlots(serve, att);
      return slots
        ? {
            trainer: new AttentionTrainer(att, o),
            slots,
            horizon: att.horizon,
            iterations: 1,
            forecast: (arrays, x, count) => predictAttention({ ...att, arrays }, x, count).forecast,
          }
        : null;
    }
    const gca = gcaPlan(topology, weights);
    const slots = gca && gcaSlots(serve, gca);
    return gca && slots
      ? {
          trainer: new GcaTrainer(gca, o),
          slots,
          horizon: gca.horizon,
          iterations: gca.iterations,
          forecast: (arrays, x, count) => predictGca(gcaWithArrays(gca, arrays), x, count).forecast,
        }
      : null;
  } catch {
    return null; // beyond the kernel's memory bound: tfjs trains it
  }
}

/**
 * The kernel's batch step for this graph, or null when tfjs must train it.
 * @param yAll [n, iterations, H] targets (iterations > 1: the gca type only).
 */
export function kernelEpochs(
  graph: { serve: TF.LayersModel; iterations: number },
  tensors: { xAll: TF.Tensor3D; yAll: TF.Tensor3D; xVal: TF.Tensor3D },
  o: { batchSize: number; learningRate: number },
): KernelEpochs | null {
  const { serve } = graph;
  if (!kernelEnabled() || !kernelExports() || tensors.yAll.shape[1] !== graph.iterations) return null;
  const [n, T, F] = tensors.xAll.shape;
  const B = Math.min(o.batchSize, n);
  const path = kernelPath(serve, B, o.learningRate);
  if (!path || path.iterations !== graph.iterations) return null;
  const { trainer, slots } = path;
  // a target row: every iteration's forecast
  const H = path.horizon * path.iterations;
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
      return m > 0 ? path.forecast(trainer.weights(), xVal, m) : new Float32Array(0);
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
