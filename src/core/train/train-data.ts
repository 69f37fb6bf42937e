/**
 * Training data: windows of one series in real units, their checks, and the
 * bounded buffer of streamed training windows lstm-train collects.
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import type { DatasetPayload, WindowPayload } from '../data/window-message';

/** The training data: windows of one series in real units (a DatasetPayload's fields). */
export interface TrainData {
  /** [N][L][F] input windows, oldest first. */
  inputs: number[][][];
  /** [N][H][1] targets following each window. */
  targets: number[][][];
  /** Feature names, F of them. */
  features: string[];
  /** Target feature name, one of features. */
  target: string;
  window: number;
  horizon: number;
  /** Interval between readings, ms (0 = unknown). */
  step: number;
  series: string;
  /**
   * [N] the series each window comes from, when the windows are of several series (one model across them):
   * the split then validates on the newest windows of each series and the calibration is kept per series.
   */
  seriesIds?: string[];
}

/** The fields of {@link TrainData} besides the windows. */
export type TrainDataMeta = Omit<TrainData, 'inputs' | 'targets' | 'seriesIds'>;

/** The meta fields of a dataset or TrainData, `step` and `series` defaulted (0, ''). */
export function trainDataMeta(d: {
  features: string[];
  target: string;
  window: number;
  horizon: number;
  step?: number;
  series?: string;
}): TrainDataMeta {
  return {
    features: d.features,
    target: d.target,
    window: d.window,
    horizon: d.horizon,
    step: d.step ?? 0,
    series: d.series ?? '',
  };
}

/** Explicit validation windows (same spec as the training data). */
export interface ValidationData {
  inputs: number[][][];
  targets: number[][][];
  /** [N] the series of each window (see {@link TrainData.seriesIds}). */
  seriesIds?: string[];
}

/**
 * Checks optional per-window series ids: one text per window.
 * @throws ForecastError BAD_INPUT saying which id is wrong.
 */
export function checkSeriesIds(what: string, ids: unknown, n: number): void {
  if (ids === undefined) return;
  if (!Array.isArray(ids) || ids.length !== n) {
    const got = Array.isArray(ids) ? ids.length : describe(ids);
    throw fail('BAD_INPUT', 'trainData.seriesIdCount', { what, n, got });
  }
  ids.forEach((id: unknown, i) => {
    if (typeof id !== 'string') throw fail('BAD_INPUT', 'trainData.seriesIdNotText', { what, i, got: describe(id) });
  });
}

/**
 * Checks windows ([N][L][F] finite numbers) and their targets ([N][H][1]).
 * @param what names the data in the error text ("training data").
 * @throws ForecastError BAD_INPUT saying which window is wrong and how.
 */
export function checkWindows(what: string, inputs: unknown, targets: unknown, L: number, F: number, H: number): void {
  if (!Array.isArray(inputs)) throw fail('BAD_INPUT', 'trainData.inputsNotArray', { what, got: describe(inputs) });
  if (!Array.isArray(targets))
    throw fail('BAD_INPUT', 'trainData.targetsNotArray', { what, h: H, got: describe(targets) });
  if (targets.length !== inputs.length)
    throw fail('BAD_INPUT', 'trainData.targetCount', { what, got: targets.length, inputsCount: inputs.length });
  inputs.forEach((w: unknown, i: number) => {
    if (!Array.isArray(w) || w.length !== L || !w.every((r) => Array.isArray(r) && r.length === F)) {
      const rows = Array.isArray(w) ? w.length : describe(w);
      const cols = Array.isArray(w) && Array.isArray(w[0]) ? w[0].length : '?';
      throw fail('BAD_INPUT', 'trainData.windowShape', { what, i, l: L, f: F, got: rows, cols });
    }
    for (const r of w as number[][]) {
      for (const v of r)
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw fail('BAD_INPUT', 'trainData.notFinite', { what, i, v: describe(v) });
    }
    const t = targets[i];
    if (
      !Array.isArray(t) ||
      t.length !== H ||
      !t.every((r) => Array.isArray(r) && r.length === 1 && typeof r[0] === 'number' && Number.isFinite(r[0]))
    ) {
      throw fail('BAD_INPUT', 'trainData.badTargets', { what, i, h: H, got: describe(t) });
    }
  });
}

/**
 * Turns a dataset message into training data, checking it carries targets.
 * At most `max` windows are kept (the newest), so one message cannot make a run unbounded.
 */
export function datasetToTrainData(d: DatasetPayload, max = Infinity): { data: TrainData; dropped: number } {
  if (!Array.isArray(d.inputs) || !Array.isArray(d.targets) || !d.targets.length) {
    throw fail('BAD_INPUT', 'trainData.noTargets', { got: d.count ?? describe(d.inputs) }, 'no targets');
  }
  const dropped = Math.max(0, d.inputs.length - max);
  const data: TrainData = {
    inputs: dropped ? d.inputs.slice(dropped) : d.inputs,
    targets: dropped ? d.targets.slice(dropped) : d.targets,
    ...trainDataMeta(d),
  };
  return { data, dropped };
}

/** Largest finite float32: the worker trains on float32 copies, where anything beyond is Infinity. */
const isFinite32 = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(Math.fround(v));

/**
 * Checks a streamed training window completely (spec fields, [L][F] finite float32 inputs, [H][1]
 * finite float32 targets) and returns copies of its rows, so a later change to the message cannot
 * reach the collection.
 */
