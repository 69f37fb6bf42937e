/**
 * Split-conformal prediction intervals: per horizon step, the absolute
 * validation residuals |truth - forecast - c| (real units of the target) are
 * sorted and kept as a bounded grid of order statistics, c being the step's
 * median signed residual (the centre; each residual measured from the median of
 * the others); the interval is forecast + c +- the
 * ceil((n + 1) p)-th smallest of the n residuals (the finite-sample correction).
 * The centre because a forecaster's errors are often one-sided (a damped trend
 * under a rising series, a level that lags): a band around the forecast itself
 * must then be as wide as bias + spread on both sides. The median, not the
 * mean: one outlying validation window does not move it. Real units, not scaled ones, because the pack's
 * scaler is one global mean/std per feature: a scaled residual is the real one
 * divided by a constant, so both give the same interval.
 *
 * Backtest residuals: the stored model's forecasts over its own training windows (every training window an origin
 * of a rolling-origin backtest over the history), measured from the same centre. The half-width served is the larger
 * of the validation one and the backtest one at the same level. Why: the validation stretch is short and follows the
 * fit; under drift (a trend that bends, a season that changes) later errors are larger than its residuals say, and
 * the validation band under-covers. The backtest residuals are in-sample (the model was fitted to those windows), so
 * absent drift they are no larger than out-of-sample ones: their quantile is a lower bound of the out-of-sample one,
 * and a validation band narrower than it is known to be too narrow. Where they are smaller (the usual case without
 * drift), the validation band is served unchanged, with its split-conformal guarantee.
 *
 * Also the interval scores (coverage, Winkler) and the Gaussian interval from
 * the same residuals that `lstm-forecast evaluate` reports beside it.
 */

import { firstReached, lowerBound, upperBound } from '../base/arrays';
import { fail } from '../base/messages';

/** Most residuals kept per horizon step, and most kept over all steps (the grid thins beyond). */
export const CALIBRATION_MAX_PER_STEP = 200;
export const CALIBRATION_MAX_TOTAL = 20000;
/** Fewest kept per step when the horizon is long (thinner grids lose the high levels). */
const CALIBRATION_MIN_PER_STEP = 20;
/**
 * Fewest validation windows a series needs for a calibration of its own. With n residuals the highest level
 * the (n + 1) rank can promise is n / (n + 1): 20 is the first n past the default 95 % level, so a series'
 * own band serves both default levels; a series with fewer takes the pooled band, whose many residuals
 * promise more than its own few could.
 */
export const SERIES_CALIBRATION_MIN_WINDOWS = 20;
/** Most series calibrated on their own in one artifact; beyond, the series with fewest validation windows pool. */
export const MAX_SERIES_CALIBRATIONS = 1000;
/** Most residuals kept over every series' grid together (the artifact stays bounded: ~2 MB of JSON at most). */
export const SERIES_CALIBRATION_BUDGET = 200000;
/** Longest series id calibrated on its own (a longer msg.topic pools): the artifact holds the ids. */
export const SERIES_ID_MAX = 256;

/** Most training windows forecast for the backtest residuals (evenly spaced over the history beyond). */
export const BACKTEST_MAX_WINDOWS = 5000;

/** The backtest grid keeps this many times the ranks of the validation one (still within CALIBRATION_MAX_TOTAL). */
export const BACKTEST_GRID_FACTOR = 2;

/** A grid of sorted absolute residuals per horizon step (see {@link BaseCalibration.ranks}). */
export interface ResidualGrid {
  /** Residuals the grid came from (n of the (n + 1) correction). */
  n: number;
  ranks: number[];
  /** [H][ranks.length], real units. */
  residuals: number[][];
}

/** Forecasts and their truths, [m][H] each, real units. */
export interface Forecasts {
  truth: number[][];
  pred: number[][];
}

