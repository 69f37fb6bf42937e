/**
 * Offline evaluation of forecasters on one series: a chronological train /
 * validation / test split, training with the validation part as the early
 * stopping set, then a rolling-origin test in real units beside the two naive
 * baselines, repeated over seeds. The same code serves the `lstm-forecast
 * evaluate` command and the accuracy benchmark (bench/accuracy.js), and follows
 * the benchmark protocol (accuracy-protocol-v1):
 *
 * - split: n_test = round(0.2 n), n_val = round(0.1 n), n_train = the rest;
 *   train = [0, n_train), val = [n_train, n_train + n_val), test = the rest.
 * - origin o = index of the last observed row; targets are y[o+1 .. o+H].
 *   train origins: L-1 <= o and o+H <= n_train-1 (targets inside train);
 *   val origins: n_train-1 <= o and o+H <= n_train+n_val-1 (inputs may reach back);
 *   test origins: n_train+n_val-1 <= o and o+H <= n-1, every `stride`-th.
 * - MASE scale: mean_{t=m..n_train-1} |y[t] - y[t-m]| on the train rows (season m).
 *
 * Pure core: no Node-RED, no console, no process.exit.
 */
import { initBackend } from '../base/backend';
import { ForecastError, describe } from '../base/errors';
import { fail } from '../base/messages';
import { iso } from '../base/time';
import { slidingWindows, medianStep } from '../data/windowing';
import { columnIndex, numericColumn, timeColumn, type CsvTable } from '../data/csv';
import {
  lastValueForecast,
  seasonalNaiveForecast,
  scoreForecast,
  targetsToMatrix,
  type ForecastScores,
} from '../data/metrics';
import type { ModelConfig, ModelType } from '../settings/model';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../settings/training';
import type { BaseReport, ModelArtifact } from '../model/artifact';
import { trainForecaster, type EpochProgress, type TrainHooks } from '../train/trainer';
import type { TrainData } from '../train/train-data';
import { Forecaster } from '../serve/forecaster';
import { StreamMonitor, levelKey, type MonitorOptions } from '../serve/intervals';
import {
  conformalCenter,
  conformalHalfWidth,
  gaussianHalfWidth,
  calibrationFor,
  scoreIntervals,
  type BaseCalibration,
  type Calibration,
  type IntervalScores,
} from '../data/conformal';
import { DEFAULT_PREDICT_NODE_SETTINGS } from '../settings/predict-node';
import {
  combineDetection,
  detectionScores,
  naiveResidualScores,
  streamAnomalyScores,
  type DetectionScores,
  type ScoredRows,
} from './anomaly';

/** A multivariate series in memory, oldest row first. */
export interface Series {
  /** [n][F] readings. */
  rows: number[][];
  /** Column names of `rows`. */
  features: string[];
  /** Target name, one of `features`. */
  target: string;
  /** [n] epoch ms, when a time column was given. */
  timestamps?: number[];
  /** The series' id in a long CSV (the --series column's value). */
  id?: string;
  /** [n] 0/1 anomaly labels, when a labels column was given. */
  labels?: number[];
}

export interface LoadSeriesOptions {
  target: string;
  /** Input features; default [target]. The target is added first when missing. */
  features?: string[];
  /** Time column (ISO dates or epoch ms); rows must be in increasing time. */
  time?: string;
  /** Keep rows with time >= from (epoch ms; needs `time`). */
  from?: number;
  /** Keep rows with time <= to (epoch ms; needs `time`). */
  to?: number;
  /** Series id column of a long CSV: one series per value, in order of first appearance. */
  series?: string;
  /** 0/1 anomaly label column. */
  labels?: string;
}

/** Most series a long CSV may hold (each is windowed and scored separately). */
export const MAX_SERIES = 1000;

/**
 * The series of a long CSV (one per value of `opts.series`, in order of first
 * appearance, rows in file order), or the whole table as one series.
 * @throws ForecastError as seriesFromTable; BAD_INPUT for a label other than 0 or 1.
 */
export function seriesListFromTable(table: CsvTable, opts: LoadSeriesOptions): Series[] {
  if (opts.labels !== undefined) columnIndex(table, opts.labels);
  if (opts.series === undefined) return [seriesFromTable(table, opts)];
  const j = columnIndex(table, opts.series);
  const groups = new Map<string, number[]>();
  table.rows.forEach((r, k) => {
    const id = r[j].trim();
    let g = groups.get(id);
    if (!g) {
      if (groups.size >= MAX_SERIES) {
        throw fail('BAD_INPUT', 'evaluate.tooManySeries', { max: MAX_SERIES, series: String(opts.series) });
      }
      g = [];
      groups.set(id, g);
    }
    g.push(k);
  });
  return [...groups].map(([id, rows]) => {
    try {
      return { ...seriesFromTable(table, opts, rows), id };
    } catch (e) {
      if (e instanceof ForecastError) throw fail(e.code, 'evaluate.seriesFailed', { id, reason: e.message }, e.status);
      throw e;
    }
  });
}

/** A 0/1 column; the error names the row and column of the first other value. */
function labelColumn(table: CsvTable, name: string, keep: number[]): number[] {
  const j = columnIndex(table, name);
  return keep.map((k) => {
    const cell = table.rows[k][j].trim();
    if (cell !== '0' && cell !== '1') {
      throw fail(
        'BAD_INPUT',
        'evaluate.badLabel',
        { value: k + 1, name, got: describe(table.rows[k][j]) },
        'bad label',
      );
    }
    return Number(cell);
  });
}

/**
 * Picks the target, features and time column out of a parsed CSV.
 * @throws ForecastError for a missing column (listing the available ones), a
 *   non-numeric cell (with row and column) or times that do not increase.
 */
