/**
 * The base: the forecast the network learns the residual of, chosen on the
 * validation windows by the metric the report shows (MAE, real units). Each
 * candidate is a target reference of the scaler (scaler.ts: last value, seasonal
 * naive, last value plus the past seasons' change, damped Holt-Winters fitted on
 * the training windows, started from each window alone or from the trend and
 * seasonal profile carried across the training history) alone, and, with the highway, plus a ridge fit on that
 * reference's residual (the linear start). The winner decides the scaler and the
 * highway's starting weights (ridge, or zeros: then epoch 0 is the reference
 * exactly). After training, the network is kept only when its validation MAE is
 * not above the base's (trainer.ts); so the stored model never scores worse on
 * validation than the last value or the seasonal naive forecast, both being
 * candidates. When several candidates are within one standard error of the best
 * (standard errors from blocks of H windows), their equal-weight mean is stored
 * instead if it scores no worse on validation ({@link combineCandidates}).
 */
import {
  chooseReference,
  fitScaler,
  prepare,
  restoreForecast,
  type ReferencePart,
  type ScalerState,
} from '../data/scaler';
import {
  carryHoltWinters,
  fitHoltWinters,
  fitHoltWintersHistories,
  fitHoltWintersHistory,
  historyStretches,
  HW_MAX_SERIES,
  type HoltWintersSeriesState,
  type HoltWintersState,
} from '../data/holt-winters';
import { SERIES_ID_MAX } from '../data/conformal';
import { mae, targetsToMatrix } from '../data/metrics';
import { seasonsThatFit } from '../data/scaler';
import type { BaseReport, BaseCandidateScore } from '../model/artifact';
import type { CheckedRequest } from './request';
import {
  fitRidge,
  inputMoments,
  predictRidge,
  RIDGE_ALPHAS,
  selectRidge,
  type InputMoments,
  type RidgeModel,
} from './ridge';
import type { Prepared, Split, Windows } from './split';

/** The chosen base: its scaler, prepared windows, the ridge to start from (null: zeros) and the report entry. */
export interface ChosenBase {
  prepared: Prepared;
  ridge: RidgeModel | null;
  report: BaseReport;
  /**
   * With a combination: the member the network learns the residual of (the best single one on validation) and
   * its weight in the mean. The network is trained on it, then enters the mean in its place (trainer.ts).
   */
  anchor?: { prepared: Prepared; ridge: RidgeModel | null; weight: number };
  /**
   * The chosen base refitted on the training and validation windows ({@link refitBase}): what the stored model
   * forecasts with, in place of `prepared.scaler` and `ridge`. Absent when the `refit` option is off.
   */
  refit?: BaseRefit;
}

/** A base refitted on the training and validation windows: its scaler, its ridge (null: none) and what changed. */
export interface BaseRefit {
  scaler: ScalerState;
  ridge: RidgeModel | null;
  /** Training plus validation windows the ridge saw. */
  windows: number;
  /** A carried Holt-Winters state was run on through the validation rows. */
  state: boolean;
}

/** Name of a candidate in the report ('holt-winters + ridge'). */
export function baseName(scaler: ScalerState, ridge: boolean): string {
  const ref = scaler.reference ?? 'last';
  if (ref === 'combination') return `combination of ${scaler.mix?.length ?? 0}${ridge ? ' + ridge' : ''}`;
  const kind =
    ref === 'seasonal'
      ? `seasonal K=${scaler.seasons}`
      : ref === 'holt-winters' && scaler.hw && 'profile' in scaler.hw
        ? 'holt-winters history'
        : ref;
  return ridge ? `${kind} + ridge` : kind;
}

/** The report's numbers of a scaler's reference: season, seasons, Holt-Winters parameters and trend, as they apply. */
export function baseParams(s: ScalerState): Record<string, number> {
  return {
    ...(s.season !== undefined ? { season: s.season } : {}),
    ...(s.seasons !== undefined ? { seasons: s.seasons } : {}),
    ...(s.hw ? { alpha: s.hw.alpha, beta: s.hw.beta, gamma: s.hw.gamma, phi: s.hw.phi } : {}),
    ...(s.hw && 'trend' in s.hw ? { trend: s.hw.trend } : {}),
  };
}

