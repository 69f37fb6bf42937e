/**
 * Training data: windows of one series in real units, their checks, and the
 * bounded buffer of streamed training windows lstm-train collects.
 */
import { ForecastError, describe } from '../base/errors';
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
}

/** The fields of {@link TrainData} besides the windows. */
export type TrainDataMeta = Omit<TrainData, 'inputs' | 'targets'>;

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
}

/**
 * Checks windows ([N][L][F] finite numbers) and their targets ([N][H][1]).
 * @param what names the data in the error text ("training data").
 * @throws ForecastError BAD_INPUT saying which window is wrong and how.
 */
export function checkWindows(what: string, inputs: unknown, targets: unknown, L: number, F: number, H: number): void {
  if (!Array.isArray(inputs))
    throw new ForecastError('BAD_INPUT', `${what}: expected inputs as an array of windows, got ${describe(inputs)}`);
  if (!Array.isArray(targets))
    throw new ForecastError('BAD_INPUT', `${what}: expected targets ([N][${H}][1]), got ${describe(targets)}`);
  if (targets.length !== inputs.length)
    throw new ForecastError(
      'BAD_INPUT',
      `${what}: expected one target block per window, got ${targets.length} for ${inputs.length} windows`,
    );
  inputs.forEach((w: unknown, i: number) => {
    if (!Array.isArray(w) || w.length !== L || !w.every((r) => Array.isArray(r) && r.length === F)) {
      const rows = Array.isArray(w) ? w.length : describe(w);
      const cols = Array.isArray(w) && Array.isArray(w[0]) ? w[0].length : '?';
      throw new ForecastError(
        'BAD_INPUT',
        `${what}: expected window ${i} to be ${L} rows x ${F} features, got ${rows} x ${cols}`,
      );
    }
    for (const r of w as number[][]) {
      for (const v of r)
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new ForecastError('BAD_INPUT', `${what}: window ${i} holds ${describe(v)}; expected finite numbers`);
    }
    const t = targets[i];
    if (
      !Array.isArray(t) ||
      t.length !== H ||
      !t.every((r) => Array.isArray(r) && r.length === 1 && typeof r[0] === 'number' && Number.isFinite(r[0]))
    ) {
      throw new ForecastError(
        'BAD_INPUT',
        `${what}: expected the targets of window ${i} as ${H} rows of one finite number, got ${describe(t)}`,
      );
    }
  });
}

/**
 * Turns a dataset message into training data, checking it carries targets.
 * At most `max` windows are kept (the newest), so one message cannot make a run unbounded.
 */
export function datasetToTrainData(d: DatasetPayload, max = Infinity): { data: TrainData; dropped: number } {
  if (!Array.isArray(d.inputs) || !Array.isArray(d.targets) || !d.targets.length) {
    throw new ForecastError(
      'BAD_INPUT',
      `expected a dataset with targets (set a horizon on the windower), got ${d.count ?? describe(d.inputs)} windows without targets`,
      'no targets',
    );
  }
  const dropped = Math.max(0, d.inputs.length - max);
  const data: TrainData = {
    inputs: dropped ? d.inputs.slice(dropped) : d.inputs,
    targets: dropped ? d.targets.slice(dropped) : d.targets,
    ...trainDataMeta(d),
  };
  return { data, dropped };
}

/**
 * Streamed training windows (the windower's second output), kept until a run
 * takes them. Bounded: past `max` the oldest are dropped. All windows must share
 * one spec (features, target, L, H); a different one is refused.
 */
export class WindowAccumulator {
  private inputs: number[][][] = [];
  private targets: number[][][] = [];
  private meta: Omit<TrainData, 'inputs' | 'targets'> | undefined;
  /** Windows added since the last take(). */
  fresh = 0;
  dropped = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.inputs.length;
  }

  add(w: WindowPayload): void {
    if (!Array.isArray(w.targets) || !w.targets.length) {
      throw new ForecastError(
        'BAD_INPUT',
        "expected a training window with targets (the windower's second output, horizon > 0), got a window without targets",
        'no targets',
      );
    }
    const spec = {
      features: w.features,
      target: w.target,
      window: w.window,
      horizon: w.horizon,
      step: w.step ?? 0,
      series: w.series ?? '',
    };
    if (this.meta) {
      const m = this.meta;
      if (
        m.window !== spec.window ||
        m.horizon !== spec.horizon ||
        m.target !== spec.target ||
        m.features.join(',') !== spec.features.join(',')
      ) {
        throw new ForecastError(
          'SPEC_MISMATCH',
          `expected windows like the ${this.size} collected (L ${m.window}, H ${m.horizon}, features ${m.features.join(', ')}, target ${m.target}), got L ${spec.window}, H ${spec.horizon}, features ${spec.features.join(', ')}, target ${spec.target}; send msg.reset to start over`,
          'window spec changed',
        );
      }
    } else {
      this.meta = spec;
    }
    this.inputs.push(w.inputs);
    this.targets.push(w.targets);
    this.fresh++;
    if (this.inputs.length > this.max) {
      this.inputs.shift();
      this.targets.shift();
      this.dropped++;
    }
  }

  /** The collected windows as training data (they stay collected for later runs). */
  take(): TrainData {
    if (!this.meta || !this.size)
      throw new ForecastError(
        'BAD_INPUT',
        'expected collected training windows or a dataset, got none yet',
        'no windows',
      );
    this.fresh = 0;
    return { ...this.meta, inputs: this.inputs.slice(), targets: this.targets.slice() };
  }

  clear(): void {
    this.inputs = [];
    this.targets = [];
    this.meta = undefined;
    this.fresh = 0;
  }
}
