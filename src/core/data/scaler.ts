/**
 * Scaling between real units and what the networks see.
 *
 * Two steps, both invertible:
 * 1. z-score per feature, `(x - mean[f]) / std[f]`, fitted on the training
 *    windows only (fitting on validation rows would leak their level).
 * 2. Window-relative levels: in every window the last scaled value of the target
 *    channel (the "level") is subtracted from that channel and from the H scaled
 *    targets, and added back to forecasts. The network then predicts changes from
 *    the last reading, not absolute levels; on a trending series (monthly CO2) an
 *    LSTM without this extrapolates badly (MASE 14.5 against 0.50 with it,
 *    measured in Python), because validation levels lie outside the training range.
 * 3. Optional seasonal reference (scaler.reference = 'seasonal', season m): the
 *    target of step h becomes relative to ref_h = y[o] + mean_k (y[o+h-m*k] - y[o-m*k])
 *    (scaled units, o = the window's last row, k = ceil(h/m) .. ceil(h/m)+K-1, the
 *    K = scaler.seasons past seasons that fit in the window) instead of y[o]: last
 *    value plus last seasons' change over the same stretch of the cycle. The
 *    network learns the residual on top; restoreForecast adds ref_h back. Inputs
 *    stay window-relative to y[o]. Without the field (old artifacts) or when the
 *    season does not fit the window, the reference is y[o] for every h.
 * 4. Two more references are candidate bases (train/base.ts picks one on the
 *    validation windows): 'seasonal-naive', ref_h = y[o + h - m*ceil(h/m)] (the
 *    seasonal naive forecast), and 'holt-winters', ref_h = the damped additive
 *    Holt-Winters forecast of the window's target column with the stored
 *    parameters `hw` (holt-winters.ts): either started from the window alone, or
 *    from the seasonal profile and trend carried across the training history
 *    (stored in `hw`, the profile lined up with the window by least squares).
 *    Both are functions of the window and the stored state only, so prediction
 *    gives what validation scored.
 * 5. 'combination': the weighted mean of several of the references above (`mix`),
 *    the forecast combination train/base.ts stores when several candidates are
 *    within one standard error of the best. Inputs are the same for every
 *    reference (relative to y[o]), so one network and one highway serve the mix.
 *
 * Prepared data is flat and row-major: inputs Float32Array [N*L*F], targets
 * [N*H], ready to become tensors [N, L, F] and [N, H].
 */

import { fail } from '../base/messages';
import {
  hwForecast,
  hwHistoryForecast,
  hwStateFor,
  type HoltWintersParams,
  type HoltWintersState,
} from './holt-winters';

/** Per-feature z-score parameters, in real units, in feature column order. JSON-safe. */
export interface ScalerState {
  mean: number[];
  std: number[];
  /**
   * What targets are made relative to: 'last' (y[o], the default when absent) or
   * 'seasonal' (see the module comment; needs `season` and `seasons`).
   */
  reference?: TargetReference;
  /** Season m in steps for the seasonal reference. */
  season?: number;
  /** Past seasons K averaged in the seasonal reference (>= 1). */
  seasons?: number;
  /**
   * Smoothing parameters of the 'holt-winters' reference (its season: `season`, 0 = none); with `profile`
   * and `trend`, the state carried across the training history (holt-winters.ts hwHistoryForecast),
   * without them the window-only variant (hwForecast).
   */
  hw?: HoltWintersParams | HoltWintersState;
  /** The parts of a 'combination' reference: their references averaged with these weights (sum 1). */
  mix?: ReferencePart[];
}

export type TargetReference = 'last' | 'seasonal' | 'seasonal-naive' | 'holt-winters' | 'combination';

/** One reference of a 'combination' and its weight (> 0); never a combination itself. JSON-safe. */
export interface ReferencePart extends Pick<ScalerState, 'season' | 'seasons' | 'hw'> {
  weight: number;
  reference: Exclude<TargetReference, 'combination'>;
}

/** Most parts a combination holds (the candidates of train/base.ts are fewer). */
export const MAX_MIX = 16;

/**
 * How many past seasons a seasonal reference can average for window L, horizon H
 * and season m: the largest K with m * (ceil(H/m) + K - 1) <= L - 1, so every
 * index o - m*k stays inside the window; capped at `maxSeasons`. 0 when the
 * season does not fit (or m < 1).
 */
export function seasonsThatFit(window: number, horizon: number, season: number, maxSeasons = Infinity): number {
  if (!Number.isInteger(season) || season < 1 || horizon < 1) return 0;
  const k0 = Math.ceil(horizon / season);
  const K = Math.floor((window - 1) / season) - k0 + 1;
  return Math.max(0, Math.min(K, maxSeasons));
}