/** The references a request's `reference` option lets compete. */
export function candidateScalers(req: CheckedRequest, train: Windows, trainIds?: readonly string[]): ScalerState[] {
  const z = fitScaler(train.inputs);
  const { reference, season } = req.options;
  const out: ScalerState[] = [{ ...z, reference: 'last' }];
  if (reference === 'last' || !train.inputs.length) return out;
  const L = train.inputs[0].length;
  const H = train.targets[0].length;
  if (reference === 'seasonal') {
    // the choice before the chosen base: K on the training targets
    const chosen = chooseReference(train.inputs, train.targets, z, req.targetIndex, season);
    if (chosen.reference === 'seasonal') out.push({ ...z, ...chosen });
    return out;
  }
  if (Number.isInteger(season) && season >= 1 && season <= L) out.push({ ...z, reference: 'seasonal-naive', season });
  const fit = season >= 2 ? seasonsThatFit(L, H, season, 3) : 0;
  for (let K = 1; K <= fit; K++) out.push({ ...z, reference: 'seasonal', season, seasons: K });
  const ti = req.targetIndex;
  const hw = fitHoltWinters(
    train.inputs.map((w) => w.map((r) => r[ti])),
    train.targets.map((t) => t.map((r) => r[0])),
    season,
  );
  out.push({ ...z, reference: 'holt-winters', season, hw });
  // The same model with its trend and seasonal profile carried across the training history: for one unbroken
  // history, its state; for windows that name several series, one state per series (parameters fitted on all of
  // them), so no series is forecast from another's profile. Several stretches without series ids (a gap in one
  // series) carry none: the window-only Holt-Winters above serves those.
  const carried = carriedHoltWinters(train, trainIds, ti, L, H, season);
  if (carried) out.push({ ...z, reference: 'holt-winters', season: carried.profile.length, hw: carried });
  return out;
}

/** The training windows' history per series, in first-seen order (one group without ids), and each group's size. */
function seriesHistories(
  data: Windows,
  ids: readonly (string | undefined)[] | undefined,
  ti: number,
): { id: string | undefined; windows: number; stretches: number[][] }[] {
  const groups = new Map<string | undefined, { cols: number[][]; targets: number[][] }>();
  data.inputs.forEach((w, i) => {
    const id = ids?.[i];
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { cols: [], targets: [] }));
    g.cols.push(w.map((r) => r[ti]));
    g.targets.push(data.targets[i].map((r) => r[0]));
  });
  return [...groups].map(([id, g]) => ({ id, windows: g.cols.length, stretches: historyStretches(g.cols, g.targets) }));
}

/**
 * The carried Holt-Winters candidate: one unbroken history's state, or with series ids one state per series (each
 * series' last stretch; parameters fitted on every stretch), the series with most windows first and at the top
 * level, at most {@link HW_MAX_SERIES}. Null when there is no such history.
 */
function carriedHoltWinters(
  train: Windows,
  ids: readonly string[] | undefined,
  ti: number,
  L: number,
  H: number,
  season: number,
): HoltWintersState | null {
  const groups = seriesHistories(train, ids, ti);
  if (groups.length === 1 && groups[0].stretches.length === 1)
    return fitHoltWintersHistory(groups[0].stretches[0], L, H, season);
  if (!ids || groups.length < 2) return null;
  const all = groups.flatMap((g) => g.stretches);
  const fit = fitHoltWintersHistories(all, L, H, season);
  if (!fit) return null;
  // each series' state is that of its last stretch (the end of its newest unbroken history)
  let k = 0;
  const own: { n: number; state: HoltWintersSeriesState }[] = [];
  for (const g of groups) {
    k += g.stretches.length;
    const state = fit.states[k - 1];
    // an id too long to store (a long msg.topic) gets the top-level state, as its calibration pools
    if (state && g.id !== undefined && g.id.length <= SERIES_ID_MAX)
      own.push({ n: g.windows, state: { id: g.id, profile: state.profile, trend: state.trend } });
  }
  if (!own.length) return null;
  const series = own
    .sort((a, b) => b.n - a.n)
    .slice(0, HW_MAX_SERIES)
    .map((o) => o.state);
  const { alpha, beta, gamma, phi } = fit.states.find((s) => s)!;
  return {
    alpha,
    beta,
    gamma,
    phi,
    profile: series[0].profile,
    trend: series[0].trend,
    series,
  };
}