export function seriesFromTable(table: CsvTable, opts: LoadSeriesOptions, subset?: number[]): Series {
  columnIndex(table, opts.target);
  let features = opts.features && opts.features.length ? opts.features.slice() : [opts.target];
  if (!features.includes(opts.target)) features = [opts.target, ...features];
  features.forEach((f) => columnIndex(table, f));
  let keep = subset ?? table.rows.map((_, k) => k);
  let timestamps: number[] | undefined;
  if (opts.time !== undefined) {
    const all = timeColumn(table, opts.time);
    keep = keep.filter(
      (k) => (opts.from === undefined || all[k] >= opts.from) && (opts.to === undefined || all[k] <= opts.to),
    );
    timestamps = keep.map((k) => all[k]);
    for (let i = 1; i < timestamps.length; i++) {
      if (!(timestamps[i] > timestamps[i - 1])) {
        throw fail(
          'BAD_TIMESTAMP',
          'evaluate.timeOrder',
          { row: keep[i] + 1, column: opts.time, got: iso(timestamps[i]), prev: iso(timestamps[i - 1]) },
          'bad time order',
        );
      }
    }
  } else if (opts.from !== undefined || opts.to !== undefined) {
    throw fail('BAD_CONFIG', 'evaluate.rangeNeedsTime', {});
  }
  const cols = features.map((f) => numericColumn(table, f, keep));
  const rows = keep.map((_, i) => cols.map((c) => c[i]));
  const labels = opts.labels !== undefined ? labelColumn(table, opts.labels, keep) : undefined;
  return { rows, features, target: opts.target, timestamps, ...(labels ? { labels } : {}) };
}

/** Python's round(): halves go to the even neighbour (so splits match the Python anchors). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Rows in each part of a chronological split. */
export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

/**
 * Sizes of the chronological split. A size below 1 is a fraction of n
 * (rounded half to even like Python), 1 or more a row count (integer).
 * @param testSize default 0.2
 * @param valSize default 0.1
 */
export function splitSizes(n: number, testSize = 0.2, valSize = 0.1): SplitSizes {
  const rowsOf = (what: string, s: number): number => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0 || (s >= 1 && !Number.isInteger(s))) {
      throw fail('BAD_CONFIG', 'evaluate.badSize', { what, got: describe(s) });
    }
    return s < 1 ? roundHalfEven(s * n) : s;
  };
  const test = rowsOf('test', testSize);
  const val = rowsOf('validation', valSize);
  return { train: n - val - test, val, test };
}

/** Inclusive origin bounds [lo, hi] of each part (lo > hi: no window). */
export interface OriginRanges {
  train: [number, number];
  val: [number, number];
  test: [number, number];
}

/** Origin bounds per the protocol (see the module comment). */
export function originRanges(sizes: SplitSizes, window: number, horizon: number): OriginRanges {
  const endTrain = sizes.train; // first val row
  const endVal = sizes.train + sizes.val; // first test row
  const n = endVal + sizes.test;
  return {
    train: [window - 1, endTrain - 1 - horizon],
    val: [endTrain - 1, endVal - 1 - horizon],
    test: [endVal - 1, n - 1 - horizon],
  };
}

/**
 * Checks that every part holds at least one window: train needs window + horizon
 * rows, validation and test at least `horizon` rows (their inputs reach back).
 */
export function checkSplit(sizes: SplitSizes, window: number, horizon: number): void {
  const n = sizes.train + sizes.val + sizes.test;
  const need = (part: string, rows: number, min: number, why: string): void => {
    if (rows < min) {
      throw fail('BAD_INPUT', 'evaluate.tooFewRows', { part, rows, n, min, why }, 'too few rows');
    }
  };
  need('train', sizes.train, window + horizon, `window ${window} + horizon ${horizon}`);
  need('validation', sizes.val, horizon, `horizon ${horizon}; its inputs reach back into train`);
  need('test', sizes.test, horizon, `horizon ${horizon}; its inputs reach back into earlier parts`);
}

/** Windows of one part, with their origin indices in the series. */
export interface PartWindows {
  inputs: number[][][];
  targets: number[][][];
  origins: number[];
}

export interface SplitWindows {
  sizes: SplitSizes;
  train: PartWindows;
  val: PartWindows;
  test: PartWindows;
}

/**
 * Cuts the train, validation and test windows of a series.
 * @param stride step between test origins (default 1); train and validation use every origin.
 */
export function splitWindows(
  rows: number[][],
  targetIndex: number,
  window: number,
  horizon: number,
  sizes: SplitSizes,
  stride = 1,
): SplitWindows {
  checkSplit(sizes, window, horizon);
  const r = originRanges(sizes, window, horizon);
  const cut = (range: [number, number], s: number): PartWindows =>
    slidingWindows(rows, window, horizon, s, targetIndex, { minOrigin: range[0], maxOrigin: range[1] });
  return { sizes, train: cut(r.train, 1), val: cut(r.val, 1), test: cut(r.test, stride) };
}

/**
 * The protocol's MASE scale: mean_{t=m..nTrain-1} |y[t] - y[t-m]| over the train
 * rows of the series. (metrics.maseScale works on windows, for the trainer's
 * report, where only windows exist; here the whole series is at hand.)
 */
export function seriesMaseScale(y: number[], nTrain: number, season: number): number {
  const m = Math.max(1, season);
  let s = 0;
  let k = 0;
  for (let t = m; t < nTrain; t++) {
    s += Math.abs(y[t] - y[t - m]);
    k++;
  }
  return k ? s / k : 0;
}

/** A model to evaluate: a label and its (partial) architecture. */
export interface ModelVariant {
  label: string;
  config: Partial<ModelConfig> & { type: ModelType };
}

