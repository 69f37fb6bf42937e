/**
 * Forecast accuracy and the naive baselines every model must beat. Pure
 * functions on plain number arrays, in real units of the target feature.
 *
 * Shapes: forecasts and truths are [N][H] (N windows, H horizon steps); window
 * inputs are [N][L][F] and the target is column `targetIndex`.
 */

/** Accuracy of one forecaster over a set of windows. JSON-safe (no NaN/Infinity). */
export interface ForecastScores {
  /** Mean absolute error, real units. */
  mae: number;
  /** Root mean squared error, real units. */
  rmse: number;
  /** MAE divided by the in-sample naive MAE (see {@link maseScale}); null when that scale is 0. */
  mase: number | null;
  /** [H] MAE of each horizon step, real units. */
  maeByStep: number[];
}

/** The validation section of a training report. */
export interface ValidationScores {
  model: ForecastScores;
  /** Last value repeated: yhat[o+h] = y[o]. */
  lastValue: ForecastScores;
  /** Seasonal naive with period `season`; null when season is 0 or longer than the window. */
  seasonalNaive: ForecastScores | null;
  /** Season m in steps as configured (0 = none). */
  season: number;
  /** Lag used for the MASE scale: `season` when 0 < season < window, else 1. */
  maseLag: number;
  /** The MASE scale itself (mean |y[t] - y[t-maseLag]| on the training windows), real units. */
  maseScale: number;
}

function checkSameShape(truth: number[][], pred: number[][]): void {
  if (truth.length !== pred.length) {
    throw new RangeError(
      `expected as many forecasts as truths, got ${pred.length} forecasts for ${truth.length} truths`,
    );
  }
  for (let i = 0; i < truth.length; i++) {
    if (truth[i].length !== pred[i].length) {
      throw new RangeError(`row ${i}: expected ${truth[i].length} forecast steps, got ${pred[i].length}`);
    }
  }
}

/** Mean absolute error over all [N][H] entries. NaN when there are none. */
export function mae(truth: number[][], pred: number[][]): number {
  checkSameShape(truth, pred);
  let s = 0;
  let n = 0;
  for (let i = 0; i < truth.length; i++) {
    for (let h = 0; h < truth[i].length; h++) {
      s += Math.abs(truth[i][h] - pred[i][h]);
      n++;
    }
  }
  return s / n;
}

/** Root mean squared error over all [N][H] entries. */
export function rmse(truth: number[][], pred: number[][]): number {
  checkSameShape(truth, pred);
  let s = 0;
  let n = 0;
  for (let i = 0; i < truth.length; i++) {
    for (let h = 0; h < truth[i].length; h++) {
      s += (truth[i][h] - pred[i][h]) ** 2;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

/** [H] MAE of each horizon step (column means of |truth - pred|). */
export function maeByStep(truth: number[][], pred: number[][]): number[] {
  checkSameShape(truth, pred);
  const H = truth.length ? truth[0].length : 0;
  const out = new Array<number>(H).fill(0);
  for (let i = 0; i < truth.length; i++) {
    for (let h = 0; h < H; h++) out[h] += Math.abs(truth[i][h] - pred[i][h]);
  }
  return out.map((s) => s / truth.length);
}

/**
 * The lag MASE uses: the season m when 0 < m < window (the windows hold pairs
 * m apart), else 1 (the non-seasonal naive).
 */
export function maseLag(season: number, window: number): number {
  return season > 0 && season < window ? season : 1;
}

/**
 * The MASE scale: mean |y[t] - y[t-m]| of the target channel inside the given
 * (training) windows, m = {@link maseLag}. Computed per window so no differences
 * cross window boundaries; overlapping windows count the same pair more than once,
 * which leaves the mean nearly unchanged.
 */
export function maseScale(trainInputs: number[][][], targetIndex: number, season: number): number {
  if (!trainInputs.length) return 0;
  const L = trainInputs[0].length;
  const m = maseLag(season, L);
  let s = 0;
  let n = 0;
  for (const w of trainInputs) {
    for (let t = m; t < w.length; t++) {
      s += Math.abs(w[t][targetIndex] - w[t - m][targetIndex]);
      n++;
    }
  }
  return n ? s / n : 0;
}

/** MAE, RMSE, MASE (against `scale`) and MAE per step of one forecaster. */
export function scoreForecast(truth: number[][], pred: number[][], scale: number): ForecastScores {
  const m = mae(truth, pred);
  return {
    mae: m,
    rmse: rmse(truth, pred),
    mase: scale > 0 && Number.isFinite(m) ? m / scale : null,
    maeByStep: maeByStep(truth, pred),
  };
}

/** Last-value baseline: yhat[o+h] = y[o], o the last row of each window. Returns [N][H]. */
export function lastValueForecast(inputs: number[][][], targetIndex: number, horizon: number): number[][] {
  return inputs.map((w) => new Array<number>(horizon).fill(w[w.length - 1][targetIndex]));
}

/**
 * Seasonal naive baseline: yhat[o+h] = y[o + h - m*ceil(h/m)] for h = 1..H, the
 * value one (or more) whole seasons back that lies inside the window. Needs
 * 1 <= m <= window; returns null otherwise (m = 0 means no season).
 * @returns [N][H] or null.
 */
export function seasonalNaiveForecast(
  inputs: number[][][],
  targetIndex: number,
  horizon: number,
  season: number,
): number[][] | null {
  if (!inputs.length) return [];
  const L = inputs[0].length;
  if (!(season >= 1 && season <= L && Number.isInteger(season))) return null;
  const o = L - 1;
  return inputs.map((w) => {
    const row = new Array<number>(horizon);
    for (let h = 1; h <= horizon; h++) row[h - 1] = w[o + h - season * Math.ceil(h / season)][targetIndex];
    return row;
  });
}

/** Truths [N][H][1] (the dataset's target layout) to [N][H]. */
export function targetsToMatrix(targets: number[][][]): number[][] {
  return targets.map((t) => t.map((r) => r[0]));
}

/**
 * Scores a model's validation forecasts beside the two baselines.
 * @param trainInputs [N][L][F] training windows (for the MASE scale).
 * @param valInputs [M][L][F] validation windows.
 * @param valTruth [M][H] real units.
 * @param valPred [M][H] the model's forecasts, real units.
 * @param season m in steps (0 = none).
 */
export function validationScores(
  trainInputs: number[][][],
  valInputs: number[][][],
  valTruth: number[][],
  valPred: number[][],
  targetIndex: number,
  season: number,
): ValidationScores {
  const H = valTruth.length ? valTruth[0].length : 0;
  const L = valInputs.length ? valInputs[0].length : trainInputs.length ? trainInputs[0].length : 0;
  const scale = maseScale(trainInputs, targetIndex, season);
  const seasonal = seasonalNaiveForecast(valInputs, targetIndex, H, season);
  return {
    model: scoreForecast(valTruth, valPred, scale),
    lastValue: scoreForecast(valTruth, lastValueForecast(valInputs, targetIndex, H), scale),
    seasonalNaive: seasonal ? scoreForecast(valTruth, seasonal, scale) : null,
    season,
    maseLag: maseLag(season, L),
    maseScale: scale,
  };
}