/** Mean absolute error of each window (over its horizon steps). */
function windowErrors(truth: number[][], pred: number[][]): number[] {
  return truth.map((row, i) => row.reduce((a, y, h) => a + Math.abs(y - pred[i][h]), 0) / row.length);
}

/**
 * The one-standard-error rule (Breiman et al. 1984; Hastie et al., The Elements of Statistical Learning 7.10):
 * among the candidates, in the order given (simplest first), the first whose validation MAE is within one
 * standard error of the best one's, the error of the mean of their paired per-window differences. With ~50-900
 * validation windows, the lowest MAE alone picks among near-ties by noise, and a more complex base (more
 * parameters fitted, more state) that wins by noise tends to lose on later data. Only candidates no worse than
 * the best naive forecast qualify, so the report's guarantee holds.
 */
export function oneStandardError(errors: (number[] | null)[], eligible: (i: number) => boolean): number {
  const score = errors.map((e) => (e ? e.reduce((a, b) => a + b, 0) / e.length : Infinity));
  let best = -1;
  score.forEach((v, i) => {
    if (Number.isFinite(v) && eligible(i) && (best < 0 || v < score[best])) best = i;
  });
  if (best < 0) return -1;
  const b = errors[best]!;
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    if (!e || !eligible(i) || !Number.isFinite(score[i])) continue;
    if (i === best) return i;
    const d = e.map((v, k) => v - b[k]);
    const mean = d.reduce((a, x) => a + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, d.length - 1));
    if (mean <= sd / Math.sqrt(d.length)) return i;
  }
  return best;
}

/**
 * The eligible candidates within one standard error of the best validation MAE, the standard error of the mean
 * paired difference taken over blocks of `block` consecutive windows. Consecutive windows share all but one of
 * their target steps, so their errors move together; counted as independent (as {@link oneStandardError} does),
 * ~900 hourly windows look like ~900 observations when they hold about 900 / H independent ones, and a candidate
 * that wins one validation stretch by noise looks significantly better. Blocks of H windows share no target
 * step with the next block but one, so their means are close to independent. With fewer than
 * {@link MIN_BLOCKS} blocks the standard error is not estimated and only the best is returned.
 * @returns indices in the order given (empty when no candidate is eligible and finite).
 */
/**
 * Fewest blocks a block standard error is taken from: a standard deviation of 2-4 block means has 1-3 degrees of
 * freedom (a t quantile of 2.4-12.7 where one standard error assumes about 1), so "within one standard error" would
 * mean little; a validation part that short keeps the single pick.
 */
export const MIN_BLOCKS = 5;

export function withinBlockError(
  errors: (number[] | null)[],
  eligible: (i: number) => boolean,
  block: number,
): number[] {
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  const score = errors.map((e) => (e && e.length ? mean(e) : Infinity));
  let best = -1;
  score.forEach((v, i) => {
    if (Number.isFinite(v) && eligible(i) && (best < 0 || v < score[best])) best = i;
  });
  if (best < 0) return [];
  const b = errors[best]!;
  const size = Math.max(1, Math.floor(block));
  if (Math.ceil(b.length / size) < MIN_BLOCKS) return [best];
  const out: number[] = [];
  errors.forEach((e, i) => {
    if (!e || !eligible(i) || !Number.isFinite(score[i])) return;
    if (i === best) return void out.push(i);
    const blocks: number[] = [];
    for (let a = 0; a < e.length; a += size) {
      const d = e.slice(a, a + size).map((v, k) => v - b[a + k]);
      blocks.push(mean(d));
    }
    const m = score[i] - score[best];
    const bm = mean(blocks);
    const sd = Math.sqrt(blocks.reduce((a, x) => a + (x - bm) ** 2, 0) / Math.max(1, blocks.length - 1));
    if (m <= sd / Math.sqrt(blocks.length)) out.push(i);
  });
  return out;
}

/** A candidate of {@link chooseBase}: prepared windows with its scaler, the ridge on top (null: none). */
interface Candidate {
  prepared: Prepared;
  ridge: RidgeModel | null;
  mae: number;
  errors: number[] | null;
}