/**
 * Parses a model list: comma separated `lstm`, `attention`, `gca` (default N),
 * `gca1`..`gca3` (N refinement iterations) or `all` (lstm, attention, gca).
 */
export function parseModels(spec: string): ModelVariant[] {
  const out: ModelVariant[] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(lstm|attention|gca)([1-3])?$/.exec(raw);
    if (raw === 'all') {
      out.push(
        { label: 'lstm', config: { type: 'lstm' } },
        { label: 'attention', config: { type: 'attention' } },
        { label: 'gca', config: { type: 'gca' } },
      );
    } else if (m && (m[1] === 'gca' || !m[2])) {
      const type = m[1] as ModelType;
      out.push({ label: raw, config: m[2] ? { type, iterations: Number(m[2]) } : { type } });
    } else {
      throw fail('BAD_CONFIG', 'evaluate.unknownModel', { raw: describe(raw) });
    }
  }
  if (!out.length) throw fail('BAD_CONFIG', 'evaluate.noModel', {});
  return out;
}

/**
 * Parses seeds: a count N (seeds 0..N-1, N >= 1) or a comma-separated list of
 * whole numbers (e.g. "1,2" to run more seeds of an earlier run in parallel).
 */
export function parseSeeds(spec: string): number[] {
  const v = spec.trim();
  if (/^\d+$/.test(v) && Number(v) >= 1) return Array.from({ length: Number(v) }, (_, i) => i);
  if (/^\d+(,\d+)+$/.test(v)) return v.split(',').map(Number);
  throw fail('BAD_CONFIG', 'evaluate.badSeeds', { got: describe(spec) });
}

/** Mean and (population) standard deviation. */
export interface MeanStd {
  mean: number;
  std: number;
}

export function meanStd(xs: number[]): MeanStd {
  if (!xs.length) return { mean: NaN, std: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(v) };
}

export interface EvaluateOptions {
  window: number;
  horizon: number;
  /** Season m in steps (MASE scale and seasonal naive). */
  season: number;
  /** Test part: fraction (< 1) or rows. Default 0.2. */
  testSize?: number;
  /** Validation part: fraction (< 1) or rows. Default 0.1. */
  valSize?: number;
  /** Step between test origins. Default 1. */
  stride?: number;
  /** Models to train. Default [lstm]. */
  models?: ModelVariant[];
  /** Seeds; one training run per model and seed. Default [0, 1, 2]. */
  seeds?: number[];
  /** Architecture settings applied to every model (units, attentionUnits, highway ...). */
  modelDefaults?: Partial<ModelConfig>;
  /** Max epochs. Default: the pack's (DEFAULT_TRAIN_OPTIONS.epochs). */
  epochs?: number;
  /** Early-stopping patience. Default: the pack's. */
  patience?: number;
  /** Default: the pack's (64). */
  batchSize?: number;
  /** Adam learning rate. Default: the pack's. */
  learningRate?: number;
  /** Candidate bases ('auto' | 'seasonal' | 'last', see TrainOptions). Default: the pack's. */
  reference?: TrainOptions['reference'];
  /** Linear path after the ridge start ('frozen' | 'joint', see TrainOptions). Default: the pack's. */
  linearPath?: TrainOptions['linearPath'];
  /** Refit the chosen base on training + validation windows (default: the pack's, true). */
  refit?: boolean;
  /** Predict batch size for the test windows. Default 512. */
  predictBatch?: number;
  /** Prediction interval levels (fractions) scored on the test origins. Default [0.8, 0.95]. */
  levels?: number[];
  /** Step gamma of the adaptive intervals (lstm-predict's adaptRate) scored beside the static ones. Default 0.005. */
  adaptRate?: number;
  /** Anomaly threshold in calibrated 95 % half-widths, for series with labels. Default: lstm-predict's (1.5). */
  threshold?: number;
  onProgress?: (e: { model: string; seed: number; progress: EpochProgress }) => void;
  /** Called after each training run. */
  onRun?: (model: string, run: RunResult) => void;
}

/** Scores of one forecaster on the test origins, real units. */
export type TestScores = ForecastScores;

/**
 * One level's intervals on the test origins: split-conformal (the artifact's
 * calibration, as lstm-predict serves it before a stream's readings arrive or with recalibrate off) beside a Gaussian interval
 * (z x the validation RMSE per step) from the same validation residuals.
 */
export interface LevelScores {
  level: number;
  conformal: IntervalScores;
  gaussian: IntervalScores;
  /**
   * The conformal intervals adapted online (adaptive conformal inference, as
   * lstm-predict with adaptRate > 0 serves them): the test origins in time order,
   * each reading updating the level once it arrives. Absent for stride > 1.
   */
  adaptive?: IntervalScores;
  /**
   * The conformal intervals recalibrated online on the stream's own residuals (as lstm-predict with recalibrate
   * on serves them, no adaptation): each reading's residuals replace calibration ones once it arrives. Absent for
   * stride > 1.
   */
  recalibrated?: IntervalScores;
}

/** One series' figures in one run (several series). */
export interface SeriesRun {
  id: string;
  test: TestScores;
  /** Per level, this series' test intervals as lstm-predict serves them (its own calibration, else the pooled). */
  intervals?: LevelScores[];
  /** The same with the pooled calibration only (what a model without per-series calibration serves it). */
  pooledIntervals?: LevelScores[];
  /** The pack's anomaly score on this series' labelled test rows. */
  anomaly?: DetectionScores;
}

