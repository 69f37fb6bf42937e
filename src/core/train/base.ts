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
 * candidates.
 */
import { chooseReference, fitScaler, prepare, restoreForecast, type ScalerState } from '../data/scaler';
import { fitHoltWinters, fitHoltWintersHistory, historyStretches } from '../data/holt-winters';
import { mae, targetsToMatrix } from '../data/metrics';
import { seasonsThatFit } from '../data/scaler';
import type { BaseReport, BaseCandidateScore } from '../model/artifact';
import type { CheckedRequest } from './request';
import { predictRidge, RIDGE_ALPHAS, selectRidge, type RidgeModel } from './ridge';
import type { Prepared, Split, Windows } from './split';

/** The chosen base: its scaler, prepared windows, the ridge to start from (null: zeros) and the report entry. */
export interface ChosenBase {
  prepared: Prepared;
  ridge: RidgeModel | null;
  report: BaseReport;
}

/** Name of a candidate in the report ('holt-winters + ridge'). */
export function baseName(scaler: ScalerState, ridge: boolean): string {
  const ref = scaler.reference ?? 'last';
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
export function candidateScalers(req: CheckedRequest, train: Windows): ScalerState[] {
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
  // The same model with its trend and seasonal profile carried across the training history. Only for one unbroken
  // history: windows of several series (or with a gap) make several stretches, and one carried trend and profile
  // would be applied to every series' windows (the last series' state to all of them); the window-only
  // Holt-Winters above serves those.
  const stretches = historyStretches(
    train.inputs.map((w) => w.map((r) => r[ti])),
    train.targets.map((t) => t.map((r) => r[0])),
  );
  const carried = stretches.length === 1 ? fitHoltWintersHistory(stretches[0], L, H, season) : null;
  if (carried) out.push({ ...z, reference: 'holt-winters', season: carried.profile.length, hw: carried });
  return out;
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
 * Scores every candidate on the validation windows and returns the simplest within one standard error of the
 * best ({@link oneStandardError}).
 * @param withRidge the model has a highway to hold a ridge fit.
 */
export function chooseBase(req: CheckedRequest, split: Split, withRidge: boolean): ChosenBase {
  const { train, val, valIds } = split;
  const ti = req.targetIndex;
  const H = req.data.horizon;
  const truth = targetsToMatrix(val.targets);
  const candidates: BaseCandidateScore[] = [];
  const options: { prepared: Prepared; ridge: RidgeModel | null; mae: number; errors: number[] | null }[] = [];
  for (const scaler of candidateScalers(req, train)) {
    const prepared: Prepared = {
      trainWindows: train,
      valWindows: val,
      ...(valIds ? { valIds } : {}),
      scaler,
      train: prepare(train.inputs, train.targets, scaler, ti),
      val: prepare(val.inputs, val.targets, scaler, ti),
    };
    const p = prepared.val;
    const forecasts: { ridge: RidgeModel | null; pred: number[][] }[] = [
      { ridge: null, pred: restoreForecast(new Float32Array(p.count * H), p.levels, scaler, ti, H, p.refs) },
    ];
    if (withRidge) {
      const D = prepared.train.window * prepared.train.features;
      const t = prepared.train;
      const ridge = selectRidge(
        { data: t.x, rows: t.count, cols: D },
        { data: t.y, rows: t.count, cols: H },
        { data: p.x, rows: p.count, cols: D },
        { data: p.y, rows: p.count, cols: H },
        RIDGE_ALPHAS,
      ).model;
      const scaled = predictRidge(ridge, { data: p.x, rows: p.count, cols: D });
      forecasts.push({ ridge, pred: restoreForecast(scaled, p.levels, scaler, ti, H, p.refs) });
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
  const best = pick >= 0 ? { ...options[pick], report: undefined as unknown as BaseReport } : null;
  // 'last' alone always scores unless the validation targets are not finite (checked before).
  const chosen = best!;
  const s = chosen.prepared.scaler;
  chosen.report = {
    name: baseName(s, !!chosen.ridge),
    reference: s.reference ?? 'last',
    ridge: !!chosen.ridge,
    params: { ...baseParams(s), ...(chosen.ridge ? { ridgeAlpha: chosen.ridge.alpha } : {}) },
    mae: chosen.mae,
    candidates,
    network: 'kept',
  };
  return { prepared: chosen.prepared, ridge: chosen.ridge, report: chosen.report };
}