/**
 * Picks the target reference for a scaler fitted on training windows. With a
 * season m >= 2 that fits the window, the candidates are 'last' and 'seasonal'
 * with K = 1 .. min(fit, maxSeasons); the one whose reference alone (network
 * output 0) has the smallest mean absolute error on the training targets wins.
 * Otherwise 'last' (m = 1 is no season: its "seasonal" reference would be a
 * drift extrapolation). Why choose K on the data: averaging 2 years
 * is best on monthly CO2 (reference-only test MASE 0.379 vs 0.443 with 1), the
 * last day alone on hourly temperature normals (0.716 vs 0.800 with 2); the
 * training windows pick the same K as the test on both.
 * @param inputs [N][L][F] training windows, real units.
 * @param targets [N][H][1] their targets.
 * @param scaler z-score parameters (mean/std) of the training windows.
 * @param maxSeasons cap on K. Default 3.
 */
export function chooseReference(
  inputs: number[][][],
  targets: number[][][],
  scaler: ScalerState,
  targetIndex: number,
  season: number,
  maxSeasons = 3,
): Pick<ScalerState, 'reference' | 'season' | 'seasons'> {
  const L = inputs.length ? inputs[0].length : 0;
  const H = targets.length ? targets[0].length : 0;
  const fit = season >= 2 ? seasonsThatFit(L, H, season, maxSeasons) : 0;
  let best: Pick<ScalerState, 'reference' | 'season' | 'seasons'> = { reference: 'last' };
  let bestErr = Infinity;
  for (let K = 0; K <= fit && fit > 0; K++) {
    const candidate: Pick<ScalerState, 'reference' | 'season' | 'seasons'> = K
      ? { reference: 'seasonal', season, seasons: K }
      : { reference: 'last' };
    const p = prepare(inputs, targets, { mean: scaler.mean, std: scaler.std, ...candidate }, targetIndex);
    let err = 0;
    for (let i = 0; i < p.y.length; i++) err += Math.abs(p.y[i]);
    if (err < bestErr) {
      bestErr = err;
      best = candidate;
    }
  }
  return best;
}

/** K of a scaler's seasonal reference for this window and horizon; 0 = use the last value. */
function activeSeasons(scaler: ScalerState, window: number, horizon: number): number {
  if (scaler.reference !== 'seasonal' || !scaler.season || !scaler.seasons) return 0;
  const fit = seasonsThatFit(window, horizon, scaler.season);
  if (fit < scaler.seasons) {
    throw fail('SPEC_MISMATCH', 'scaler.seasonsDoNotFit', {
      scalerSeasons: scaler.seasons,
      scalerSeason: scaler.season,
      window,
      horizon,
      fit,
    });
  }
  return scaler.seasons;
}

/** Season of a 'seasonal-naive' reference for window L; 0 = not that reference. */
function seasonalNaiveLag(scaler: ScalerState, window: number): number {
  if (scaler.reference !== 'seasonal-naive') return 0;
  const m = scaler.season ?? 0;
  if (!Number.isInteger(m) || m < 1 || m > window) {
    throw fail('SPEC_MISMATCH', 'scaler.badSeason', { window, got: m });
  }
  return m;
}

/**
 * The target reference of one window as an affine map of the window's target channel in z-scores:
 * ref_h = sum_j R[h][j] * z_j + c[h]. Exact for the last value and the seasonal references (linear);
 * for Holt-Winters (the smoothing is linear in the observations, with a state carried from the
 * training history as the constant) exact for this window's seasonal alignment, which is held as
 * it is here. Read off {@link prepare} itself by finite differences, so it is the served reference
 * whatever its kind. `id`: the window's series (see {@link prepare}).
 */
export function referenceAffine(
  scaler: ScalerState,
  window: number[][],
  targetIndex: number,
  horizon: number,
  id?: string,
): { R: number[][]; c: number[] } {
  const L = window.length;
  const ts = scaler.std[targetIndex];
  const tm = scaler.mean[targetIndex];
  // A step of 0.01 z-scores: large against float32 rounding, small enough not to move a seasonal alignment.
  const eps = 0.01;
  const refsOf = (w: number[][]): Float32Array => prepare([w], undefined, scaler, targetIndex, horizon, [id]).refs;
  const at = refsOf(window);
  const R: number[][] = Array.from({ length: horizon }, () => new Array<number>(L).fill(0));
  for (let j = 0; j < L; j++) {
    const w = window.map((row, k) => (k === j ? row.map((v, f) => (f === targetIndex ? v + eps * ts : v)) : row));
    const moved = refsOf(w);
    for (let h = 0; h < horizon; h++) R[h][j] = (moved[h] - at[h]) / eps;
  }
  const c = Array.from({ length: horizon }, (_, h) => {
    let lin = 0;
    for (let j = 0; j < L; j++) lin += R[h][j] * ((window[j][targetIndex] - tm) / ts);
    return at[h] - lin;
  });
  return { R, c };
}