/** One calibration from one set of validation residuals (see {@link Calibration}). */
export interface BaseCalibration {
  method: 'split-conformal';
  /** Validation windows the residuals came from (n of the (n + 1) correction). */
  n: number;
  /**
   * 1-based ranks of the order statistics kept, increasing, the same for every
   * step: 1..n when n residuals fit the grid, else ranks from the median up,
   * spaced geometrically in n - rank so the upper tail (the levels served) stays dense.
   */
  ranks: number[];
  /** [H][ranks.length] |e - the median of the other residuals| at those ranks per horizon step, real units. */
  residuals: number[][];
  /**
   * [H] median signed residual truth - forecast per step, real units: the band's centre is forecast + center.
   * Absent in calibrations stored before it (centre 0: the band around the forecast, as then).
   */
  center?: number[];
  /** [H] root mean square of the signed residuals per step (the Gaussian interval's sigma, around the forecast). */
  rmse: number[];
  /**
   * |e - center| of the stored model's forecasts over its training windows (see the module comment): the half-width
   * served is never below this grid's at the same level. Absent in calibrations stored before (the validation band
   * alone, as then) and when a training forecast was not finite.
   */
  backtest?: ResidualGrid;
}

/** One series' own calibration, from its validation windows only. */
export interface SeriesCalibration extends BaseCalibration {
  series: string;
}

/** What the artifact stores. JSON-safe. */
export interface Calibration extends BaseCalibration {
  /**
   * With several series: the calibrations of the series with at least {@link SERIES_CALIBRATION_MIN_WINDOWS}
   * validation windows, each from its own residuals (series differ in scale and noise, a pooled band is too
   * wide for a quiet one and too narrow for a loud one). The fields above are the pooled calibration, served
   * to every other series. Absent for one series and in artifacts stored before.
   */
  perSeries?: SeriesCalibration[];
}

/**
 * x to 6 significant digits, never below x: the stored residuals take a third of the JSON
 * and an interval is only ever made wider (the order of a sorted list is kept).
 */
export function roundUp6(x: number): number {
  const v = Number(x.toPrecision(6));
  if (v >= x) return v;
  // Rounded down: one unit of the 6th digit up.
  return Number((v + 10 ** (Math.floor(Math.log10(x)) - 5)).toPrecision(6));
}

/** The ranks kept of n sorted residuals, at most g of them (see {@link Calibration.ranks}). */
export function keptRanks(n: number, g: number): number[] {
  if (n <= g) return Array.from({ length: n }, (_, i) => i + 1);
  const half = Math.floor(n / 2);
  const tail = new Set<number>([0]);
  // tail count m = n - rank from 0 up to n/2, geometric so each step is a few % of m.
  for (let i = 0; i < g - 1; i++) tail.add(Math.round(Math.pow(half + 1, i / (g - 2)) - 1));
  return [...tail].map((m) => n - m).sort((a, b) => a - b);
}

/** The median of the sorted values `e` without the one at index `skip` (-1: of all of them). */
function median(e: number[], skip: number): number {
  const n = skip < 0 ? e.length : e.length - 1;
  const at = (k: number): number => e[skip >= 0 && k >= skip ? k + 1 : k];
  return n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
}

/** The grid size per step for a horizon H (at most maxPerStep, the total bounded). */
function gridSize(H: number, maxPerStep: number): number {
  return Math.max(CALIBRATION_MIN_PER_STEP, Math.min(maxPerStep, Math.floor(CALIBRATION_MAX_TOTAL / Math.max(1, H))));
}

/**
 * The grid of |truth - pred - center[h]| per step (see {@link BaseCalibration.backtest}); null when a residual is not
 * finite or there is none.
 */
function backtestGrid(bt: Forecasts, center: number[], maxPerStep: number): ResidualGrid | null {
  const m = Math.min(bt.truth.length, bt.pred.length);
  const H = center.length;
  if (m === 0) return null;
  // Twice the validation grid: it holds many more residuals (up to BACKTEST_MAX_WINDOWS), and where it binds a coarse
  // grid rounds the level up by a visible step (hourly protocol task, 80 %: +1 % of width at 200 ranks, 0.1 % at 400).
  const ranks = keptRanks(m, gridSize(H, BACKTEST_GRID_FACTOR * maxPerStep));
  const residuals: number[][] = [];
  for (let h = 0; h < H; h++) {
    const a: number[] = new Array(m);
    for (let i = 0; i < m; i++) {
      const v = Math.abs(bt.truth[i][h] - bt.pred[i][h] - center[h]);
      if (!Number.isFinite(v)) return null;
      a[i] = v;
    }
    a.sort((x, y) => x - y);
    residuals.push(ranks.map((k) => roundUp6(a[k - 1])));
  }
  return { n: m, ranks, residuals };
}

