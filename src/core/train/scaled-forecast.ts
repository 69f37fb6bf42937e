/**
 * The serve model's forecasts in the scaled, window-relative units it is trained
 * in, and their MSE. Shared by the epoch loop (the validation loss of the start
 * and of every epoch) and the report (the validation forecast it restores to
 * real units and scores).
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';

/** Windows per predict batch: bounds the memory of a validation pass. */
export const PREDICT_BATCH = 256;

/** First output of a model's predict (the forecast), whether it has one or two outputs. */
function firstOutput(out: TF.Tensor | TF.Tensor[]): TF.Tensor {
  return Array.isArray(out) ? out[0] : out;
}

/** Scaled window-relative forecasts [N*H] of `serve` on prepared inputs, in batches. */
export function predictScaled(serve: TF.LayersModel, x: TF.Tensor3D, batchSize = PREDICT_BATCH): Float32Array {
  const t = tf();
  return t.tidy(
    () => firstOutput(serve.predict(x, { batchSize }) as TF.Tensor | TF.Tensor[]).dataSync() as Float32Array,
  );
}

export function mseOf(pred: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return s / y.length;
}
