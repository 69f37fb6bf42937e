/**
 * The sequence windower's pure core: per-series buffers of readings, cut into
 * the window messages that train and predict consume (see data/window-message.ts).
 * Never imports Node-RED; the node glue (src/sequence-windower.ts) feeds it.
 */
import { ForecastError, describe } from '../base/errors';
import { fail } from '../base/messages';
import { iso, parseTime } from '../base/time';
import { isFiniteFloat32 } from '../base/arrays';
import { coerce, resolver } from '../settings/declare';
import { WINDOWER_SETTINGS, type WindowerConfig } from '../settings/windower';
import { medianStep, slidingWindows } from './windowing';
import type { DatasetPayload, WindowMeta, WindowPayload } from './window-message';

export type { DuplicatePolicy, InvalidPolicy, OverflowPolicy, WindowerConfig } from '../settings/windower';

/** Longest series name quoted in a text; the rest is elided (status and error texts stay bounded). */
const NAME_IN_TEXT = 120;

/** A series name for an error or warning text, quoted and cut to a bounded length. */
export function quoteName(name: string): string {
  return `'${name.length > NAME_IN_TEXT ? `${name.slice(0, NAME_IN_TEXT)}...' (${name.length} chars)` : `${name}'`}`;
}

const resolveWindowerConfig = resolver(WINDOWER_SETTINGS, 'windower setting');

/**
 * Validates a config (numbers may arrive as strings from the editor: convert
 * them first). Throws ForecastError('BAD_CONFIG') with every problem listed.
 */
export function parseWindowerConfig(raw: Partial<Record<keyof WindowerConfig, unknown>>): WindowerConfig {
  let cfg: WindowerConfig;
  try {
    cfg = resolveWindowerConfig(coerce(WINDOWER_SETTINGS, raw));
  } catch (e) {
    if (e instanceof ForecastError)
      throw fail(e.code, 'windower.invalidConfig', { reason: e.message }, 'invalid config');
    throw e;
  }
  const sel = splitList(cfg.features);
  if (
    cfg.target !== '' &&
    sel.length &&
    !sel.includes(cfg.target) &&
    !sel.some((s) => isIndex(s) && isIndex(cfg.target) && Number(s) === Number(cfg.target))
  ) {
    throw fail(
      'BAD_CONFIG',
      'windower.targetNotFeature',
      { target: cfg.target, sel: sel.join(', ') },
      'invalid config',
    );
  }
  return cfg;
}

function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function isIndex(s: string): boolean {
  return /^\d+$/.test(s);
}

/** How a series' readings look: fixed at its first reading. */
interface Schema {
  /** 'number': one value; 'array': positions; 'object': named fields. */
  kind: 'number' | 'array' | 'object';
  /** Feature names in column order. */
  features: string[];
  /** Where each feature is read from: an array position or an object key. */
  keys: (string | number)[];
  /** Length of array readings (all must have it). */
  arity: number;
  /** Column of the target in `features`. */
  targetIndex: number;
}

export interface SeriesState {
  schema: Schema;
  rows: number[][];
  times: number[];
  /** Readings since the last emitted window. */
  sinceEmit: number;
  /** Has a full window been emitted since the buffer last (re)started? */
  emitted: boolean;
  /** Last update (for drop-oldest eviction), ms. */
  touched: number;
}

/** JSON-safe snapshot for the node context (persistence across restarts). */
export interface WindowerState {
  format: 'sequence-windower-state';
  /** Settings the buffers were cut for; a snapshot taken under other settings is discarded. */
  settings: string;
  series: Record<string, SeriesState>;
}

/** What one transaction changed: series written (present now) and removed, and how to undo it. */
export interface Change<T> {
  result: T;
  changed: string[];
  removed: string[];
  /** Puts every touched series back as it was before the transaction. */
  undo(): void;
}

export interface PushOptions {
  /**
   * The time is the arrival time, not the reading's own: when it is not after the
   * series' previous reading (a burst within one millisecond, a clock stepped back)
   * the reading is stamped 1 ms after it instead, so arrival order is kept.
   */
  arrival?: boolean;
}

const KINDS = ['number', 'array', 'object'];