/**
 * The calibration of a model from its validation forecasts.
 * @param truth [m][H] validation targets, real units.
 * @param pred [m][H] the model's validation forecasts, real units.
 * @param backtest the model's forecasts over its training windows (see the module comment); none: validation only.
 * @returns null when there is nothing finite to calibrate on.
 */
export function calibrate(
  truth: number[][],
  pred: number[][],
  maxPerStep = CALIBRATION_MAX_PER_STEP,
  backtest?: Forecasts,
): Calibration | null {
  const m = Math.min(truth.length, pred.length);
  if (m === 0) return null;
  const H = truth[0].length;
  const ranks = keptRanks(m, gridSize(H, maxPerStep));
  const residuals: number[][] = [];
  const rmse: number[] = [];
  const center: number[] = [];
  for (let h = 0; h < H; h++) {
    const e: number[] = [];
    let ss = 0;
    for (let i = 0; i < m; i++) {
      const v = truth[i][h] - pred[i][h];
      if (!Number.isFinite(v)) return null;
      e.push(v);
      ss += v * v;
    }
    e.sort((a, b) => a - b);
    // Stored as a float64 number: the centre is read as it was computed, so validation and serving agree exactly.
    const c = median(e, -1);
    // Each validation residual is measured from the median of the others (leave one out): measured from a centre
    // it helped set, it would sit closer to it than a new error does, and the band would undercover by O(1 / n).
    const r = e.map((v, j) => Math.abs(v - (m > 1 ? median(e, j) : c))).sort((a, b) => a - b);
    residuals.push(ranks.map((k) => roundUp6(r[k - 1])));
    rmse.push(roundUp6(Math.sqrt(ss / m)));
    center.push(c);
  }
  const bt = backtest ? backtestGrid(backtest, center, maxPerStep) : null;
  return { method: 'split-conformal', n: m, ranks, residuals, rmse, center, ...(bt ? { backtest: bt } : {}) };
}

/**
 * The pooled calibration of every validation window and, with several series, each series' own (see
 * {@link Calibration.perSeries}); bounded: at most {@link MAX_SERIES_CALIBRATIONS} series (those with most
 * windows), their grids thinned to stay within {@link SERIES_CALIBRATION_BUDGET} residuals together.
 * @param ids [m] the series of each validation window; without them, the pooled calibration only.
 * @param backtest the model's forecasts over its training windows, with their series ids when there are several.
 */
export function calibrateBySeries(
  truth: number[][],
  pred: number[][],
  ids?: string[],
  backtest?: Forecasts & { ids?: string[] },
): Calibration | null {
  const pooled = calibrate(truth, pred, CALIBRATION_MAX_PER_STEP, backtest);
  if (!pooled || !ids || ids.length !== truth.length) return pooled;
  const rows = new Map<string, number[]>();
  ids.forEach((id, i) => {
    if (id.length > SERIES_ID_MAX) return;
    const r = rows.get(id);
    if (r) r.push(i);
    else rows.set(id, [i]);
  });
  if (rows.size < 2 && rows.get(ids[0])?.length === ids.length) return pooled;
  const H = pooled.residuals.length;
  // a series' backtest: its own training windows (series differ in scale); none without their ids
  const btRows = new Map<string, number[]>();
  if (backtest?.ids && backtest.ids.length === backtest.truth.length) {
    backtest.ids.forEach((id, i) => {
      const r = btRows.get(id);
      if (r) r.push(i);
      else btRows.set(id, [i]);
    });
  }
  // with backtest grids (BACKTEST_GRID_FACTOR times as many ranks) the series' grids share the budget with them
  const grids = btRows.size ? 1 + BACKTEST_GRID_FACTOR : 1;
  const most = Math.min(
    MAX_SERIES_CALIBRATIONS,
    Math.floor(SERIES_CALIBRATION_BUDGET / (Math.max(1, H) * CALIBRATION_MIN_PER_STEP * grids)),
  );
  const own = [...rows]
    .filter(([, r]) => r.length >= SERIES_CALIBRATION_MIN_WINDOWS)
    // the series with most windows first (stable: ties in order of appearance); the rest pool
    .sort((a, b) => b[1].length - a[1].length)
    .slice(0, most);
  if (!own.length) return pooled;
  const grid = Math.floor(SERIES_CALIBRATION_BUDGET / (Math.max(1, H) * own.length * grids));
  const perSeries: SeriesCalibration[] = [];
  for (const [series, r] of own) {
    const b = btRows.get(series);
    const c = calibrate(
      r.map((i) => truth[i]),
      r.map((i) => pred[i]),
      Math.min(CALIBRATION_MAX_PER_STEP, grid),
      b && backtest ? { truth: b.map((i) => backtest.truth[i]), pred: b.map((i) => backtest.pred[i]) } : undefined,
    );
    if (c) perSeries.push({ series, ...c });
  }
  return { ...pooled, perSeries };
}