/**
 * Smallest standard deviation used for scaling (real units). A constant feature
 * (std 0) would otherwise divide by zero; with the floor it scales to 0.
 */
export const STD_FLOOR = 1e-6;

/** Shapes of a dataset: N windows of L rows x F features, horizon H. */
export interface DatasetShape {
  count: number;
  window: number;
  features: number;
  horizon: number;
}

/** A dataset scaled, made window-relative and flattened (row-major). */
export interface PreparedData extends DatasetShape {
  /** [N*L*F] scaled inputs, target channel minus the window's level. */
  x: Float32Array;
  /** [N*H] scaled targets minus the window's level (empty when no targets were given). */
  y: Float32Array;
  /** [N] the level of each window: last scaled target-channel value. */
  levels: Float32Array;
  /**
   * [N*H] the scaled reference each target is relative to (the level repeated,
   * or the seasonal reference). Empty when the data has no horizon (H = 0 and
   * no `horizon` argument given to {@link prepare}).
   */
  refs: Float32Array;
}

/**
 * Fits z-score parameters on `inputs` ([N][L][F], real units), every row of
 * every window counted (overlapping windows weight inner rows more; the effect
 * on mean/std is small). std is the population standard deviation, floored at
 * {@link STD_FLOOR}.
 */
export function fitScaler(inputs: number[][][]): ScalerState {
  if (!inputs.length || !inputs[0].length || !inputs[0][0].length) {
    throw fail('BAD_INPUT', 'scaler.nothingToFit', { got: inputs.length });
  }
  const F = inputs[0][0].length;
  const sum = new Float64Array(F);
  const sumSq = new Float64Array(F);
  let n = 0;
  for (const w of inputs) {
    for (const row of w) {
      for (let f = 0; f < F; f++) sum[f] += row[f];
      n++;
    }
  }
  const mean = Array.from(sum, (s) => s / n);
  for (const w of inputs) {
    for (const row of w) {
      for (let f = 0; f < F; f++) sumSq[f] += (row[f] - mean[f]) ** 2;
    }
  }
  const std = Array.from(sumSq, (s) => Math.max(Math.sqrt(s / n), STD_FLOOR));
  return { mean, std };
}

/**
 * Scales inputs ([N][L][F], real units) and, when given, targets ([N][H][1],
 * real units of the target feature) into window-relative form.
 * @param targetIndex column of the target feature in the inputs.
 * @param horizon H for the references when no targets are given (prediction);
 *   default: the targets' length, else 0.
 * @param ids the series of each window (msg.topic): a Holt-Winters reference trained on several series forecasts
 *   each window from its series' carried state (holt-winters.ts hwStateFor); default: the top-level state.
 */
export function prepare(
  inputs: number[][][],
  targets: number[][][] | undefined,
  scaler: ScalerState,
  targetIndex: number,
  horizon?: number,
  ids?: readonly (string | undefined)[],
): PreparedData {
  const N = inputs.length;
  const L = N ? inputs[0].length : 0;
  const F = L ? inputs[0][0].length : 0;
  const H = targets && targets.length ? targets[0].length : 0;
  const RH = H || horizon || 0;
  if (scaler.mean.length !== F || scaler.std.length !== F) {
    throw fail('SPEC_MISMATCH', 'scaler.featureCount', { meanCount: scaler.mean.length, f: F });
  }
  if (targetIndex < 0 || targetIndex >= F) {
    throw fail('BAD_CONFIG', 'scaler.badTargetIndex', { targetIndex, f: F });
  }
  if (scaler.reference === 'combination') return prepareMix(inputs, targets, scaler, targetIndex, RH, ids);
  const x = new Float32Array(N * L * F);
  const y = new Float32Array(N * H);
  const levels = new Float32Array(N);
  const refs = new Float32Array(N * RH);
  const { mean, std } = scaler;
  const tm = mean[targetIndex];
  const ts = std[targetIndex];
  const K = N && RH ? activeSeasons(scaler, L, RH) : 0;
  const m = scaler.season ?? 0;
  const naive = N && RH ? seasonalNaiveLag(scaler, L) : 0;
  const hw = scaler.reference === 'holt-winters' ? scaler.hw : undefined;
  if (scaler.reference === 'holt-winters' && !hw) {
    throw fail('SPEC_MISMATCH', 'scaler.noHoltWinters', {});
  }
  const col = new Float64Array(L);
  const hwOut = new Float64Array(RH);
  let k = 0;
  for (let i = 0; i < N; i++) {
    const w = inputs[i];
    const level = (w[L - 1][targetIndex] - tm) / ts;
    levels[i] = level;
    if (hw && RH) {
      for (let j = 0; j < L; j++) col[j] = w[j][targetIndex];
      if ('profile' in hw) hwHistoryForecast(col, RH, hwStateFor(hw as HoltWintersState, ids?.[i]), hwOut);
      else hwForecast(col, RH, hw, m, hwOut);
    }
    for (let h = 1; h <= RH; h++) {
      let ref = level;
      if (hw) ref = (hwOut[h - 1] - tm) / ts;
      else if (naive) ref = (w[L - 1 + h - naive * Math.ceil(h / naive)][targetIndex] - tm) / ts;
      else if (K) {
        // window row of o is L-1; y[o+h-m*k] - y[o-m*k] averaged over K seasons back.
        let change = 0;
        for (let s = Math.ceil(h / m); s < Math.ceil(h / m) + K; s++) {
          change += (w[L - 1 + h - m * s][targetIndex] - w[L - 1 - m * s][targetIndex]) / ts;
        }
        ref = level + change / K;
      }
      refs[i * RH + h - 1] = ref;
    }
    for (let j = 0; j < L; j++) {
      const row = w[j];
      for (let f = 0; f < F; f++) {
        const z = (row[f] - mean[f]) / std[f];
        x[k++] = f === targetIndex ? z - level : z;
      }
    }
    if (H) {
      const t = targets![i];
      for (let h = 0; h < H; h++) y[i * H + h] = (t[h][0] - tm) / ts - refs[i * H + h];
    }
  }
  return { x, y, levels, refs, count: N, window: L, features: F, horizon: H };
}