function copySeries(s: SeriesState): SeriesState {
  return {
    schema: {
      kind: s.schema.kind,
      features: s.schema.features.slice(),
      keys: s.schema.keys.slice(),
      arity: s.schema.arity,
      targetIndex: s.schema.targetIndex,
    },
    rows: s.rows.map((r) => r.slice()),
    times: s.times.slice(),
    sinceEmit: s.sinceEmit,
    emitted: s.emitted,
    touched: s.touched,
  };
}

/** A stored series checked field by field and copied (a store may hand out its own object); undefined when malformed. */
function readSeries(v: unknown, capacity: number): SeriesState | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Partial<SeriesState>;
  const sc = o.schema;
  if (!sc || typeof sc !== 'object' || !KINDS.includes(sc.kind)) return undefined;
  const F = Array.isArray(sc.features) ? sc.features.length : 0;
  if (
    F < 1 ||
    !sc.features.every((f) => typeof f === 'string') ||
    !Array.isArray(sc.keys) ||
    sc.keys.length !== F ||
    !sc.keys.every((k) => typeof k === 'string' || (Number.isInteger(k) && (k as number) >= 0)) ||
    !Number.isInteger(sc.arity) ||
    !Number.isInteger(sc.targetIndex) ||
    sc.targetIndex < 0 ||
    sc.targetIndex >= F
  )
    return undefined;
  const { rows, times } = o;
  if (!Array.isArray(rows) || !Array.isArray(times) || rows.length !== times.length) return undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Array.isArray(r) || r.length !== F || !r.every((x) => typeof x === 'number' && isFiniteFloat32(x)))
      return undefined;
    if (typeof times[i] !== 'number' || !Number.isFinite(times[i]) || (i > 0 && times[i] <= times[i - 1]))
      return undefined;
  }
  const copy = copySeries({
    schema: sc,
    rows,
    times,
    sinceEmit: Number.isInteger(o.sinceEmit) && (o.sinceEmit as number) >= 0 ? (o.sinceEmit as number) : 0,
    emitted: o.emitted === true,
    touched: typeof o.touched === 'number' && Number.isFinite(o.touched) ? o.touched : 0,
  });
  if (copy.rows.length > capacity) {
    copy.rows.splice(0, copy.rows.length - capacity);
    copy.times.splice(0, copy.times.length - capacity);
  }
  return copy;
}

export interface StreamResult {
  /** The newest L readings (for predict), when the series emits. */
  forecast?: WindowPayload;
  /** The window that ended H readings ago with its H known targets (for train), when the series emits and horizon > 0. */
  training?: WindowPayload;
  /** Readings held for this series now. */
  buffered: number;
  warnings: string[];
}

export interface BatchResult {
  /** Every labelled window of the batch (absent when horizon is 0 or too few readings for one). */
  dataset?: DatasetPayload;
  /** The newest L readings of the batch (for a forecast beyond the history). */
  latest?: WindowPayload;
  /** Readings kept after dropping bad ones. */
  readings: number;
  warnings: string[];
}

