/**
 * Attribution of a whole forecast, in real units, to the steps and features of
 * its window: how much each input moved the forecast away from a baseline forecast.
 *
 * The forecast of step h, as the serve model computes it from a window W (real units):
 *   f_h(W) = (net_h(x) + highway_h(x) + ref_h(z)) * std_t + mean_t
 * with z = W's target channel in z-scores, x = W scaled and window-relative, highway the
 * linear Dense on the flattened window (absent when the model has none) and ref the
 * target reference (any kind, as served at this window: data/scaler.ts referenceAffine).
 *
 * Baseline W0: the window held at its last value (every row = the last row). It is
 * the "nothing happened in the window" input: its forecast is what the model says
 * for a flat history at today's level. Consequence: the newest step (lag 0) always
 * gets 0, its level is in the baseline forecast.
 *
 * - Linear part (highway + reference): affine in W, so its attribution is exact:
 *   d lin_h / dW[j][f] * (W - W0)[j][f] (the gradient is the coefficient).
 * - Network part: integrated gradients (Sundararajan et al. 2017) along the straight
 *   path W0 -> W, midpoint rule with `steps` points.
 * Completeness: per horizon step, the attributions sum to f_h(W) - f_h(W0); the
 * linear part exactly, the network part up to the quadrature error, reported as
 * `completenessError`.
 *
 * Computed on demand inside tf.tidy: no tensor outlives a call.
 */
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';

import { fail } from '../base/messages';
import { referenceAffine, type ScalerState } from '../data/scaler';
import type { PayloadAttribution } from '../serve/forecast-message';

/** What the attribution needs to know of the model beside its serve network. */
export interface AttributionFrame {
  scaler: ScalerState;
  /** Column of the target feature. */
  targetIndex: number;
  /** Forecast horizon H. */
  horizon: number;
  /** The window's series (msg.topic): picks its carried Holt-Winters state in a model of several series. */
  series?: string;
}

/** The attribution of one forecast. */
export interface ForecastAttribution {
  method: 'integrated-gradients';
  baseline: 'last-value';
  /** Integration points of the network part. */
  steps: number;
  /** [H] the forecast f(W), real units (as the tensor path computes it). */
  forecast: number[];
  /** [H] the forecast of the baseline window, real units. */
  baselineForecast: number[];
  /** [H][L][F] attribution of every horizon step to every step and feature, real units. */
  values: number[][][];
  /** [H][L][F] its exact linear part (highway and reference). */
  linear: number[][][];
  /** max over h of |sum values[h] - (forecast[h] - baselineForecast[h])|, real units. */
  completenessError: number;
}

/** Name of the highway's Dense layer (model/blocks.ts withHighway). */
const HIGHWAY = 'highway_dense';
/** Most rows (window copies) per gradient pass: bounds the memory of the backward pass. */
const MAX_ROWS = 256;
/** Most input cells H * steps * L * F one attribution may differentiate: bounds its time. */
export const MAX_ATTRIBUTION_CELLS = 4e6;

function highwayOf(model: TF.LayersModel): TF.layers.Layer | null {
  try {
    return model.getLayer(HIGHWAY);
  } catch {
    // getLayer throws when there is no such layer: a model without the highway.
    return null;
  }
}

/**
 * Attributes the forecast of one window.
 * @param model the serve model (input [B, L, F] scaled and window-relative, first output [B, H]).
 * @param window [L][F] real units, oldest row first (checked finite by the caller).
 * @param steps integration points of the network part (>= 1).
 * @throws ForecastError LIMIT when H * steps * L * F exceeds {@link MAX_ATTRIBUTION_CELLS};
 *   NOT_FINITE when an attribution is not finite.
 */