const byId = new WeakMap<Calibration, Map<string, BaseCalibration>>();

/** The calibration lstm-predict serves a series: its own when the artifact has one, else the pooled one. */
export function calibrationFor(cal: Calibration, series: string): BaseCalibration {
  if (!cal.perSeries?.length) return cal;
  let m = byId.get(cal);
  if (!m) {
    m = new Map(cal.perSeries.map((c) => [c.series, c]));
    byId.set(cal, m);
  }
  return m.get(series) ?? cal;
}

/**
 * Half-width of the level-p interval at horizon step h (0-based), around forecast + {@link conformalCenter}: the
 * ceil((n + 1) p)-th smallest residual, or the backtest grid's at the same level when that is larger. A level beyond
 * what n residuals can promise (rank > n) takes the largest one, so the interval stays finite. A rank not kept takes
 * the next kept one up (wider, never narrower); below the smallest kept (levels under about 50 % on a thinned grid)
 * the smallest kept.
 */
export function conformalHalfWidth(cal: BaseCalibration, h: number, p: number): number {
  const own = gridValue(cal, h, p);
  // never below the backtest residuals' at the same level (see the module comment)
  return cal.backtest ? Math.max(own, gridValue(cal.backtest, h, p)) : own;
}

/** The ceil((n + 1) p)-th smallest residual of a grid at step h (see {@link conformalHalfWidth}). */
function gridValue(grid: ResidualGrid, h: number, p: number): number {
  const { n, ranks } = grid;
  const k = Math.min(n, Math.max(1, Math.ceil((n + 1) * p)));
  // the first kept rank >= k (the largest rank, n, is always kept)
  return grid.residuals[h][Math.min(lowerBound(ranks, k), ranks.length - 1)];
}

/**
 * Most of a stream's own residuals kept per horizon step when lstm-predict recalibrates (and at most the
 * calibration's n): see {@link recalibratedHalfWidth}.
 */
export const RECALIBRATION_MAX_PER_STEP = CALIBRATION_MAX_PER_STEP;

/**
 * How many residuals per step a recalibrated band is made of: the calibration's n, at most as many as its grid keeps
 * per step ({@link RECALIBRATION_MAX_PER_STEP}, fewer for long horizons: {@link CALIBRATION_MAX_TOTAL} over all steps,
 * at least 20 each), so a stream holds at most max(20,000, 20 H) residuals.
 */
export function recalibrationSize(cal: BaseCalibration): number {
  return Math.max(1, Math.min(cal.n, gridSize(cal.residuals.length, RECALIBRATION_MAX_PER_STEP)));
}

/** Share of a grid's residuals at step h that are <= x (the largest kept rank at or below x, over n: never above). */
function gridCdf(grid: ResidualGrid, h: number, x: number): number {
  const row = grid.residuals[h];
  const c = upperBound(row, x);
  // at or past the largest kept residual: all of them (it stands for the tail, as gridValue reads it)
  return c === 0 ? 0 : c === row.length ? 1 : grid.ranks[c - 1] / grid.n;
}

