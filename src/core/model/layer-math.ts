/**
 * Tensor maths and argument checks shared by the custom layers (attention.ts,
 * gca.ts). Depends only on the backend: layer modules import it, never each other.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';

import { fail } from '../base/messages';

const t = tf();

type Tensor = TF.Tensor;
type Shape = Array<number | null>;

/** Layer arguments shared by the custom layers (the tfjs `LayerArgs` we use). */
export interface BaseLayerArgs {
  name?: string;
  trainable?: boolean;
  dtype?: TF.DataType;
  inputShape?: Shape;
  batchInputShape?: Shape;
}

/** Constructor arguments of {@link AdditiveAttention}. */
export interface AdditiveAttentionArgs extends BaseLayerArgs {
  /** Attention units da (width of the tanh scoring layer). Positive integer. */
  units: number;
  /** Seed of the Glorot initialisers (only used when the weights are created). Default 0. */
  seed?: number;
}

/**
 * Checks a layer argument against the model setting that declares it (bounds
 * from src/core/settings/model.ts), so a layer accepts what the trainer does.
 * @throws ForecastError BAD_CONFIG unless `value` is an integer within the bounds.
 */
export function checkInt(
  layer: string,
  key: string,
  value: unknown,
  bounds: { minimum: number; maximum: number },
): number {
  const { minimum: min, maximum: max } = bounds;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw fail('BAD_CONFIG', 'layerMath.badInteger', { layer, key, min, max, got: JSON.stringify(value) });
  }
  return value;
}

/** x [B, L, a] . w [a, b] -> [B, L, b] (one 2-D matMul: fast on every backend). */
export function dot3(x: Tensor, w: Tensor): Tensor {
  const [b, l, a] = x.shape as number[];
  const out = w.shape[1] as number;
  return t.reshape(t.matMul(t.reshape(x, [b * l, a]), w as TF.Tensor2D), [b, l, out]);
}

/**
 * Splits x [B, L, k] into L tensors [B, k] (the steps of an unrolled loop).
 * Two levels (about sqrt(L) chunks, then steps) because the wasm backend's slice
 * copies its whole source for every output: a flat unstack of a [64, 72, 128]
 * tensor costs 72 copies of it (hundreds of ms), the two-level split ~2 sqrt(L).
 * Gradients flow through split as concat.
 */
export function timeSteps(x: Tensor): Tensor[] {
  const [b, l, k] = x.shape as number[];
  const chunk = Math.max(1, Math.round(Math.sqrt(l)));
  const sizes: number[] = [];
  for (let s = 0; s < l; s += chunk) sizes.push(Math.min(chunk, l - s));
  const chunks = sizes.length > 1 ? t.split(x, sizes, 1) : [x];
  const out: Tensor[] = [];
  for (const c of chunks) {
    const n = c.shape[1] as number;
    const parts = n > 1 ? t.split(c, n, 1) : [c];
    for (const p of parts) out.push(t.reshape(p, [b, k]));
  }
  return out;
}

/** The single tensor of a layer input (tfjs may wrap one input in an array). */
export function oneTensor(inputs: Tensor | Tensor[]): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw fail('BAD_INPUT', 'layerMath.oneInput', { got: inputs.length });
    return inputs[0];
  }
  return inputs;
}