export function attributeForecast(
  model: TF.LayersModel,
  frame: AttributionFrame,
  window: number[][],
  steps: number,
): ForecastAttribution {
  const t = tf();
  const L = window.length;
  const F = L ? window[0].length : 0;
  const H = frame.horizon;
  const m = Math.max(1, Math.floor(steps));
  if (H * m * L * F > MAX_ATTRIBUTION_CELLS) {
    throw fail(
      'LIMIT',
      'attribution.tooLarge',
      { max: MAX_ATTRIBUTION_CELLS, got: H, m, l: L, f: F },
      'attribution too large',
    );
  }
  const { mean, std } = frame.scaler;
  const ti = frame.targetIndex;
  const ts = std[ti];
  const tm = mean[ti];
  // The reference as served at this window (any kind: last value, seasonal, Holt-Winters), affine in z.
  const { R, c: refConst } = referenceAffine(frame.scaler, window, ti, H, frame.series);
  const highway = highwayOf(model);
  const last = window[L - 1];
  const delta = new Float32Array(L * F);
  for (let j = 0; j < L; j++) for (let f = 0; f < F; f++) delta[j * F + f] = window[j][f] - last[f];

  let result: ForecastAttribution | undefined;
  t.tidy(() => {
    const meanT = t.tensor3d(mean.slice(), [1, 1, F]);
    const stdT = t.tensor3d(std.slice(), [1, 1, F]);
    const onehot = t.tensor3d(
      Array.from({ length: F }, (_, f) => (f === ti ? 1 : 0)),
      [1, 1, F],
    );
    const refT = t.transpose(t.tensor2d(R, [H, L]));
    const refC = t.tensor2d([refConst], [1, H]);
    /** Scaled, window-relative inputs and the references of a batch of real windows. */
    const frameOf = (w: TF.Tensor3D): { x: TF.Tensor3D; ref: TF.Tensor2D } => {
      const b = w.shape[0];
      const z = t.div(t.sub(w, meanT), stdT) as TF.Tensor3D;
      const zt = t.reshape(t.slice(z, [0, 0, ti], [b, L, 1]), [b, L]) as TF.Tensor2D;
      const level = t.reshape(t.slice(zt, [0, L - 1], [b, 1]), [b, 1, 1]);
      return { x: t.sub(z, t.mul(level, onehot)) as TF.Tensor3D, ref: t.add(t.matMul(zt, refT), refC) as TF.Tensor2D };
    };
    const full = (w: TF.Tensor3D): TF.Tensor2D => {
      const { x, ref } = frameOf(w);
      const out = model.apply(x, { training: false }) as TF.Tensor | TF.Tensor[];
      const y = (Array.isArray(out) ? out[0] : out) as TF.Tensor2D;
      return t.add(t.mul(t.add(y, ref), ts), tm) as TF.Tensor2D;
    };
    const linear = (w: TF.Tensor3D): TF.Tensor2D => {
      const { x, ref } = frameOf(w);
      const lin = highway ? t.add(ref, highway.apply(t.reshape(x, [w.shape[0], L * F])) as TF.Tensor2D) : ref;
      return t.add(t.mul(lin, ts), tm) as TF.Tensor2D;
    };
    /** Per row r (horizon step h(r)), d fn_h(r) / d input at the row's window; [rows][L*F]. */
    const gradients = (fn: (w: TF.Tensor3D) => TF.Tensor2D, windows: Float32Array, hs: number[]): Float32Array => {
      const rows = hs.length;
      const mask = t.tensor2d(
        hs.flatMap((h) => Array.from({ length: H }, (_, k) => (k === h ? 1 : 0))),
        [rows, H],
      );
      const g = t.grad((w: TF.Tensor) => t.sum(t.mul(fn(w as TF.Tensor3D), mask)))(t.tensor3d(windows, [rows, L, F]));
      return g.dataSync() as Float32Array;
    };

    // Network part: integrated gradients of the full forecast minus those of the linear part.
    const total = new Float64Array(H * L * F);
    const rowsAll = H * m;
    const per = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_ATTRIBUTION_CELLS / 4 / Math.max(1, L * F))));
    for (let start = 0; start < rowsAll; start += per) {
      const end = Math.min(rowsAll, start + per);
      const batch = new Float32Array((end - start) * L * F);
      const hs: number[] = [];
      for (let r = start; r < end; r++) {
        const alpha = ((r % m) + 0.5) / m;
        const o = (r - start) * L * F;
        for (let j = 0; j < L; j++)
          for (let f = 0; f < F; f++) batch[o + j * F + f] = last[f] + alpha * delta[j * F + f];
        hs.push(Math.floor(r / m));
      }
      const g = t.tidy(() => gradients(full, batch, hs));
      for (let r = start; r < end; r++) {
        const h = Math.floor(r / m);
        const o = (r - start) * L * F;
        for (let c = 0; c < L * F; c++) total[h * L * F + c] += g[o + c] / m;
      }
    }
    // Linear part: affine, so one gradient per horizon step is its exact coefficient.
    const here = new Float32Array(H * L * F);
    for (let h = 0; h < H; h++)
      for (let j = 0; j < L; j++) for (let f = 0; f < F; f++) here[(h * L + j) * F + f] = window[j][f];
    const gl = gradients(
      linear,
      here,
      Array.from({ length: H }, (_, h) => h),
    );
    const forecast = Array.from(full(t.tensor3d([window], [1, L, F])).dataSync());
    const baselineForecast = Array.from(
      full(t.tensor3d([Array.from({ length: L }, () => last.slice())], [1, L, F])).dataSync(),
    );
    const values: number[][][] = [];
    const lin: number[][][] = [];
    let completenessError = 0;
    for (let h = 0; h < H; h++) {
      const vh: number[][] = [];
      const lh: number[][] = [];
      let sum = 0;
      for (let j = 0; j < L; j++) {
        const vr: number[] = [];
        const lr: number[] = [];
        for (let f = 0; f < F; f++) {
          const c = (h * L + j) * F + f;
          const d = delta[j * F + f];
          // + 0: a zero change gives 0, not -0.
          vr.push(total[c] * d + 0);
          lr.push(gl[c] * d + 0);
          sum += total[c] * d;
        }
        vh.push(vr);
        lh.push(lr);
      }
      values.push(vh);
      lin.push(lh);
      completenessError = Math.max(completenessError, Math.abs(sum - (forecast[h] - baselineForecast[h])));
    }
    if (
      !Number.isFinite(completenessError) ||
      !lin.every((r) => r.every((s) => s.every(Number.isFinite))) ||
      !baselineForecast.every(Number.isFinite)
    ) {
      throw fail('NOT_FINITE', 'attribution.notFinite', {}, 'non-finite attribution');
    }
    result = {
      method: 'integrated-gradients',
      baseline: 'last-value',
      steps: m,
      forecast,
      baselineForecast,
      values,
      linear: lin,
      completenessError,
    };
  });
  return result as ForecastAttribution;
}

/**
 * The attribution as lstm-predict's payload carries it: means over the horizon
 * steps per step and feature, and per horizon step summed over the features.
 * With the window's times and target values, so a forecast without attention can be inspected by its attribution.
 */
export function payloadAttribution(
  a: ForecastAttribution,
  features: string[],
  window?: { timestamps: number[]; values: number[] },
): PayloadAttribution {
  const H = a.values.length;
  const meanOver = (cube: number[][][]): number[][] =>
    cube[0].map((row, j) => row.map((_, f) => cube.reduce((s, m) => s + m[j][f], 0) / H));
  return {
    method: a.method,
    baseline: a.baseline,
    steps: a.steps,
    features: features.slice(),
    values: meanOver(a.values),
    linear: meanOver(a.linear),
    byHorizon: a.values.map((m) => m.map((row) => row.reduce((s, v) => s + v, 0))),
    baselineForecast: a.baselineForecast.slice(),
    completenessError: a.completenessError,
    ...(window ? { timestamps: window.timestamps.slice(), windowValues: window.values.slice() } : {}),
  };
}