/**
 * The equal-weight mean of several candidates as one base: its reference the weighted mean of the members'
 * references (members sharing a scaler add their weights), its ridge the mean of the members' ridges (a member
 * without one adds zeros). Exact, not an approximation: every reference sees the same inputs, so the mean of
 * `ref_j + ridge_j(x)` is `mean ref_j + (mean ridge_j)(x)`, one reference and one linear map, which the highway
 * holds and prediction serves like any other base. Why combine: the candidates within one standard error are
 * not told apart by validation, and picking one of them picks by noise; their mean is as good on average and
 * varies less (forecast combination, Bates and Granger 1969; the M4 competition's combinations of exponential
 * smoothing methods beat each one alone, Makridakis et al. 2020).
 * @returns the prepared windows and the ridge of the combination (null when no member has one).
 */
export function combineCandidates(
  members: { prepared: Prepared; ridge: RidgeModel | null }[],
  req: CheckedRequest,
): { prepared: Prepared; ridge: RidgeModel | null } {
  const mixed = mixMembers(members.map((m) => ({ scaler: m.prepared.scaler, ridge: m.ridge })));
  const first = members[0].prepared;
  const one = mixed.scaler === first.scaler;
  const ti = req.targetIndex;
  const { trainWindows: train, valWindows: val } = first;
  const prepared: Prepared = {
    ...first,
    scaler: mixed.scaler,
    train: one ? first.train : prepare(train.inputs, train.targets, mixed.scaler, ti, undefined, first.trainIds),
    val: one ? first.val : prepare(val.inputs, val.targets, mixed.scaler, ti, undefined, first.valIds),
  };
  return { prepared, ridge: mixed.ridge };
}

/**
 * The scaler and ridge of the equal-weight mean of members (see {@link combineCandidates}): members sharing a
 * scaler object add their weights; one scaler behind every member (a reference with and without ridge) is that
 * reference itself, no mix needed; the ridge is the mean of the members' ridges (a member without one adds
 * zeros), null when none has one.
 */
function mixMembers(members: { scaler: ScalerState; ridge: RidgeModel | null }[]): {
  scaler: ScalerState;
  ridge: RidgeModel | null;
} {
  const w = 1 / members.length;
  const scalers: ScalerState[] = [];
  const weights: number[] = [];
  for (const m of members) {
    const k = scalers.indexOf(m.scaler);
    if (k >= 0) weights[k] += w;
    else {
      scalers.push(m.scaler);
      weights.push(w);
    }
  }
  const { mean, std } = members[0].scaler;
  const mix: ReferencePart[] = scalers.map((s, k) => {
    const { mean: _m, std: _s, reference, ...rest } = s;
    void _m;
    void _s;
    return { weight: weights[k], reference: reference === 'combination' || !reference ? 'last' : reference, ...rest };
  });
  const scaler: ScalerState = scalers.length === 1 ? scalers[0] : { mean, std, reference: 'combination', mix };
  const ridges = members.map((m) => m.ridge);
  const some = ridges.find((r): r is RidgeModel => !!r);
  if (!some) return { scaler, ridge: null };
  const weightsOut = new Float64Array(some.weights.length);
  const intercept = new Float64Array(some.intercept.length);
  for (const r of ridges) {
    if (!r) continue;
    r.weights.forEach((v, i) => (weightsOut[i] += w * v));
    r.intercept.forEach((v, i) => (intercept[i] += w * v));
  }
  // the report's ridgeAlpha: the strongest penalty among the members (the mean is at least that smooth)
  const alpha = Math.max(...ridges.filter((r): r is RidgeModel => !!r).map((r) => r.alpha));
  return { scaler, ridge: { weights: weightsOut, intercept, alpha, inputs: some.inputs, outputs: some.outputs } };
}

/** The validation forecast of a base: its reference plus its ridge (or nothing) restored to real units. */
function baseForecast(prepared: Prepared, ridge: RidgeModel | null, req: CheckedRequest): number[][] {
  const p = prepared.val;
  const H = req.data.horizon;
  const D = prepared.train.window * prepared.train.features;
  const scaled = ridge ? predictRidge(ridge, { data: p.x, rows: p.count, cols: D }) : new Float32Array(p.count * H);
  return restoreForecast(scaled, p.levels, prepared.scaler, req.targetIndex, H, p.refs);
}

/**
 * The chosen base refitted once more on the training and validation windows together, its choices kept: each
 * member's ridge with the penalty validation chose, and a Holt-Winters state carried across the history run on
 * through the validation rows with the fitted parameters (when the windows make one unbroken history). Why: the
 * validation windows are the newest data, and choosing on them then forecasting with a fit that never saw them
 * throws the newest part of the history away (the usual last step of model selection, e.g. Hastie et al., The
 * Elements of Statistical Learning 7.10; Hyndman and Athanasopoulos, Forecasting: Principles and Practice 5.8).
 * The report's validation scores and the intervals stay those of the fit on the training part (held out); the
 * stored model forecasts with this one.
 * @returns null when no member has anything fitted (a reference without state or ridge).
 */