function checkStreamedWindow(w: WindowPayload): { inputs: number[][]; targets: number[][] } {
  const positive = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw fail('BAD_INPUT', 'trainData.windowNotCount', { what, got: describe(v) }, 'bad window');
    }
    return v;
  };
  const L = positive(w.window, 'window (L)');
  const H = positive(w.horizon, 'horizon (H)');
  const features: unknown = w.features;
  if (!Array.isArray(features) || !features.length || !features.every((f) => typeof f === 'string')) {
    throw fail('BAD_INPUT', 'trainData.windowFeatures', { got: describe(features) }, 'bad window');
  }
  if (!features.includes(w.target)) {
    throw fail(
      'BAD_INPUT',
      'trainData.windowTarget',
      { wTarget: describe(w.target), features: features.join(', ') },
      'bad window',
    );
  }
  if (w.step !== undefined && (typeof w.step !== 'number' || !Number.isFinite(w.step) || w.step < 0)) {
    throw fail('BAD_INPUT', 'trainData.windowStep', { got: describe(w.step) }, 'bad window');
  }
  if (w.series !== undefined && typeof w.series !== 'string') {
    throw fail('BAD_INPUT', 'trainData.windowSeries', { got: describe(w.series) }, 'bad window');
  }
  const F = features.length;
  const shape = { rows: L, featureCount: F, features: features.join(', ') };
  const rows: unknown = w.inputs;
  if (!Array.isArray(rows) || rows.length !== L) {
    const cols = Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0].length : '?';
    throw fail(
      'BAD_INPUT',
      'trainData.windowInputs',
      { ...shape, got: Array.isArray(rows) ? `${rows.length} x ${cols}` : describe(rows) },
      'bad window',
    );
  }
  const inputs = rows.map((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== F) {
      throw fail(
        'BAD_INPUT',
        'trainData.windowInputRow',
        { ...shape, row: r, length: Array.isArray(row) ? row.length : describe(row) },
        'bad window',
      );
    }
    row.forEach((v: unknown, f) => {
      if (!isFinite32(v)) {
        throw fail(
          'BAD_INPUT',
          'trainData.windowNotFinite',
          { got: describe(v), r, features: features[f] },
          'bad value',
        );
      }
    });
    return (row as number[]).slice();
  });
  const t: unknown = w.targets;
  if (!Array.isArray(t) || t.length !== H || !t.every((r) => Array.isArray(r) && r.length === 1)) {
    throw fail('BAD_INPUT', 'trainData.windowTargets', { h: H, got: describe(t) }, 'bad window');
  }
  const targets = (t as unknown[][]).map(([v], h) => {
    if (!isFinite32(v)) throw fail('BAD_INPUT', 'trainData.windowTargetValue', { h, v: describe(v) }, 'bad value');
    return [v];
  });
  return { inputs, targets };
}

/**
 * Streamed training windows (the windower's second output), kept until a run
 * takes them. Bounded: past `max` the oldest are dropped. All windows must share
 * one spec (features, target, L, H); a different one is refused.
 */
export class WindowAccumulator {
  private inputs: number[][][] = [];
  private targets: number[][][] = [];
  /** The series of each window (the windower's msg.topic): one lstm-train may collect several series. */
  private ids: string[] = [];
  private meta: TrainDataMeta | undefined;
  /** Windows added since the last take(). */
  fresh = 0;
  dropped = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.inputs.length;
  }

  /**
   * Keeps one streamed window, after checking all of it: one bad window kept would fail every later run.
   * @throws ForecastError BAD_INPUT (malformed) or SPEC_MISMATCH, the collection unchanged.
   */
  add(w: WindowPayload): void {
    if (!Array.isArray(w.targets) || !w.targets.length) {
      throw fail('BAD_INPUT', 'trainData.windowNoTargets', {}, 'no targets');
    }
    const { inputs, targets } = checkStreamedWindow(w);
    const spec = trainDataMeta(w);
    if (this.meta) {
      const m = this.meta;
      if (
        m.window !== spec.window ||
        m.horizon !== spec.horizon ||
        m.target !== spec.target ||
        // Compared name by name: a joined text would take ['a,x', 'b'] for ['a', 'x', 'b'].
        m.features.length !== spec.features.length ||
        m.features.some((f, i) => f !== spec.features[i])
      ) {
        throw fail(
          'SPEC_MISMATCH',
          'trainData.unlikeCollected',
          {
            size: this.size,
            mWindow: m.window,
            mHorizon: m.horizon,
            mFeatures: m.features.join(', '),
            mTarget: m.target,
            window: spec.window,
            horizon: spec.horizon,
            features: spec.features.join(', '),
            target: spec.target,
          },
          'window spec changed',
        );
      }
    } else {
      this.meta = spec;
    }
    this.inputs.push(inputs);
    this.targets.push(targets);
    this.ids.push(w.series ?? '');
    this.fresh++;
    if (this.inputs.length > this.max) {
      this.inputs.shift();
      this.targets.shift();
      this.ids.shift();
      this.dropped++;
    }
  }

  /** The collected windows as training data (they stay collected for later runs). */
  take(): TrainData {
    if (!this.meta || !this.size) throw fail('BAD_INPUT', 'trainData.nothingCollected', {}, 'no windows');
    this.fresh = 0;
    const data: TrainData = { ...this.meta, inputs: this.inputs.slice(), targets: this.targets.slice() };
    // Ids only when there are several series: one series splits and calibrates as before.
    if (this.ids.some((id) => id !== this.ids[0])) data.seriesIds = this.ids.slice();
    return data;
  }

  clear(): void {
    this.inputs = [];
    this.targets = [];
    this.ids = [];
    this.meta = undefined;
    this.fresh = 0;
  }
}