/** A finite number, or a string that is exactly one (MQTT payloads arrive as strings). */
function toNumber(v: unknown): number | undefined {
  // Beyond float32 a finite JavaScript number becomes Infinity inside the model.
  if (typeof v === 'number') return isFiniteFloat32(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return isFiniteFloat32(n) ? n : undefined;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

const TIME_FIELDS = ['timestamp', 'time', 'date', 'datetime', 'ts'];

export class Windower {
  readonly config: WindowerConfig;
  private series = new Map<string, SeriesState>();
  private readonly featureSel: string[];
  /** While a transaction runs: each touched series as it was before (undefined: did not exist). */
  private journal: Map<string, SeriesState | undefined> | null = null;
  /** The series' order when a transaction first removed one (undo puts it back in its place). */
  private journalOrder: string[] | null = null;

  constructor(config: WindowerConfig) {
    this.config = config;
    this.featureSel = splitList(config.features);
  }

  /** Number of series held. */
  get seriesCount(): number {
    return this.series.size;
  }

  /** Readings buffered for a series (0 when unknown). */
  buffered(series: string): number {
    return this.series.get(series)?.rows.length ?? 0;
  }

  /** Most readings a stream series keeps: one training window and its horizon. */
  get capacity(): number {
    return this.config.window + this.config.horizon;
  }

  /** The settings that make buffers incompatible when changed. */
  get settingsKey(): string {
    const c = this.config;
    return JSON.stringify([c.window, c.horizon, c.features, c.target]);
  }

  /** Clears one series, or all when `series` is undefined. Returns how many were cleared. */
  reset(series?: string): number {
    if (series === undefined) {
      const n = this.series.size;
      for (const k of this.series.keys()) this.record(k, false);
      this.series.clear();
      return n;
    }
    this.record(series, false);
    return this.series.delete(series) ? 1 : 0;
  }

  /** Names of the series held. */
  seriesNames(): string[] {
    return [...this.series.keys()];
  }

  /** A JSON-safe copy of one series' state (undefined when unknown). */
  exportSeries(name: string): SeriesState | undefined {
    const s = this.series.get(name);
    return s && copySeries(s);
  }

  /**
   * A JSON-safe copy of every buffer. `series` has no prototype, so series named
   * `__proto__` or `constructor` are plain keys (JSON.parse gives them back as own keys).
   */
  snapshot(): WindowerState {
    const series: Record<string, SeriesState> = Object.create(null);
    for (const [k, s] of this.series) series[k] = copySeries(s);
    return { format: 'sequence-windower-state', settings: this.settingsKey, series };
  }

  /**
   * Restores a snapshot; returns false (and keeps nothing) when it was taken under other settings or is malformed.
   * Malformed series are skipped; the rest are copied, never shared with the caller.
   */
  restore(state: unknown): boolean {
    const s = state as WindowerState | undefined;
    if (
      !s ||
      typeof s !== 'object' ||
      s.format !== 'sequence-windower-state' ||
      s.settings !== this.settingsKey ||
      !s.series ||
      typeof s.series !== 'object'
    )
      return false;
    this.series.clear();
    for (const [k, v] of Object.entries(s.series)) {
      const state = readSeries(v, this.capacity);
      if (state) this.series.set(k, state);
    }
    while (this.series.size > this.config.maxSeries) this.evictOldest();
    return true;
  }

  /**
   * Runs `fn` (push, reset) and records what it touched, so a caller whose save
   * then fails can undo it. When `fn` throws, its changes are undone at once.
   */
  transaction<T>(fn: () => T): Change<T> {
    const journal = new Map<string, SeriesState | undefined>();
    this.journal = journal;
    this.journalOrder = null;
    let order: string[] | null = null;
    const undo = (): void => {
      if (order) {
        const m = new Map<string, SeriesState>();
        for (const k of order) {
          const s = journal.has(k) ? journal.get(k) : this.series.get(k);
          if (s) m.set(k, s);
        }
        this.series = m;
        return;
      }
      for (const [k, before] of journal) {
        if (before === undefined) this.series.delete(k);
        else this.series.set(k, before);
      }
    };
    let result: T;
    try {
      result = fn();
    } catch (err) {
      order = this.journalOrder;
      undo();
      throw err;
    } finally {
      order = this.journalOrder;
      this.journal = null;
      this.journalOrder = null;
    }
    const changed: string[] = [];
    const removed: string[] = [];
    for (const k of journal.keys()) (this.series.has(k) ? changed : removed).push(k);
    return { result, changed, removed, undo };
  }

  /** Keeps the state of a series before its first change in a transaction (a copy when it will be mutated). */
  private record(name: string, mutate: boolean): void {
    if (!this.journal || this.journal.has(name)) return;
    const s = this.series.get(name);
    if (s && !mutate && !this.journalOrder) this.journalOrder = [...this.series.keys()];
    this.journal.set(name, s && mutate ? copySeries(s) : s);
  }

  /**
   * Adds one reading to a series and returns the windows it completes.
   * Throws ForecastError on bad input; the buffers are unchanged then.
   * @param time epoch ms of the reading
   */
  push(seriesKey: string, value: unknown, time: number, options: PushOptions = {}): StreamResult {
    const warnings: string[] = [];
    if (!Number.isFinite(time)) {
      throw fail(
        'BAD_TIMESTAMP',
        'windower.badTimestamp',
        { seriesKey: quoteName(seriesKey), got: describe(time) },
        'bad timestamp',
      );
    }
    let state = this.series.get(seriesKey);
    const schema = state?.schema ?? this.schemaFor(value, seriesKey);
    const last = state && state.rows.length ? state.rows[state.rows.length - 1] : undefined;
    const row = this.readRow(value, schema, seriesKey, last, warnings, '');
    if (row === undefined) return { buffered: state?.rows.length ?? 0, warnings };
    if (state && state.times.length) {
      const prev = state.times[state.times.length - 1];
      if (time <= prev && options.arrival) time = prev + 1;
      if (time === prev && this.config.duplicates !== 'reject') {
        if (this.config.duplicates === 'keep-first') {
          warnings.push(
            `series ${quoteName(seriesKey)}: dropped a reading at ${iso(time)}, the time of the previous one (Duplicates: keep-first)`,
          );
          return { buffered: state.rows.length, warnings };
        }
        // keep-last: the new values replace the previous reading; no new window (the next reading's windows hold them).
        this.record(seriesKey, true);
        state = this.series.get(seriesKey) as SeriesState;
        state.rows[state.rows.length - 1] = row;
        state.touched = Date.now();
        return { buffered: state.rows.length, warnings };
      }
      if (time <= prev) {
        const at = { series: quoteName(seriesKey), prev: iso(prev), got: iso(time) };
        throw time === prev
          ? fail('BAD_TIMESTAMP', 'windower.sameTime', at, 'same time twice')
          : fail('BAD_TIMESTAMP', 'windower.timeBackwards', at, 'time went backwards');
      }
    }
    this.record(seriesKey, true);
    if (!state) {
      this.makeRoom(seriesKey);
      state = { schema, rows: [], times: [], sinceEmit: 0, emitted: false, touched: Date.now() };
      this.series.set(seriesKey, state);
    }
    if (
      this.config.maxGap > 0 &&
      state.times.length &&
      time - state.times[state.times.length - 1] > this.config.maxGap
    ) {
      warnings.push(
        `series ${quoteName(seriesKey)}: gap of ${Math.round((time - state.times[state.times.length - 1]) / 1000)} s > maxGap; buffer restarted`,
      );
      state.rows = [];
      state.times = [];
      state.sinceEmit = 0;
      state.emitted = false;
    }
    state.rows.push(row);
    state.times.push(time);
    state.touched = Date.now();
    if (state.rows.length > this.capacity) {
      const drop = state.rows.length - this.capacity;
      state.rows.splice(0, drop);
      state.times.splice(0, drop);
    }
    state.sinceEmit++;
    const { window: L, horizon: H, stride } = this.config;
    const result: StreamResult = { buffered: state.rows.length, warnings };
    if (state.rows.length < L) return result;
    if (state.emitted && state.sinceEmit < stride) return result;
    state.sinceEmit = 0;
    state.emitted = true;
    const n = state.rows.length;
    const meta = this.meta(seriesKey, schema, state.times);
    result.forecast = {
      type: 'window',
      ...meta,
      inputs: state.rows.slice(n - L).map((r) => r.slice()),
      timestamps: state.times.slice(n - L),
    };
    if (H > 0 && n >= L + H) {
      const o = n - 1 - H;
      result.training = {
        type: 'window',
        ...meta,
        inputs: state.rows.slice(o - L + 1, o + 1).map((r) => r.slice()),
        timestamps: state.times.slice(o - L + 1, o + 1),
        targets: state.rows.slice(o + 1).map((r) => [r[schema.targetIndex]]),
        targetTimestamps: state.times.slice(o + 1),
      };
    }
    return result;
  }

  /**
   * Windows a whole history (batch mode). Readings: numbers, arrays of numbers,
   * or objects (e.g. from the csv node) with an optional time field.
   * @param start epoch ms used to date readings that carry no time (the newest
   *   reading gets `start`, earlier ones `interval` ms apart).
   */
  batch(seriesKey: string, readings: unknown, start: number): BatchResult {
    if (!Array.isArray(readings)) {
      throw fail(
        'BAD_INPUT',
        'windower.batchNotArray',
        { property: this.config.property, got: describe(readings) },
        'not a batch',
      );
    }
    if (readings.length === 0) {
      throw fail('BAD_INPUT', 'windower.batchEmpty', {}, 'empty batch');
    }
    const warnings: string[] = [];
    let list = readings as unknown[];
    if (list.length > this.config.maxBatch) {
      if (this.config.overflow === 'error') {
        throw fail(
          'LIMIT',
          'windower.batchTooLong',
          { maxBatch: this.config.maxBatch, got: list.length },
          'batch too long',
        );
      }
      warnings.push(`batch of ${list.length} readings: kept the newest ${this.config.maxBatch} (maxBatch)`);
      list = list.slice(list.length - this.config.maxBatch);
    }
    const schema = this.schemaFor(list[0], seriesKey);
    const timeField = schema.kind === 'object' ? this.timeFieldOf(list[0] as Record<string, unknown>) : undefined;
    const rows: number[][] = [];
    const times: number[] = [];
    const dropped: number[] = [];
    let duplicates = 0;
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const row = this.readRow(item, schema, seriesKey, rows[rows.length - 1], null, `reading ${i}: `);
      if (row === undefined) {
        dropped.push(i);
        continue;
      }
      let t: number;
      if (timeField !== undefined) {
        const raw = (item as Record<string, unknown>)[timeField];
        const parsed = parseTime(raw);
        if (parsed === undefined) {
          throw fail('BAD_TIMESTAMP', 'windower.batchBadTime', { i, timeField, got: describe(raw) }, 'bad timestamp');
        }
        t = parsed;
      } else {
        t = start - (list.length - 1 - i) * this.config.interval;
      }
      if (times.length && t === times[times.length - 1] && this.config.duplicates !== 'reject') {
        duplicates++;
        if (this.config.duplicates === 'keep-last') rows[rows.length - 1] = row;
        continue;
      }
      if (times.length && t <= times[times.length - 1]) {
        const at = { index: i, prev: iso(times[times.length - 1]), got: iso(t) };
        throw t === times[times.length - 1]
          ? fail('BAD_TIMESTAMP', 'windower.batchSameTime', at, 'time went backwards')
          : fail('BAD_TIMESTAMP', 'windower.batchBackwards', at, 'time went backwards');
      }
      rows.push(row);
      times.push(t);
    }
    if (dropped.length) {
      warnings.push(
        `batch mode: ${this.config.invalid === 'carry' ? 'carried the last value into' : 'dropped'} ${dropped.length} reading(s) with missing or non-numeric values (first: reading ${dropped[0]})`,
      );
    }
    if (duplicates) {
      warnings.push(
        `batch mode: ${duplicates} reading(s) had the time of the previous one: kept the ${this.config.duplicates === 'keep-last' ? 'last' : 'first'} of each (Duplicates)`,
      );
    }
    if (!rows.length) {
      throw fail('BAD_INPUT', 'windower.batchNoneValid', { listCount: list.length }, 'no valid readings');
    }
    const meta = this.meta(seriesKey, schema, times);
    const { window: L, horizon: H, stride } = this.config;
    const result: BatchResult = { readings: rows.length, warnings };
    if (rows.length >= L) {
      result.latest = {
        type: 'window',
        ...meta,
        inputs: rows.slice(rows.length - L),
        timestamps: times.slice(times.length - L),
      };
    }
    if (H > 0) {
      const minOrigin = this.boundDataset(rows.length, schema.features.length, warnings);
      const cut = slidingWindows(rows, L, H, stride, schema.targetIndex, { align: 'end', minOrigin });
      if (cut.origins.length) {
        result.dataset = {
          type: 'dataset',
          ...meta,
          count: cut.origins.length,
          inputs: cut.inputs,
          timestamps: cut.origins.map((o) => times.slice(o - L + 1, o + 1)),
          targets: cut.targets,
          targetTimestamps: cut.origins.map((o) => times.slice(o + 1, o + 1 + H)),
        };
      } else {
        warnings.push(`batch mode: ${rows.length} readings are too few for one window of ${L} plus a horizon of ${H}`);
      }
    }
    return result;
  }

  /**
   * Bounds the work of one batch: windows x L x F numbers at most maxDatasetValues.
   * Returns the first origin to cut (the newest windows) or undefined for all; throws past the cap under 'error'.
   */
  private boundDataset(n: number, F: number, warnings: string[]): number | undefined {
    const { window: L, horizon: H, stride, maxDatasetValues: cap } = this.config;
    const lo = L - 1;
    const hi = n - 1 - H;
    const windows = hi >= lo ? Math.floor((hi - lo) / stride) + 1 : 0;
    const per = L * F;
    if (windows * per <= cap) return undefined;
    const keep = Math.floor(cap / per);
    if (this.config.overflow === 'error' || keep < 1) {
      const size = { max: cap, windows, window: L, features: F, got: windows * per };
      throw keep < 1
        ? fail('LIMIT', 'windower.windowTooLarge', size, 'dataset too large')
        : fail('LIMIT', 'windower.datasetTooLarge', size, 'dataset too large');
    }
    warnings.push(`batch mode: kept the newest ${keep} of ${windows} windows (maxDatasetValues ${cap})`);
    return hi - (keep - 1) * stride;
  }

  private meta(series: string, schema: Schema, times: number[]): WindowMeta {
    return {
      series,
      features: schema.features.slice(),
      target: schema.features[schema.targetIndex],
      window: this.config.window,
      horizon: this.config.horizon,
      step: medianStep(times.slice(-Math.min(times.length, 1000))),
    };
  }

  private timeFieldOf(first: Record<string, unknown>): string | undefined {
    if (this.config.timeField) {
      if (!(this.config.timeField in first)) {
        throw fail(
          'BAD_INPUT',
          'windower.batchNoTimeField',
          { timeField: this.config.timeField, got: describe(first) },
          'no time field',
        );
      }
      return this.config.timeField;
    }
    return TIME_FIELDS.find((f) => f in first);
  }

  private makeRoom(newSeries: string): void {
    if (this.series.size < this.config.maxSeries) return;
    if (this.config.overflow === 'error') {
      throw fail(
        'LIMIT',
        'windower.tooManySeries',
        { maxSeries: this.config.maxSeries, newSeries: quoteName(newSeries) },
        'too many series',
      );
    }
    this.evictOldest();
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let when = Infinity;
    for (const [k, s] of this.series) {
      if (s.touched < when) {
        when = s.touched;
        oldest = k;
      }
    }
    if (oldest !== undefined) {
      this.record(oldest, false);
      this.series.delete(oldest);
    }
  }

  private checkFeatureCount(n: number, where: string): void {
    if (n > this.config.maxFeatures)
      throw fail(
        'LIMIT',
        'windower.tooManyFeatures',
        { where, maxFeatures: this.config.maxFeatures, got: n },
        'too many features',
      );
  }

  /** Works out a series' feature columns from its first reading and the config. */
  private schemaFor(value: unknown, seriesKey: string): Schema {
    const sel = this.featureSel;
    const where = seriesKey === '' ? '' : `series ${quoteName(seriesKey)}: `;
    let kind: Schema['kind'];
    let features: string[];
    let keys: (string | number)[];
    let arity = 0;
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
      kind = 'number';
      if (sel.length > 1)
        throw fail(
          'BAD_INPUT',
          'windower.singleValue',
          { where, selCount: sel.length, sel: sel.join(', ') },
          'wrong number of values',
        );
      features = [sel[0] && !isIndex(sel[0]) ? sel[0] : 'value'];
      keys = [0];
    } else if (Array.isArray(value)) {
      kind = 'array';
      arity = value.length;
      if (arity === 0) throw fail('BAD_INPUT', 'windower.emptyReading', { where }, 'empty reading');
      if (!(sel.length && sel.every(isIndex))) this.checkFeatureCount(sel.length || arity, where);
      if (sel.length && sel.every(isIndex)) {
        keys = sel.map(Number);
        const bad = keys.find((k) => (k as number) >= arity);
        if (bad !== undefined)
          throw fail(
            'BAD_INPUT',
            'windower.featureIndexMissing',
            { where, value: (bad as number) + 1, bad, got: arity },
            'wrong number of values',
          );
        features = keys.map(String);
      } else if (sel.length) {
        // Names for array positions, in order.
        if (sel.length !== arity)
          throw fail(
            'BAD_INPUT',
            'windower.tooFewValues',
            { where, selCount: sel.length, sel: sel.join(', '), got: arity },
            'wrong number of values',
          );
        keys = sel.map((_, i) => i);
        features = sel.slice();
      } else {
        keys = value.map((_, i) => i);
        features = keys.map(String);
      }
    } else if (value !== null && typeof value === 'object') {
      kind = 'object';
      const obj = value as Record<string, unknown>;
      const timeField = this.config.timeField || TIME_FIELDS.find((f) => f in obj);
      const names = Object.keys(obj);
      if (sel.length) {
        keys = sel.map((s) => (isIndex(s) && !(s in obj) ? (names[Number(s)] ?? s) : s));
        const missing = keys.filter((k) => !(k in obj));
        if (missing.length)
          throw fail(
            'BAD_INPUT',
            'windower.featuresMissing',
            { where, keys: keys.join(', '), got: describe(obj), missing: missing.join(', ') },
            'missing feature',
          );
      } else {
        keys = names.filter((k) => k !== timeField && toNumber(obj[k]) !== undefined);
        if (!keys.length)
          throw fail('BAD_INPUT', 'windower.noNumericField', { where, got: describe(obj) }, 'no numeric fields');
      }
      this.checkFeatureCount(keys.length, where);
      features = keys.map(String);
    } else {
      throw fail('BAD_INPUT', 'windower.badReading', { where, got: describe(value) }, 'bad reading');
    }
    let targetIndex = 0;
    const t = this.config.target;
    if (t !== '') {
      targetIndex = features.indexOf(t);
      if (targetIndex < 0 && isIndex(t)) {
        // An index names a position of the reading (array position / key order); else an index into features.
        const byKey = kind === 'array' ? keys.indexOf(Number(t)) : -1;
        targetIndex = byKey >= 0 ? byKey : Number(t) < features.length && sel.length === 0 ? Number(t) : -1;
      }
      if (targetIndex < 0) {
        throw fail('BAD_INPUT', 'windower.targetMissing', { where, t, features: features.join(', ') }, 'no target');
      }
    }
    return { kind, features, keys, arity, targetIndex };
  }

  /**
   * Reads one reading into a row of numbers. On a missing or non-numeric value:
   * throws (invalid 'error'), returns undefined (drop), or carries `last` (carry;
   * drops when there is no last value yet). `warnings` null means: the caller
   * counts drops itself.
   */
  private readRow(
    value: unknown,
    schema: Schema,
    seriesKey: string,
    last: number[] | undefined,
    warnings: string[] | null,
    where: string,
  ): number[] | undefined {
    const ctx = `${seriesKey === '' ? '' : `series ${quoteName(seriesKey)}: `}${where}`;
    let raw: unknown[];
    if (schema.kind === 'number') {
      if (Array.isArray(value) || (value !== null && typeof value === 'object')) {
        throw fail('BAD_INPUT', 'windower.notSingleNumber', { ctx, got: describe(value) }, 'wrong reading shape');
      }
      raw = [value];
    } else if (schema.kind === 'array') {
      if (!Array.isArray(value))
        throw fail(
          'BAD_INPUT',
          'windower.notArrayLikeBefore',
          { ctx, arity: schema.arity, got: describe(value) },
          'wrong reading shape',
        );
      if (value.length !== schema.arity)
        throw fail(
          'BAD_INPUT',
          'windower.arityChanged',
          { ctx, arity: schema.arity, got: value.length },
          'wrong number of values',
        );
      raw = schema.keys.map((k) => value[k as number]);
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw fail(
          'BAD_INPUT',
          'windower.notObjectLikeBefore',
          { ctx, features: schema.features.join(', '), got: describe(value) },
          'wrong reading shape',
        );
      }
      raw = schema.keys.map((k) => (value as Record<string, unknown>)[k as string]);
    }
    const row: number[] = [];
    const bad: string[] = [];
    for (let j = 0; j < raw.length; j++) {
      const n = toNumber(raw[j]);
      if (n === undefined) {
        bad.push(`${schema.features[j]} = ${describe(raw[j])}`);
        row.push(last ? last[j] : NaN);
      } else {
        row.push(n);
      }
    }
    if (!bad.length) return row;
    const policy = this.config.invalid;
    if (policy === 'error') {
      throw fail(
        'BAD_INPUT',
        'windower.notFinite',
        { ctx, features: schema.features.join(', '), got: bad.join(', ') },
        'non-numeric value',
      );
    }
    if (policy === 'carry' && last) {
      warnings?.push(`${ctx}carried the last value for ${bad.join(', ')}`);
      return row;
    }
    warnings?.push(`${ctx}dropped a reading with ${bad.join(', ')}`);
    return undefined;
  }
}