export interface RunResult {
  seed: number;
  /** The test scores; with several series, the mean over the series. */
  test: TestScores;
  /** Per series, with several series. */
  perSeries?: SeriesRun[];
  /** The pack's anomaly score on the labelled test rows of every series (see anomaly.ts combineDetection). */
  anomaly?: DetectionScores;
  /** Per level; empty when the model has no calibration. Several series: each with the calibration it is served. */
  intervals: LevelScores[];
  /** Several series with per-series calibrations: every series with the pooled calibration only. */
  pooledIntervals?: LevelScores[];
  /** Wall time of training, seconds. */
  trainSeconds: number;
  epochs: number;
  bestEpoch: number;
  params: number;
  backend: string;
  /** The chosen base and whether the network was kept (the artifact's report.base). */
  base?: BaseReport;
}

export interface ModelResult {
  label: string;
  config: Partial<ModelConfig>;
  runs: RunResult[];
  /** Mean and std over seeds. */
  mae: MeanStd;
  rmse: MeanStd;
  mase: MeanStd;
  /** [H] mean over seeds of the MAE per horizon step. */
  maeByStep: number[];
  /** Per level, coverage, width and Winkler score, mean over seeds. */
  intervals: LevelScores[];
  trainSeconds: MeanStd;
  /** Mean epochs run. */
  epochs: number;
  /** Seconds per epoch (mean over seeds of trainSeconds / epochs). */
  secondsPerEpoch: number;
  params: number;
  /** Per series (several series): MAE, RMSE and MASE over seeds. */
  perSeries?: Array<{ id: string; mae: MeanStd; rmse: MeanStd; mase: MeanStd }>;
  /** The anomaly figures, mean over seeds (labelled series). */
  anomaly?: AnomalySummary;
}

/** Anomaly figures over seeds. */
export interface AnomalySummary {
  auroc: MeanStd;
  auprc: MeanStd;
  eventRecall: MeanStd;
  falseAlarmsPer1000: MeanStd;
  falseAlarmsPerHour?: MeanStd;
}

/** One series of a long CSV: its size, split and baselines. */
export interface SeriesInfo {
  id: string;
  n: number;
  split: SplitSizes;
  windows: { train: number; val: number; test: number };
  maseScale: number;
  baselines: { lastValue: TestScores; seasonalNaive: TestScores | null };
  /** The naive-residual detector on this series' labelled test rows. */
  naiveAnomaly?: DetectionScores;
}

export interface EvaluateResult {
  n: number;
  window: number;
  horizon: number;
  season: number;
  stride: number;
  features: string[];
  target: string;
  split: SplitSizes;
  /** Windows per part. */
  windows: { train: number; val: number; test: number };
  /** MASE scale (train part, lag = season), real units. */
  maseScale: number;
  backend: string;
  /** With several series: the mean over the series. */
  baselines: { lastValue: TestScores; seasonalNaive: TestScores | null };
  models: ModelResult[];
  /** With several series (--series): each one; n, split and windows above are sums, the MASE scale a mean. */
  series?: SeriesInfo[];
  /** With labels: the rows scored (every test row) and the naive-residual detector on them. */
  anomaly?: { threshold: number; rows: number; events: number; naive: DetectionScores };
}

/**
 * One model's figures over its seeds: mean and population std of MAE, RMSE,
 * MASE and training time, mean MAE by horizon step (H steps), mean epochs.
 * Also merges runs of separate invocations (bench/accuracy.js --merge).
 */
export function summarizeRuns(label: string, config: ModelResult['config'], runs: RunResult[], H: number): ModelResult {
  return {
    label,
    config,
    runs,
    mae: meanStd(runs.map((r) => r.test.mae)),
    rmse: meanStd(runs.map((r) => r.test.rmse)),
    mase: meanStd(runs.map((r) => r.test.mase ?? NaN)),
    maeByStep: Array.from({ length: H }, (_, h) => meanStd(runs.map((r) => r.test.maeByStep[h])).mean),
    intervals: meanIntervals(runs),
    trainSeconds: meanStd(runs.map((r) => r.trainSeconds)),
    epochs: meanStd(runs.map((r) => r.epochs)).mean,
    secondsPerEpoch: meanStd(runs.map((r) => r.trainSeconds / Math.max(1, r.epochs))).mean,
    params: runs.length ? runs[0].params : 0,
    ...perSeriesSummary(runs),
    ...anomalySummary(runs),
  };
}

function perSeriesSummary(runs: RunResult[]): Pick<ModelResult, 'perSeries'> {
  const first = runs[0]?.perSeries;
  if (!first || !runs.every((r) => r.perSeries)) return {};
  const of = (i: number, f: (t: TestScores) => number | null): MeanStd =>
    meanStd(runs.map((r) => (r.perSeries as SeriesRun[])[i].test).map((t) => f(t) ?? NaN));
  return {
    perSeries: first.map((s, i) => ({
      id: s.id,
      mae: of(i, (t) => t.mae),
      rmse: of(i, (t) => t.rmse),
      mase: of(i, (t) => t.mase),
    })),
  };
}

function anomalySummary(runs: RunResult[]): Pick<ModelResult, 'anomaly'> {
  if (!runs.length || !runs.every((r) => r.anomaly)) return {};
  const of = (f: (d: DetectionScores) => number): MeanStd => meanStd(runs.map((r) => f(r.anomaly as DetectionScores)));
  const perHour = runs.every((r) => r.anomaly?.falseAlarmsPerHour !== undefined);
  return {
    anomaly: {
      auroc: of((d) => d.auroc),
      auprc: of((d) => d.auprc),
      eventRecall: of((d) => d.eventRecall),
      falseAlarmsPer1000: of((d) => d.falseAlarmsPer1000),
      ...(perHour ? { falseAlarmsPerHour: of((d) => d.falseAlarmsPerHour as number) } : {}),
    },
  };
}