/**
 * Half-width of the level-p interval at step h recalibrated on a stream's own residuals (online split conformal over
 * a sliding window, as EnbPI, Xu and Xie 2021): R = {@link recalibrationSize} residuals make the band; the m newest
 * observed ones |actual - (forecast + centre)| take m of its R places, and the R - m places left hold the
 * calibration's distribution (the served one: never below the backtest, see {@link conformalHalfWidth}) at its
 * quantiles j / (R - m + 1), j = 1 .. R - m (the expected order statistics of R - m draws from it: never its largest
 * residual, which an outlying backtest window may hold). The half-width is the ceil((R + 1) p)-th smallest of the R:
 * the calibrated half-width with no residual observed, the order statistic of the own residuals alone once R arrived.
 * Why: the stored calibration comes from validation windows of the model before its refit, weeks that may be
 * calmer or wilder than the stream's; the stream's own out-of-sample errors of the model it is served say how wide
 * its band must be now.
 * @param own the stream's newest residuals at step h, sorted ascending, at most R of them (StreamMonitor keeps them so).
 */
export function recalibratedHalfWidth(cal: BaseCalibration, h: number, p: number, own: readonly number[]): number {
  const m = own.length;
  if (m === 0) return conformalHalfWidth(cal, h, p);
  const R = Math.max(recalibrationSize(cal), m);
  const k = Math.min(R, Math.max(1, Math.ceil((R + 1) * p)));
  const slots = R - m;
  // how many of the R are <= x: the calibration's places whose quantile j / (slots + 1) is reached, and the own ones
  const count = (x: number): number => {
    const F = cal.backtest ? Math.min(gridCdf(cal, h, x), gridCdf(cal.backtest, h, x)) : gridCdf(cal, h, x);
    return Math.min(slots, Math.floor((slots + 1) * F + 1e-9)) + upperBound(own, x);
  };
  // count is a step function rising at the values of the three sorted lists; the answer is the smallest value of any
  // of them at which it reaches k (it does at the largest of all): a binary search in each
  let best = Infinity;
  for (const xs of [cal.residuals[h], cal.backtest?.residuals[h], own]) {
    const i = xs ? firstReached(xs.length, (j) => count(xs[j]) >= k) : 0;
    if (xs && i < xs.length) best = Math.min(best, xs[i]);
  }
  return Number.isFinite(best) ? best : conformalHalfWidth(cal, h, p);
}

/** The centre of the band at step h, as an offset from the forecast (0 for a calibration stored before centres). */
export function conformalCenter(cal: BaseCalibration, h: number): number {
  return cal.center?.[h] ?? 0;
}

/** The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw fail('BAD_INPUT', 'conformal.badProbability', { got: p });
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Half-width of the Gaussian level-p interval at step h: z_{(1+p)/2} x the validation RMSE of that step. */
export function gaussianHalfWidth(cal: BaseCalibration, h: number, p: number): number {
  return normalQuantile((1 + p) / 2) * cal.rmse[h];
}

/** Interval scores of a set of forecasts, real units. */
export interface IntervalScores {
  /** Nominal level, 0-1. */
  level: number;
  /** Share of truths inside [lower, upper], 0-1. */
  coverage: number;
  /** Mean upper - lower. */
  width: number;
  /** Mean Winkler (interval) score: width + (2 / alpha) x the distance outside. Lower is better. */
  winkler: number;
}

/**
 * Coverage, mean width and mean Winkler score of symmetric intervals
 * pred +- halfWidth(h) against truth, over every origin and step.
 */
export function scoreIntervals(
  truth: number[][],
  pred: number[][],
  p: number,
  halfWidth: (h: number) => number,
): IntervalScores {
  const alpha = 1 - p;
  let inside = 0;
  let width = 0;
  let winkler = 0;
  let k = 0;
  for (let i = 0; i < truth.length; i++) {
    for (let h = 0; h < truth[i].length; h++) {
      const q = halfWidth(h);
      const lo = pred[i][h] - q;
      const hi = pred[i][h] + q;
      const y = truth[i][h];
      const w = hi - lo;
      const out = y < lo ? lo - y : y > hi ? y - hi : 0;
      if (out === 0) inside++;
      width += w;
      winkler += w + (2 / alpha) * out;
      k++;
    }
  }
  return k
    ? { level: p, coverage: inside / k, width: width / k, winkler: winkler / k }
    : { level: p, coverage: NaN, width: NaN, winkler: NaN };
}