export function refitBase(
  req: CheckedRequest,
  split: Split,
  members: { prepared: Prepared; ridge: RidgeModel | null }[],
): BaseRefit | null {
  const ti = req.targetIndex;
  const H = req.data.horizon;
  const inputs = split.train.inputs.concat(split.val.inputs);
  const targets = split.train.targets.concat(split.val.targets);
  const ids = split.trainIds && split.valIds ? split.trainIds.concat(split.valIds) : undefined;
  const carries = (s: ScalerState): boolean => s.reference === 'holt-winters' && !!s.hw && 'profile' in s.hw;
  if (!members.some((m) => m.ridge || carries(m.prepared.scaler))) return null;
  const L = inputs[0].length;
  let state = false;
  const scalers = new Map<ScalerState, ScalerState>();
  const scalerOf = (s: ScalerState): ScalerState => {
    let out = scalers.get(s);
    if (out) return out;
    out = s;
    if (carries(s) && s.hw && 'profile' in s.hw) {
      const hw = carryOn(s.hw, split.train, { inputs, targets }, split.trainIds, ids, ti, L);
      if (hw) {
        out = { ...s, hw };
        state = true;
      }
    }
    scalers.set(s, out);
    return out;
  };
  // every reference sees the same inputs: their moments once, each member's targets on top
  let xm: InputMoments | undefined;
  const refitted = members.map((m) => {
    const scaler = scalerOf(m.prepared.scaler);
    if (!m.ridge) return { scaler, ridge: null };
    const p = prepare(inputs, targets, scaler, ti, undefined, ids);
    const x = { data: p.x, rows: p.count, cols: p.window * p.features };
    xm ??= inputMoments(x);
    return { scaler, ridge: fitRidge(x, { data: p.y, rows: p.count, cols: H }, m.ridge.alpha, xm) };
  });
  const mixed = refitted.length > 1 ? mixMembers(refitted) : refitted[0];
  return { scaler: mixed.scaler, ridge: mixed.ridge, windows: inputs.length, state };
}

/**
 * A carried state run on through the validation rows: the one history's, or each series' whose validation windows
 * continue its last training stretch (a series whose validation starts after a gap keeps its state). Null when none
 * moved.
 */
function carryOn(
  hw: HoltWintersState,
  train: Windows,
  all: Windows,
  trainIds: readonly string[] | undefined,
  allIds: readonly string[] | undefined,
  ti: number,
  L: number,
): HoltWintersState | null {
  if (!hw.series) {
    const groups = seriesHistories(all, undefined, ti);
    return groups[0].stretches.length === 1 ? carryHoltWinters(groups[0].stretches[0], hw, L) : null;
  }
  if (!allIds) return null;
  const before = new Map(seriesHistories(train, trainIds, ti).map((g) => [g.id, g.stretches.length]));
  const after = new Map(seriesHistories(all, allIds, ti).map((g) => [g.id, g.stretches]));
  let moved = false;
  const series = hw.series.map((s) => {
    const st = after.get(s.id);
    if (!st || st.length !== before.get(s.id)) return s;
    const c = carryHoltWinters(st[st.length - 1], { ...hw, profile: s.profile, trend: s.trend }, L);
    moved = true;
    return { id: s.id, profile: c.profile, trend: c.trend };
  });
  if (!moved) return null;
  const { alpha, beta, gamma, phi } = hw;
  return { alpha, beta, gamma, phi, profile: series[0].profile, trend: series[0].trend, series };
}

/**
 * Scores every candidate on the validation windows and returns the simplest within one standard error of the
 * best ({@link oneStandardError}), or the mean of all within one block standard error of it
 * ({@link withinBlockError}, {@link combineCandidates}) when that scores no worse on validation.
 * @param withRidge the model has a highway to hold a ridge fit.
 */