/** The mean of several series' scores (MASE: null when any series has none). */
function meanScores(xs: TestScores[]): TestScores {
  const m = (f: (t: TestScores) => number): number => meanStd(xs.map(f)).mean;
  const mases = xs.map((t) => t.mase);
  return {
    mae: m((t) => t.mae),
    rmse: m((t) => t.rmse),
    mase: mases.every((v) => v !== null) ? meanStd(mases as number[]).mean : null,
    maeByStep: xs[0].maeByStep.map((_, h) => m((t) => t.maeByStep[h])),
  };
}

/** Mean over runs of each level's interval scores (levels of the first run; runs without intervals skipped). */
function meanIntervals(runs: RunResult[]): LevelScores[] {
  return combineLevels(
    runs.map((r) => r.intervals ?? []),
    runs.map(() => 1),
  );
}

/**
 * The half-widths lstm-predict would serve online (adapting or recalibrating), for test windows that follow each
 * other one row apart (rows as times): its own StreamMonitor.
 * @returns [levels][origins][H]
 */
function onlineHalfWidths(
  stream: StreamWindows,
  pred: number[][],
  cal: BaseCalibration,
  levels: number[],
  online: Pick<MonitorOptions, 'adaptRate' | 'recalibrate'>,
): number[][][] {
  const monitor = new StreamMonitor({ levels, threshold: 1, maxStreams: 1, ...online });
  const out = levels.map(() => [] as number[][]);
  stream.inputs.forEach((w, i) => {
    const o = stream.origins[i];
    const times = w.map((_, j) => o - (w.length - 1) + j);
    const forecastTimes = pred[i].map((_, h) => o + h + 1);
    const { intervals } = monitor.next('evaluate', '', cal, stream.ti, w, times, pred[i], forecastTimes, 1);
    levels.forEach((p, k) => {
      const b = intervals[levelKey(p)];
      // half-widths around the band's centre (forecast + the calibrated centre)
      out[k].push(b.upper.map((u, h) => u - pred[i][h] - conformalCenter(cal, h)));
    });
  });
  return out;
}

/** Test windows one row apart, in time order, for the online columns; `rate`: the adaptive column's gamma. */
export interface StreamWindows {
  inputs: number[][][];
  origins: number[];
  ti: number;
  rate: number;
}

/** Conformal, Gaussian and (stride 1) adaptive and recalibrated intervals of one run's test forecasts, per level. */
export function intervalScores(
  truth: number[][],
  pred: number[][],
  cal: BaseCalibration | undefined,
  levels: number[],
  stream?: StreamWindows,
): LevelScores[] {
  if (!cal) return [];
  const adapted = stream ? onlineHalfWidths(stream, pred, cal, levels, { adaptRate: stream.rate }) : null;
  const recalibrated = stream ? onlineHalfWidths(stream, pred, cal, levels, { adaptRate: 0, recalibrate: true }) : null;
  // the conformal bands are centred on forecast + the calibrated centre; the Gaussian one on the forecast
  const centred = pred.map((row) => row.map((v, h) => v + conformalCenter(cal, h)));
  return levels.map((p, k) => {
    const scores: LevelScores = {
      level: p,
      conformal: scoreIntervals(truth, centred, p, (h) => conformalHalfWidth(cal, h, p)),
      gaussian: scoreIntervals(truth, pred, p, (h) => gaussianHalfWidth(cal, h, p)),
    };
    if (adapted) scores.adaptive = scoreIntervalsWith(truth, centred, p, adapted[k]);
    if (recalibrated) scores.recalibrated = scoreIntervalsWith(truth, centred, p, recalibrated[k]);
    return scores;
  });
}

/** Coverage, width and Winkler score of intervals pred +- half[i][h] (a half-width per origin and step). */
function scoreIntervalsWith(truth: number[][], pred: number[][], p: number, half: number[][]): IntervalScores {
  const rows = truth.map((row, i) => ({ truth: [row], pred: [pred[i]], half: half[i] }));
  const parts = rows.map((r) => scoreIntervals(r.truth, r.pred, p, (h) => r.half[h]));
  const n = parts.length;
  return {
    level: p,
    coverage: parts.reduce((a, s) => a + s.coverage, 0) / n,
    width: parts.reduce((a, s) => a + s.width, 0) / n,
    winkler: parts.reduce((a, s) => a + s.winkler, 0) / n,
  };
}

function checkPositiveInt(name: string, v: unknown, min = 1): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw fail('BAD_CONFIG', 'evaluate.notWholeNumber', { name, min, got: describe(v) });
  }
}

/**
 * Seasonal naive over the whole series (the protocol's yhat[o+h] = y[o+h-m*ceil(h/m)]),
 * which also works when the season is longer than the window.
 */
function seriesSeasonalNaive(y: number[], origins: number[], horizon: number, m: number): number[][] {
  return origins.map((o) => {
    const row: number[] = [];
    for (let h = 1; h <= horizon; h++) row.push(y[o + h - m * Math.ceil(h / m)]);
    return row;
  });
}

/** One series prepared for evaluation: its split, windows and test truth, shared by every model and seed. */
interface Prepared {
  series: Series;
  /** Index of the target among the features. */
  ti: number;
  stride: number;
  sizes: SplitSizes;
  parts: SplitWindows;
  /** [n] the target column. */
  y: number[];
  /** The protocol's MASE scale (train part, lag = season). */
  scale: number;
  /** [origins][H] test targets, real units. */
  truth: number[][];
  /** Median time step, ms (0 without timestamps). */
  step: number;
  /** The series' id ('' for a single series). */
  id: string;
}

/** @throws ForecastError BAD_CONFIG for a bad window, horizon, season or stride, or a target not among the features. */
function checkOptions(series: Series, opts: EvaluateOptions): { ti: number; stride: number } {
  checkPositiveInt('window', opts.window);
  checkPositiveInt('horizon', opts.horizon);
  checkPositiveInt('season', opts.season, 0);
  const stride = opts.stride ?? 1;
  checkPositiveInt('stride', stride);
  const ti = series.features.indexOf(series.target);
  if (ti < 0) {
    const features = series.features.join(', ');
    throw fail('BAD_CONFIG', 'evaluate.targetNotFeature', { seriesTarget: series.target, features });
  }
  return { ti, stride };
}

