/**
 * Additive Holt-Winters with a damped trend, run over one window: a candidate
 * base of the forecaster (see scaler.ts reference 'holt-winters' and
 * train/base.ts). In the data folder because prediction (serve) needs it too.
 *
 * State from the window, parameters from the training windows. Each window is
 * initialised from itself (level and trend from the means of its first and last
 * whole seasons, the seasonal profile from the detrended whole seasons) and then
 * filtered row by row with the fitted alpha, beta, gamma and phi; the forecast is
 * level + (phi + ... + phi^h) * trend + season. So the forecast is a
 * deterministic function of the window and four stored numbers, whatever the
 * model type, and predict gives exactly what validation scored. The limit:
 * the state sees only the window (a trend longer than the window is seen only
 * through what the training windows taught alpha..phi); windows arrive without
 * their place in the history, and carrying a state across calls would make a
 * forecast depend on which windows came before it.
 *
 * With a season m < 2, or fewer than two whole seasons in the window, it is a
 * damped Holt (no seasonal part; gamma unused).
 */

/** Fitted smoothing parameters. alpha, beta, gamma in [0, 1], phi in [PHI_MIN, 1]. JSON-safe. */
export interface HoltWintersParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

/**
 * Holt-Winters with the state carried across the training history (see
 * {@link hwHistoryForecast}): the parameters plus the seasonal profile and the
 * trend at the end of the fitted history. JSON-safe.
 */
export interface HoltWintersState extends HoltWintersParams {
  /** [m] seasonal state at the end of the history, index = history row mod m (empty: no season). */
  profile: number[];
  /** Trend per step at the end of the history. */
  trend: number;
  /**
   * Trained on several series: each series' own profile and trend at the end of its history (the top-level ones
   * are those of the series with most windows, served to any other series).
   */
  series?: HoltWintersSeriesState[];
}

/** One series' carried state in a model trained on several series (see {@link HoltWintersState} `series`). */
export interface HoltWintersSeriesState {
  /** The series (msg.topic of its windows). */
  id: string;
  profile: number[];
  trend: number;
}

/** Most series whose carried state one model keeps (the series with most windows first). */
export const HW_MAX_SERIES = 1000;

/** Lowest damping fitted: below it a trend dies out within a few steps, which the last value already does. */
export const PHI_MIN = 0.8;

/** Most training windows one fit looks at (evenly spaced): bounds its time on long histories. */
export const HW_FIT_WINDOWS = 400;

/** Most loss evaluations of one fit (grid + Nelder-Mead). */
export const HW_FIT_EVALS = 300;

/** The season used for window length L: m when two whole seasons fit, else 0 (damped Holt). */
export function hwSeason(window: number, season: number): number {
  return Number.isInteger(season) && season >= 2 && window >= 2 * season ? season : 0;
}

/**
 * Forecasts `horizon` steps after the series `y` (one window's target column,
 * any units) with additive Holt-Winters, damped trend.
 * @param season m (see {@link hwSeason}: applied as hwSeason(y.length, season)).
 * @param out [horizon] written in place when given.
 */
export function hwForecast(
  y: ArrayLike<number>,
  horizon: number,
  p: HoltWintersParams,
  season: number,
  out: Float64Array = new Float64Array(horizon),
): Float64Array {
  const n = y.length;
  const m = hwSeason(n, season);
  // Block means over the first and the last whole block (a season, or a third of the window).
  const block = m || Math.max(1, Math.floor(n / 3));
  const k = Math.floor(n / block);
  const first = n - k * block; // whole blocks end at the window's last row
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < block; i++) {
    m0 += y[first + i];
    m1 += y[n - block + i];
  }
  m0 /= block;
  m1 /= block;
  const trend0 = k > 1 ? (m1 - m0) / ((k - 1) * block) : 0;
  // Linear start line through the first block's mean at its centre.
  const at = (t: number): number => m0 + trend0 * (t - first - (block - 1) / 2);
  const s = new Float64Array(Math.max(m, 1));
  if (m) {
    for (let t = first; t < n; t++) s[t % m] += y[t] - at(t);
    let c = 0;
    for (let j = 0; j < m; j++) {
      s[j] /= k;
      c += s[j];
    }
    for (let j = 0; j < m; j++) s[j] -= c / m;
  }
  return filterAndForecast(y, p, m, s, at(-1), trend0, horizon, out);
}