/**
 * {@link prepare} for a 'combination' reference: inputs and levels as for any reference, the references the
 * weighted mean of the parts' (each prepared alone), the targets relative to that mean.
 */
function prepareMix(
  inputs: number[][][],
  targets: number[][][] | undefined,
  scaler: ScalerState,
  targetIndex: number,
  horizon: number,
  ids?: readonly (string | undefined)[],
): PreparedData {
  const mix = scaler.mix ?? [];
  if (!mix.length || mix.length > MAX_MIX || mix.some((p) => (p.reference as string) === 'combination')) {
    throw fail('SPEC_MISMATCH', 'scaler.badMix', { max: MAX_MIX, got: mix.length });
  }
  const { mean, std } = scaler;
  const parts = mix.map((p) => {
    const { weight: _w, ...ref } = p;
    void _w;
    return prepare(inputs, undefined, { mean, std, ...ref }, targetIndex, horizon, ids);
  });
  const out = parts[0];
  const refs = new Float32Array(out.refs.length);
  for (let i = 0; i < refs.length; i++) {
    let r = 0;
    for (let j = 0; j < mix.length; j++) r += mix[j].weight * parts[j].refs[i];
    refs[i] = r;
  }
  const H = targets && targets.length ? targets[0].length : 0;
  const y = new Float32Array(out.count * H);
  const tm = mean[targetIndex];
  const ts = std[targetIndex];
  for (let i = 0; i < out.count && H; i++) {
    for (let h = 0; h < H; h++) y[i * H + h] = (targets![i][h][0] - tm) / ts - refs[i * H + h];
  }
  return { ...out, y, refs, horizon: H };
}

/**
 * Turns scaled window-relative forecasts ([N*H] flat or [N][H]) back into real
 * units: `(yhat + ref[i][h]) * std[t] + mean[t]`, ref = `refs` when given (from
 * {@link prepare}: seasonal or last-value references), else level[i] for every h.
 * @param refs [N*H] references (PreparedData.refs); pass them whenever the scaler
 *   may be seasonal.
 * @returns [N][H] forecasts in real units of the target feature.
 */
export function restoreForecast(
  scaled: ArrayLike<number> | number[][],
  levels: ArrayLike<number>,
  scaler: ScalerState,
  targetIndex: number,
  horizon: number,
  refs?: ArrayLike<number>,
): number[][] {
  const flat: ArrayLike<number> =
    Array.isArray(scaled) && Array.isArray(scaled[0]) ? (scaled as number[][]).flat() : (scaled as ArrayLike<number>);
  const N = levels.length;
  if (flat.length !== N * horizon) {
    throw fail('BAD_INPUT', 'scaler.forecastCount', { n: N, horizon, got: flat.length });
  }
  if (refs && refs.length !== N * horizon) {
    throw fail('BAD_INPUT', 'scaler.referenceCount', { n: N, horizon, got: refs.length });
  }
  const tm = scaler.mean[targetIndex];
  const ts = scaler.std[targetIndex];
  const out: number[][] = new Array(N);
  for (let i = 0; i < N; i++) {
    const row: number[] = new Array(horizon);
    for (let h = 0; h < horizon; h++)
      row[h] = (flat[i * horizon + h] + (refs ? refs[i * horizon + h] : levels[i])) * ts + tm;
    out[i] = row;
  }
  return out;
}