export function chooseBase(req: CheckedRequest, split: Split, withRidge: boolean): ChosenBase {
  const { train, val, valIds, trainIds } = split;
  const ti = req.targetIndex;
  const H = req.data.horizon;
  const truth = targetsToMatrix(val.targets);
  const candidates: BaseCandidateScore[] = [];
  const options: Candidate[] = [];
  let xm: InputMoments | undefined;
  for (const scaler of candidateScalers(req, train, trainIds)) {
    const prepared: Prepared = {
      trainWindows: train,
      valWindows: val,
      ...(valIds ? { valIds } : {}),
      ...(trainIds ? { trainIds } : {}),
      scaler,
      train: prepare(train.inputs, train.targets, scaler, ti, undefined, trainIds),
      val: prepare(val.inputs, val.targets, scaler, ti, undefined, valIds),
    };
    const p = prepared.val;
    const forecasts: { ridge: RidgeModel | null; pred: number[][] }[] = [
      { ridge: null, pred: baseForecast(prepared, null, req) },
    ];
    if (withRidge) {
      const D = prepared.train.window * prepared.train.features;
      const t = prepared.train;
      const x = { data: t.x, rows: t.count, cols: D };
      // every reference sees the same inputs (prepare): their moments once for all candidates
      xm ??= inputMoments(x);
      const ridge = selectRidge(
        x,
        { data: t.y, rows: t.count, cols: H },
        { data: p.x, rows: p.count, cols: D },
        { data: p.y, rows: p.count, cols: H },
        RIDGE_ALPHAS,
        xm,
      ).model;
      forecasts.push({ ridge, pred: baseForecast(prepared, ridge, req) });
    }
    for (const f of forecasts) {
      const m = mae(truth, f.pred);
      const finite = Number.isFinite(m);
      candidates.push({ name: baseName(scaler, !!f.ridge), mae: finite ? m : null });
      options.push({ prepared, ridge: f.ridge, mae: m, errors: finite ? windowErrors(truth, f.pred) : null });
    }
  }
  // The naive forecasts the report shows: last value alone, and the seasonal naive one when it competes.
  const naive = options
    .filter((o) => !o.ridge && ['last', 'seasonal-naive'].includes(o.prepared.scaler.reference ?? 'last'))
    .map((o) => o.mae)
    .filter(Number.isFinite);
  const bar = Math.min(...naive);
  const pick = oneStandardError(
    options.map((o) => o.errors),
    (i) => options[i].mae <= bar,
  );
  // 'last' alone always scores unless the validation targets are not finite (checked before).
  let chosen: Candidate = options[pick];
  let members: Candidate[] = [chosen];
  let name = baseName(chosen.prepared.scaler, !!chosen.ridge);
  let anchor: ChosenBase['anchor'];
  const within = withinBlockError(
    options.map((o) => o.errors),
    (i) => options[i].mae <= bar,
    H,
  );
  if (within.length > 1) {
    const c = combineCandidates(
      within.map((i) => options[i]),
      req,
    );
    const pred = baseForecast(c.prepared, c.ridge, req);
    const m = mae(truth, pred);
    const finite = Number.isFinite(m);
    const combined = `combination: ${within.map((i) => candidates[i].name).join(' | ')}`;
    candidates.push({ name: combined, mae: finite ? m : null });
    // not worse than the single pick on validation, so the report's guarantee holds for the mean too
    if (finite && m <= chosen.mae) {
      chosen = { ...c, mae: m, errors: null };
      members = within.map((i) => options[i]);
      name = combined;
      // withinBlockError keeps the best one in the set: the lowest validation MAE
      const a = options[within.reduce((b, i) => (options[i].mae < options[b].mae ? i : b), within[0])];
      anchor = { prepared: a.prepared, ridge: a.ridge, weight: 1 / within.length };
    }
  }
  const s = chosen.prepared.scaler;
  const report: BaseReport = {
    name,
    reference: s.reference ?? 'last',
    ridge: !!chosen.ridge,
    params: { ...baseParams(s), ...(chosen.ridge ? { ridgeAlpha: chosen.ridge.alpha } : {}) },
    mae: chosen.mae,
    candidates,
    network: 'kept',
  };
  const refit = req.options.refit ? refitBase(req, split, members) : null;
  if (refit) report.refit = { windows: refit.windows, ridge: !!refit.ridge, state: refit.state };
  return {
    prepared: chosen.prepared,
    ridge: chosen.ridge,
    report,
    ...(anchor ? { anchor } : {}),
    ...(refit ? { refit } : {}),
  };
}