function prepare(series: Series, opts: EvaluateOptions): Prepared {
  try {
    return prepareOne(series, opts);
  } catch (e) {
    // name the series of a long CSV whose split does not fit
    if (e instanceof ForecastError && series.id !== undefined && e.code !== 'BAD_CONFIG') {
      throw fail(e.code, 'evaluate.seriesFailedCheck', { seriesId: series.id, reason: e.message }, e.status);
    }
    throw e;
  }
}

function prepareOne(series: Series, opts: EvaluateOptions): Prepared {
  const { ti, stride } = checkOptions(series, opts);
  const sizes = splitSizes(series.rows.length, opts.testSize ?? 0.2, opts.valSize ?? 0.1);
  const parts = splitWindows(series.rows, ti, opts.window, opts.horizon, sizes, stride);
  const y = series.rows.map((r) => r[ti]);
  const scale = seriesMaseScale(y, sizes.train, opts.season);
  const truth = targetsToMatrix(parts.test.targets);
  const step = series.timestamps ? medianStep(series.timestamps) : 0;
  return { series, ti, stride, sizes, parts, y, scale, truth, step, id: series.id ?? '' };
}

/** The last-value and seasonal-naive forecasts scored on the test origins (seasonal: none for season 0). */
function scoreBaselines(p: Prepared, horizon: number, season: number): EvaluateResult['baselines'] {
  const { inputs, origins } = p.parts.test;
  const seasonal =
    season >= 1
      ? (seasonalNaiveForecast(inputs, p.ti, horizon, season) ?? seriesSeasonalNaive(p.y, origins, horizon, season))
      : null;
  return {
    lastValue: scoreForecast(p.truth, lastValueForecast(inputs, p.ti, horizon), p.scale),
    seasonalNaive: seasonal ? scoreForecast(p.truth, seasonal, p.scale) : null,
  };
}

/** The training options of every run: the pack's defaults where the evaluation sets none. */
function trainOptionsOf(opts: EvaluateOptions, name: string): Partial<TrainOptions> {
  return {
    epochs: opts.epochs ?? DEFAULT_TRAIN_OPTIONS.epochs,
    patience: opts.patience ?? DEFAULT_TRAIN_OPTIONS.patience,
    batchSize: opts.batchSize ?? DEFAULT_TRAIN_OPTIONS.batchSize,
    learningRate: opts.learningRate ?? DEFAULT_TRAIN_OPTIONS.learningRate,
    reference: opts.reference ?? DEFAULT_TRAIN_OPTIONS.reference,
    linearPath: opts.linearPath ?? DEFAULT_TRAIN_OPTIONS.linearPath,
    refit: opts.refit ?? DEFAULT_TRAIN_OPTIONS.refit,
    season: opts.season,
    name,
  };
}

/** Forecasts for every test window, `batch` windows per predict call; `series`: their stream's id (msg.topic). */
function forecastAll(artifact: ModelArtifact, inputs: number[][][], batch: number, series?: string): number[][] {
  const forecaster = Forecaster.fromArtifact(artifact);
  const pred: number[][] = [];
  try {
    for (let i = 0; i < inputs.length; i += batch) {
      const part = inputs.slice(i, i + batch);
      pred.push(...forecaster.predict(part, series === undefined ? undefined : part.map(() => series)).forecast);
    }
  } finally {
    forecaster.dispose?.();
  }
  return pred;
}

/** The train windows of every series, as the trainer takes them (one model across the series). */
function trainDataOf(ps: Prepared[], opts: EvaluateOptions): TrainData {
  const { series } = ps[0];
  return {
    inputs: ps.flatMap((p) => p.parts.train.inputs),
    targets: ps.flatMap((p) => p.parts.train.targets),
    features: series.features,
    target: series.target,
    window: opts.window,
    horizon: opts.horizon,
    step: ps[0].step,
    series: '',
    ...(ps.length > 1 ? { seriesIds: ps.flatMap((p) => p.parts.train.inputs.map(() => p.id)) } : {}),
  };
}

/**
 * A series' test intervals with the calibration lstm-predict serves it (its own, else the pooled one); at stride 1
 * also adapted (at `adaptRate`) and recalibrated online, the series as one stream.
 */
function seriesIntervals(
  p: Prepared,
  pred: number[][],
  cal: Calibration | undefined,
  levels: number[],
  adaptRate: number,
): LevelScores[] {
  if (!cal) return [];
  const stream =
    p.stride === 1
      ? { inputs: p.parts.test.inputs, origins: p.parts.test.origins, ti: p.ti, rate: adaptRate }
      : undefined;
  return intervalScores(p.truth, pred, calibrationFor(cal, p.id), levels, stream);
}

/** Interval scores of several parts (series, runs) as one: each part's means weighted (series: by test origins). */
function combineLevels(parts: LevelScores[][], weights: number[]): LevelScores[] {
  const first = parts.find((l) => l.length);
  if (!first) return [];
  const total = weights.reduce((a, w, i) => a + (parts[i].length ? w : 0), 0);
  const mix = (pick: (l: LevelScores[]) => IntervalScores, level: number): IntervalScores => {
    const out = { level, coverage: 0, width: 0, winkler: 0 };
    parts.forEach((l, i) => {
      if (!l.length) return;
      const s = pick(l);
      const w = weights[i] / total;
      out.coverage += w * s.coverage;
      out.width += w * s.width;
      out.winkler += w * s.winkler;
    });
    return out;
  };
  const scored = parts.filter((l) => l.length);
  return first.map((l, k) => {
    const out: LevelScores = {
      level: l.level,
      conformal: mix((x) => x[k].conformal, l.level),
      gaussian: mix((x) => x[k].gaussian, l.level),
    };
    // the online columns when every part has them
    for (const col of ONLINE_COLUMNS) {
      if (scored.every((x) => x[k][col])) out[col] = mix((x) => x[k][col] as IntervalScores, l.level);
    }
    return out;
  });
}