/**
 * The damped additive Holt-Winters recursion over `y` from a starting level, trend and seasonal state `s`
 * (updated in place), then the `horizon` forecasts after it into `out`. Both variants (window-only and carried
 * state) differ only in how they start.
 */
function filterAndForecast(
  y: ArrayLike<number>,
  p: HoltWintersParams,
  m: number,
  s: Float64Array,
  level0: number,
  trend0: number,
  horizon: number,
  out: Float64Array,
): Float64Array {
  const n = y.length;
  const { alpha, beta, gamma, phi } = p;
  let level = level0;
  let trend = trend0;
  for (let t = 0; t < n; t++) {
    const season_t = m ? s[t % m] : 0;
    const prevLevel = level;
    level = alpha * (y[t] - season_t) + (1 - alpha) * (prevLevel + phi * trend);
    trend = beta * (level - prevLevel) + (1 - beta) * phi * trend;
    if (m) s[t % m] = gamma * (y[t] - level) + (1 - gamma) * season_t;
  }
  let damp = 0;
  let ph = 1;
  for (let h = 1; h <= horizon; h++) {
    ph *= phi;
    damp += ph;
    out[h - 1] = level + damp * trend + (m ? s[(n - 1 + h) % m] : 0);
  }
  return out;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** Parameters from an unconstrained vector (each coordinate clamped into its bounds). */
function paramsOf(v: ArrayLike<number>): HoltWintersParams {
  return {
    alpha: clamp01(v[0]),
    beta: clamp01(v[1]),
    gamma: clamp01(v[2]),
    phi: PHI_MIN + (1 - PHI_MIN) * clamp01(v[3]),
  };
}

/**
 * Fits alpha, beta, gamma, phi on training windows: the mean squared error of
 * the H-step forecasts over (at most {@link HW_FIT_WINDOWS} evenly spaced)
 * windows, minimised by a coarse grid and a bounded Nelder-Mead from its best
 * point (at most {@link HW_FIT_EVALS} evaluations; deterministic).
 * @param series [N] target columns of the training windows, each of length L.
 * @param targets [N] their H future values.
 */
export function fitHoltWinters(series: number[][], targets: number[][], season: number): HoltWintersParams {
  const N = series.length;
  const pick: number[] = [];
  const stride = Math.max(1, N / HW_FIT_WINDOWS);
  for (let i = 0; i < N && pick.length < HW_FIT_WINDOWS; i = Math.floor((pick.length + 1) * stride)) pick.push(i);
  const H = N ? targets[0].length : 0;
  const buf = new Float64Array(H);
  let evals = 0;
  const loss = (v: ArrayLike<number>): number => {
    evals++;
    const p = paramsOf(v);
    let s = 0;
    for (const i of pick) {
      hwForecast(series[i], H, p, season, buf);
      for (let h = 0; h < H; h++) s += (targets[i][h] - buf[h]) ** 2;
    }
    return Number.isFinite(s) ? s : Infinity;
  };
  return minimise(loss, () => evals);
}

/**
 * Minimises `loss` over the four clamped coordinates (alpha, beta, gamma, phi
 * scaled into [0, 1]): a coarse grid, then a bounded Nelder-Mead from its best
 * point until the simplex is flat or {@link HW_FIT_EVALS} evaluations were made
 * (`evals` counts them). Deterministic.
 */
function minimise(loss: (v: ArrayLike<number>) => number, evals: () => number): HoltWintersParams {
  let best: number[] = [0.3, 0.05, 0.1, 0.9];
  let bestLoss = Infinity;
  for (const a of [0.1, 0.4, 0.8])
    for (const b of [0, 0.1])
      for (const g of [0.05, 0.3])
        for (const f of [0.5, 1]) {
          const v = [a, b, g, f];
          const l = loss(v);
          if (l < bestLoss) [best, bestLoss] = [v, l];
        }
  // Nelder-Mead on the clamped coordinates: a simplex around the grid's best point.
  const dim = 4;
  const simplex: { v: number[]; l: number }[] = [{ v: best, l: bestLoss }];
  for (let d = 0; d < dim; d++) {
    const v = best.slice();
    v[d] = v[d] > 0.5 ? v[d] - 0.15 : v[d] + 0.15;
    simplex.push({ v, l: loss(v) });
  }
  while (evals() < HW_FIT_EVALS) {
    simplex.sort((x, y) => x.l - y.l);
    if (simplex[dim].l - simplex[0].l <= 1e-12 * (1 + Math.abs(simplex[0].l))) break;
    const c = new Array<number>(dim).fill(0);
    for (let i = 0; i < dim; i++) for (let d = 0; d < dim; d++) c[d] += simplex[i].v[d] / dim;
    const worst = simplex[dim];
    const along = (t: number): number[] => c.map((cd, d) => cd + t * (worst.v[d] - cd));
    const r = along(-1);
    const lr = loss(r);
    if (lr < simplex[0].l) {
      const e = along(-2);
      const le = loss(e);
      simplex[dim] = le < lr ? { v: e, l: le } : { v: r, l: lr };
    } else if (lr < simplex[dim - 1].l) {
      simplex[dim] = { v: r, l: lr };
    } else {
      const k = along(0.5);
      const lk = loss(k);
      if (lk < worst.l) simplex[dim] = { v: k, l: lk };
      else {
        for (let i = 1; i <= dim; i++) {
          const v = simplex[i].v.map((x, d) => simplex[0].v[d] + 0.5 * (x - simplex[0].v[d]));
          simplex[i] = { v, l: loss(v) };
        }
      }
    }
  }
  simplex.sort((x, y) => x.l - y.l);
  return paramsOf(simplex[0].v);
}

/**
 * The stretches of history behind overlapping windows: each window's target
 * column followed by its targets is a stretch of the series; a window that
 * repeats the previous stretch shifted by s rows (1 <= s < L + H, the smallest s
 * that matches exactly) adds its last s values. A window that matches no shift
 * (a gap in the data, or the next series of a multi-series dataset) starts a new
 * stretch. Bounded by the windows: at most one stretch per window.
 * @param cols [N] target columns of the windows, oldest first, each of length L.
 * @param targets [N] their H future values.
 */
export function historyStretches(cols: ArrayLike<number>[], targets: ArrayLike<number>[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let prev: number[] = [];
  for (let i = 0; i < cols.length; i++) {
    const win = [...Array.from(cols[i]), ...Array.from(targets[i])];
    const len = win.length;
    let shift = 0;
    for (let s = 1; s < len && i > 0 && !shift; s++) {
      let same = true;
      for (let j = 0; j + s < len && same; j++) same = prev[j + s] === win[j];
      if (same) shift = s;
    }
    if (shift) for (let j = len - shift; j < len; j++) cur.push(win[j]);
    else {
      cur = win.slice();
      out.push(cur);
    }
    prev = win;
  }
  return out;
}

/** The last stretch of {@link historyStretches} (empty without windows). */
export function historyFromWindows(cols: ArrayLike<number>[], targets: ArrayLike<number>[]): number[] {
  const all = historyStretches(cols, targets);
  return all.length ? all[all.length - 1] : [];
}

/**
 * The shift r (0 .. m-1) of a stored seasonal profile that lines it up with a
 * window: window row j takes profile[(j + r) % m]. The r whose profile leaves
 * the smallest squared residual around a straight line through the window
 * (ties: the smallest r). A function of the window and the profile only, so
 * validation and prediction align the same window the same way.
 */
export function hwPhase(y: ArrayLike<number>, profile: ArrayLike<number>): number {
  const m = profile.length;
  const n = y.length;
  if (m < 2 || n < 2) return 0;
  const jBar = (n - 1) / 2;
  let sjj = 0;
  for (let j = 0; j < n; j++) sjj += (j - jBar) ** 2;
  let best = 0;
  let bestRss = Infinity;
  for (let r = 0; r < m; r++) {
    let sz = 0;
    let szz = 0;
    let sjz = 0;
    for (let j = 0; j < n; j++) {
      const z = y[j] - profile[(j + r) % m];
      sz += z;
      szz += z * z;
      sjz += (j - jBar) * z;
    }
    const rss = szz - (sz * sz) / n - (sjz * sjz) / sjj;
    if (rss < bestRss) [best, bestRss] = [r, rss];
  }
  return best;
}

/**
 * Filters one window from a carried state and forecasts `horizon` steps: the
 * seasonal state starts as the profile shifted by `phase`, the trend as
 * `trend0`, the level from the window's first season (or third) less that
 * season and trend; then the usual damped additive updates row by row.
 * @param s scratch of at least m values.
 */
function filterWindow(
  y: ArrayLike<number>,
  horizon: number,
  p: HoltWintersParams,
  profile: ArrayLike<number>,
  phase: number,
  trend0: number,
  out: Float64Array,
  s: Float64Array,
): Float64Array {
  const n = y.length;
  const m = profile.length;
  for (let j = 0; j < m; j++) s[j] = profile[(j + phase) % m];
  const block = Math.min(n, m || Math.max(1, Math.floor(n / 3)));
  let mean = 0;
  for (let j = 0; j < block; j++) mean += y[j] - (m ? s[j % m] : 0);
  mean /= block;
  return filterAndForecast(y, p, m, s, mean - trend0 * ((block - 1) / 2 + 1), trend0, horizon, out);
}

/**
 * Forecasts `horizon` steps after the window `y` with Holt-Winters whose
 * seasonal profile and trend were carried across the training history
 * ({@link fitHoltWintersHistory}): the profile lined up with the window by
 * {@link hwPhase}, the level from the window, then filtered over the window.
 */
export function hwHistoryForecast(
  y: ArrayLike<number>,
  horizon: number,
  state: HoltWintersState,
  out: Float64Array = new Float64Array(horizon),
): Float64Array {
  const s = new Float64Array(state.profile.length);
  return filterWindow(y, horizon, state, state.profile, hwPhase(y, state.profile), state.trend, out, s);
}

/**
 * Runs damped additive Holt-Winters over the whole history `y` and calls
 * `at(t, trend, s)` before row t for each t in `stops` (ascending), s being the
 * seasonal state indexed by history row mod m. Starts from the first two
 * seasons (or thirds of a window without season): level and trend from their
 * means, the profile from the first season less that line.
 * @returns the trend and the seasonal state after the last row.
 */
function runHistory(
  y: ArrayLike<number>,
  p: HoltWintersParams,
  m: number,
  block: number,
  stops: number[],
  at: (t: number, trend: number, s: Float64Array) => void,
): { trend: number; s: Float64Array } {
  const n = y.length;
  const b = Math.max(1, Math.min(block, Math.floor(n / 2)));
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < b; i++) {
    m0 += y[i];
    m1 += y[b + i];
  }
  m0 /= b;
  m1 /= b;
  let trend = (m1 - m0) / b;
  const s = new Float64Array(Math.max(m, 1));
  if (m) {
    let c = 0;
    for (let j = 0; j < m; j++) {
      s[j] = (y[j] + y[j + m]) / 2 - (m0 + m1) / 2 - trend * (j - (m - 1) / 2);
      c += s[j];
    }
    for (let j = 0; j < m; j++) s[j] -= c / m;
  }
  const { alpha, beta, gamma, phi } = p;
  let level = m0 - trend * ((b - 1) / 2 + 1);
  let k = 0;
  for (let t = 0; t < n; t++) {
    while (k < stops.length && stops[k] === t) at(stops[k++], trend, s);
    const season_t = m ? s[t % m] : 0;
    const prevLevel = level;
    level = alpha * (y[t] - season_t) + (1 - alpha) * (prevLevel + phi * trend);
    trend = beta * (level - prevLevel) + (1 - beta) * phi * trend;
    if (m) s[t % m] = gamma * (y[t] - level) + (1 - gamma) * season_t;
  }
  return { trend, s };
}

/**
 * Fits Holt-Winters on the whole training history `y` (see
 * {@link historyFromWindows}) and returns the parameters with the seasonal
 * profile and trend at the history's end. The loss is what prediction does:
 * for (at most {@link HW_FIT_WINDOWS} evenly spaced) windows of the history,
 * the H-step squared error of {@link filterWindow} started from the trend and
 * profile the history carried up to the window (the phase known from the row),
 * the level from the window. So the trend and the profile see the whole
 * history, the level follows the window.
 * @returns null when the history holds no window and its targets.
 */
export function fitHoltWintersHistory(
  y: number[],
  window: number,
  horizon: number,
  season: number,
): HoltWintersState | null {
  const fit = fitHoltWintersHistories([y], window, horizon, season);
  return fit ? fit.states[0] : null;
}

/**
 * {@link fitHoltWintersHistory} over several histories at once (one per series): one set of parameters fitted on
 * the windows of all of them (the {@link HW_FIT_WINDOWS} budget shared in proportion to their windows), and each
 * history's own profile and trend at its end. A history too short for one window and its targets adds no windows
 * and gets its state all the same.
 * @returns null when no history holds a window and its targets; else the states in the order given.
 */
export function fitHoltWintersHistories(
  ys: number[][],
  window: number,
  horizon: number,
  season: number,
): { states: (HoltWintersState | null)[] } | null {
  const lasts = ys.map((y) => (y.length >= 2 ? y.length - window - horizon : -1)); // last window start of each
  const usable = lasts.map((l, k) => (l >= 0 ? k : -1)).filter((k) => k >= 0);
  if (!usable.length) return null;
  const m = hwSeason(Math.min(...usable.map((k) => ys[k].length)), season);
  const block = m || Math.max(1, Math.floor(window / 3));
  const total = usable.reduce((a, k) => a + lasts[k] + 1, 0);
  const fits = usable.map((k) => {
    const last = lasts[k];
    const budget =
      usable.length === 1 ? HW_FIT_WINDOWS : Math.max(1, Math.floor((HW_FIT_WINDOWS * (last + 1)) / total));
    const stops: number[] = [];
    const stride = Math.max(1, (last + 1) / budget);
    for (let i = 0; i <= last && stops.length < budget; i = Math.floor((stops.length + 1) * stride)) {
      stops.push(i);
    }
    return { y: ys[k], yy: Float64Array.from(ys[k]), stops };
  });
  const buf = new Float64Array(horizon);
  const scratch = new Float64Array(Math.max(m, 1));
  const profile = new Float64Array(m);
  let evals = 0;
  const loss = (v: ArrayLike<number>): number => {
    evals++;
    const p = paramsOf(v);
    let sse = 0;
    for (const { y, yy, stops } of fits) {
      runHistory(yy, p, m, block, stops, (a, trend, s) => {
        profile.set(s.subarray(0, m));
        filterWindow(yy.subarray(a, a + window), horizon, p, profile, m ? a % m : 0, trend, buf, scratch);
        for (let h = 0; h < horizon; h++) sse += (y[a + window + h] - buf[h]) ** 2;
      });
    }
    return Number.isFinite(sse) ? sse : Infinity;
  };
  const p = minimise(loss, () => evals);
  return {
    // a history shorter than the start's two blocks has no state of its own
    states: ys.map((y) => (y.length < 2 * Math.max(block, m, 1) ? null : endState(y, p, m, block))),
  };
}

/**
 * The fitted model's state carried on over a longer history `y` (the same history it was fitted on, extended at
 * its end, e.g. by the validation rows): the same parameters, the seasonal profile and trend after the last row of
 * `y`. So the stored state is that of the newest data the run saw, not of the end of the part the parameters were
 * fitted on.
 * @param window the window length L the state was fitted for (the start's block without a season).
 */
export function carryHoltWinters(y: ArrayLike<number>, state: HoltWintersState, window: number): HoltWintersState {
  const m = state.profile.length;
  const { alpha, beta, gamma, phi } = state;
  return endState(y, { alpha, beta, gamma, phi }, m, m || Math.max(1, Math.floor(window / 3)));
}

/** The parameters `p` with the profile and trend after running them over the whole history `y`. */
function endState(y: ArrayLike<number>, p: HoltWintersParams, m: number, block: number): HoltWintersState {
  const end = runHistory(Float64Array.from(y), p, m, block, [], () => undefined);
  return { ...p, profile: Array.from(end.s.subarray(0, m)), trend: end.trend };
}

/** Per model state object, its series' states by id (built once, on first use). */
const SERIES_INDEX = new WeakMap<HoltWintersState, Map<string, HoltWintersState>>();

/**
 * The carried state a window of series `id` is forecast from: that series' own when the model holds one, else the
 * top-level state (the series with most windows; the only one of a model trained on one series).
 */
export function hwStateFor(state: HoltWintersState, id: string | undefined): HoltWintersState {
  if (!state.series || !state.series.length || id === undefined) return state;
  let index = SERIES_INDEX.get(state);
  if (!index) {
    index = new Map(state.series.map((s) => [s.id, { ...state, profile: s.profile, trend: s.trend }]));
    SERIES_INDEX.set(state, index);
  }
  return index.get(id) ?? state;
}
