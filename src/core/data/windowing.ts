/**
 * Sliding windows over a multivariate series: the one place that cuts windows,
 * used by the windower node (stream and batch), the evaluate command and the
 * benchmarks.
 */

export interface WindowCut {
  /** [N][L][F] input windows. */
  inputs: number[][][];
  /** [N][H][1] target values after each window (empty arrays when horizon is 0). */
  targets: number[][][];
  /** Index in the series of each window's last input row (the forecast origin o). */
  origins: number[];
}

/**
 * Cuts windows of `window` rows ending at origins o = first, first+stride, ...,
 * with targets y[o+1..o+horizon] taken from column `targetIndex`.
 * Only origins whose whole input window and horizon lie inside the series
 * (and inside [minOrigin, maxOrigin] when given) are used.
 * @param rows [n][F] readings, oldest first
 * @param window L >= 1
 * @param horizon H >= 0
 * @param stride >= 1 (origins step)
 * @param targetIndex column of the target
 * @param range optional bounds on the origin index (inclusive); `align` 'end' anchors
 *   the stride at the last possible origin so the newest data is always used.
 */
export function slidingWindows(
  rows: number[][],
  window: number,
  horizon: number,
  stride: number,
  targetIndex: number,
  range: { minOrigin?: number; maxOrigin?: number; align?: 'start' | 'end' } = {},
): WindowCut {
  const lo = Math.max(window - 1, range.minOrigin ?? 0);
  const hi = Math.min(rows.length - 1 - horizon, range.maxOrigin ?? Infinity);
  const origins: number[] = [];
  if (hi >= lo) {
    if (range.align === 'end') {
      for (let o = hi; o >= lo; o -= stride) origins.push(o);
      origins.reverse();
    } else {
      for (let o = lo; o <= hi; o += stride) origins.push(o);
    }
  }
  const inputs: number[][][] = [];
  const targets: number[][][] = [];
  for (const o of origins) {
    inputs.push(rows.slice(o - window + 1, o + 1).map((r) => r.slice()));
    const t: number[][] = [];
    for (let h = 1; h <= horizon; h++) t.push([rows[o + h][targetIndex]]);
    targets.push(t);
  }
  return { inputs, targets, origins };
}

/** Median of the positive differences of increasing timestamps (ms), 0 when fewer than 2. */
export function medianStep(timestamps: number[]): number {
  const d: number[] = [];
  for (let i = 1; i < timestamps.length; i++) d.push(timestamps[i] - timestamps[i - 1]);
  if (!d.length) return 0;
  d.sort((a, b) => a - b);
  const m = d.length >> 1;
  return d.length % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}