/** The columns scored online (stride 1), absent otherwise. */
const ONLINE_COLUMNS = ['adaptive', 'recalibrated'] as const;

/** The windows at origins first-1 .. n-1 of a series (the last ones reach past its end: scoring only). */
function streamWindows(p: Prepared, window: number): { inputs: number[][][]; origins: number[] } {
  const n = p.series.rows.length;
  const origins: number[] = [];
  for (let o = p.sizes.train + p.sizes.val - 1; o < n; o++) origins.push(o);
  return { inputs: origins.map((o) => p.series.rows.slice(o - window + 1, o + 1)), origins };
}

/** The test rows (the part after validation) of a labelled series: their labels and time step. */
function testRows(p: Prepared): { from: number; labels: number[] } {
  const from = p.sizes.train + p.sizes.val;
  return { from, labels: (p.series.labels as number[]).slice(from) };
}

/**
 * The pack's anomaly score of every test row of a labelled series: the model's
 * forecasts at each origin from the last validation row on, fed in time order to
 * lstm-predict's StreamMonitor, as a live stream would be.
 */
function packAnomaly(
  p: Prepared,
  artifact: ModelArtifact,
  opts: EvaluateOptions,
  threshold: number,
): { rows: ScoredRows; scores: DetectionScores } | undefined {
  if (!p.series.labels || !artifact.calibration) return undefined;
  const { inputs, origins } = streamWindows(p, opts.window);
  // the series' id as its stream's msg.topic, as calibrationFor below
  const pred = forecastAll(artifact, inputs, opts.predictBatch ?? 512, p.id || undefined);
  const byRow = streamAnomalyScores(inputs, origins, pred, calibrationFor(artifact.calibration, p.id), p.ti);
  const { from, labels } = testRows(p);
  // every test row t is covered by the forecast from origin t - 1 at least
  const scores = labels.map((_, i) => byRow.get(from + i) ?? 0);
  const rows = { scores, labels, stepMs: p.step };
  return { rows, scores: detectionScores(scores, labels, threshold, p.step) };
}

/** One training run of one model with one seed (one model across the series), scored on the test origins. */
async function runOnce(ps: Prepared[], opts: EvaluateOptions, variant: ModelVariant, seed: number): Promise<RunResult> {
  const config = { ...opts.modelDefaults, ...variant.config, seed };
  const onProgress = opts.onProgress;
  const hooks: TrainHooks = {
    validation: {
      inputs: ps.flatMap((p) => p.parts.val.inputs),
      targets: ps.flatMap((p) => p.parts.val.targets),
      ...(ps.length > 1 ? { seriesIds: ps.flatMap((p) => p.parts.val.inputs.map(() => p.id)) } : {}),
    },
    onEpoch: onProgress ? (progress) => onProgress({ model: variant.label, seed, progress }) : undefined,
  };
  const options = trainOptionsOf(opts, variant.label);
  const { artifact, report } = await trainForecaster(trainDataOf(ps, opts), config, options, hooks);
  // each series forecast as its stream (msg.topic = its id) would be
  const preds = ps.map((p) => forecastAll(artifact, p.parts.test.inputs, opts.predictBatch ?? 512, p.id || undefined));
  const tests = ps.map((p, i) => scoreForecast(p.truth, preds[i], p.scale));
  const levels = opts.levels ?? [0.8, 0.95];
  // each series one stream (stride 1: adapted and recalibrated online too); several: their scores weighted by origins
  const own = ps.map((p, i) => seriesIntervals(p, preds[i], artifact.calibration, levels, opts.adaptRate ?? 0.005));
  const intervals =
    ps.length === 1
      ? own[0]
      : combineLevels(
          own,
          ps.map((p) => p.truth.length),
        );
  const pooledOnly = ps.length > 1 && artifact.calibration?.perSeries?.length ? artifact.calibration : undefined;
  const threshold = opts.threshold ?? DEFAULT_PREDICT_NODE_SETTINGS.threshold;
  const anomalies = ps.map((p) => packAnomaly(p, artifact, opts, threshold));
  const labelled = anomalies.filter((a) => a !== undefined);
  const run: RunResult = {
    seed,
    test: ps.length === 1 ? tests[0] : meanScores(tests),
    intervals,
    trainSeconds: report.trainSeconds,
    epochs: report.epochs,
    bestEpoch: report.bestEpoch,
    params: report.params,
    backend: report.backend,
    ...(report.base ? { base: report.base } : {}),
  };
  if (ps.length > 1) {
    if (pooledOnly)
      run.pooledIntervals = intervalScores(
        ps.flatMap((p) => p.truth),
        preds.flat(),
        pooledOnly,
        levels,
      );
    run.perSeries = ps.map((p, i) => ({
      id: p.id,
      test: tests[i],
      ...(artifact.calibration ? { intervals: own[i] } : {}),
      ...(pooledOnly ? { pooledIntervals: intervalScores(p.truth, preds[i], pooledOnly, levels) } : {}),
      ...(anomalies[i] ? { anomaly: anomalies[i]?.scores } : {}),
    }));
  }
  if (labelled.length)
    run.anomaly = combineDetection(
      labelled.map((a) => a.rows),
      threshold,
    );
  return run;
}

/** One line on a run's chosen base: 'holt-winters + ridge (val MAE 0.0512), network kept (0.0498)'. */
export function describeBase(run: RunResult): string {
  const b = run.base;
  if (!b) return 'base: -';
  const f = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toPrecision(4));
  const net = b.networkMae === undefined ? '' : ` (${f(b.networkMae)})`;
  const refit = b.refit ? `; refitted on ${b.refit.windows} training + validation windows` : '';
  return `base ${b.name} (val MAE ${f(b.mae)}), network ${b.network}${net}${refit}`;
}

/** One model over all seeds, one run after the other. */
async function evaluateModel(ps: Prepared[], opts: EvaluateOptions, variant: ModelVariant): Promise<ModelResult> {
  const runs: RunResult[] = [];
  for (const seed of opts.seeds ?? [0, 1, 2]) {
    const run = await runOnce(ps, opts, variant, seed);
    runs.push(run);
    opts.onRun?.(variant.label, run);
  }
  return summarizeRuns(variant.label, { ...opts.modelDefaults, ...variant.config }, runs, opts.horizon);
}

type Scores = Pick<EvaluateResult, 'baselines' | 'models'>;

function windowsOf(p: Prepared): EvaluateResult['windows'] {
  const { parts } = p;
  return { train: parts.train.inputs.length, val: parts.val.inputs.length, test: parts.test.inputs.length };
}

/** The naive-residual detector on the labelled test rows of each series (none when no series has labels). */
function naiveAnomaly(ps: Prepared[]): Array<ScoredRows | undefined> {
  return ps.map((p) => {
    if (!p.series.labels) return undefined;
    const { from, labels } = testRows(p);
    return { scores: naiveResidualScores(p.y, p.sizes.train, from), labels, stepMs: p.step };
  });
}

/** The evaluation's figures: the setup, the split, the baselines and each model's summary. */
function summary(ps: Prepared[], opts: EvaluateOptions, backend: string, scores: Scores): EvaluateResult {
  const { series } = ps[0];
  const sum = (f: (p: Prepared) => number): number => ps.reduce((a, p) => a + f(p), 0);
  const out: EvaluateResult = {
    n: sum((p) => p.series.rows.length),
    window: opts.window,
    horizon: opts.horizon,
    season: opts.season,
    stride: ps[0].stride,
    features: series.features,
    target: series.target,
    split: { train: sum((p) => p.sizes.train), val: sum((p) => p.sizes.val), test: sum((p) => p.sizes.test) },
    windows: {
      train: sum((p) => windowsOf(p).train),
      val: sum((p) => windowsOf(p).val),
      test: sum((p) => windowsOf(p).test),
    },
    maseScale: sum((p) => p.scale) / ps.length,
    backend,
    baselines: scores.baselines,
    models: scores.models,
  };
  const threshold = opts.threshold ?? DEFAULT_PREDICT_NODE_SETTINGS.threshold;
  const naive = naiveAnomaly(ps);
  if (ps.length > 1 || series.id !== undefined) {
    out.series = ps.map((p, i) => ({
      id: p.id,
      n: p.series.rows.length,
      split: p.sizes,
      windows: windowsOf(p),
      maseScale: p.scale,
      baselines: scoreBaselines(p, opts.horizon, opts.season),
      ...(naive[i] ? { naiveAnomaly: combineDetection([naive[i] as ScoredRows], threshold) } : {}),
    }));
  }
  const labelled = naive.filter((x) => x !== undefined);
  if (labelled.length) {
    const naiveScores = combineDetection(labelled, threshold);
    out.anomaly = { threshold, rows: naiveScores.rows, events: naiveScores.events, naive: naiveScores };
  }
  return out;
}

/** @throws ForecastError BAD_CONFIG for a bad threshold, labels with stride > 1 or series with other columns. */
function checkMany(list: Series[], opts: EvaluateOptions): void {
  if (!list.length) throw fail('BAD_INPUT', 'evaluate.noSeries', {});
  const t = opts.threshold;
  if (t !== undefined && !(typeof t === 'number' && t > 0 && t <= 1000)) {
    throw fail('BAD_CONFIG', 'evaluate.badThreshold', { got: describe(t) });
  }
  if (list.some((s) => s.labels) && (opts.stride ?? 1) !== 1) {
    throw fail('BAD_CONFIG', 'evaluate.labelsNeedStride', { got: describe(opts.stride) });
  }
}

/**
 * Runs the evaluation. Trains every model once per seed (sequentially, on the
 * backend chosen by initBackend) and scores it on the test origins. Several
 * series (a long CSV): one model trained on the train windows of all (each
 * series split in time on its own), scored per series; the headline figures are
 * the means over the series. Labelled series: the anomaly figures of the pack's
 * score beside the naive-residual detector on every test row.
 */
export async function evaluateSeries(input: Series | Series[], opts: EvaluateOptions): Promise<EvaluateResult> {
  const list = Array.isArray(input) ? input : [input];
  checkMany(list, opts);
  const ps = list.map((s) => prepare(s, opts));
  const each = ps.map((p) => scoreBaselines(p, opts.horizon, opts.season));
  const seasonal = each.map((b) => b.seasonalNaive);
  const baselines =
    ps.length === 1
      ? each[0]
      : {
          lastValue: meanScores(each.map((b) => b.lastValue)),
          seasonalNaive: seasonal.every((b) => b) ? meanScores(seasonal as TestScores[]) : null,
        };
  const info = await initBackend();
  const models: ModelResult[] = [];
  for (const variant of opts.models ?? [{ label: 'lstm', config: { type: 'lstm' } }]) {
    models.push(await evaluateModel(ps, opts, variant));
  }
  return summary(ps, opts, info.name, { baselines, models });
}
