/**
 * lstm-train's settings and its bounded buffer of streamed training windows:
 * everything the node does that is not Node-RED glue.
 */
import { ForecastError, describe } from '../base/errors';
import { compileValidator } from '../base/validate';
import { DEFAULT_MODEL_CONFIG, type ModelConfig, type ModelType } from '../settings/model';
import { DEFAULT_TRAIN_OPTIONS, resolveModelConfig, resolveTrainOptions, trainDataMeta, type TrainData, type TrainOptions } from './trainer';
import type { DatasetPayload, WindowPayload } from '../data/window-message';

export interface TrainNodeSettings {
  model: ModelConfig;
  options: TrainOptions;
  /** Most streamed windows kept (the oldest are dropped past it). */
  maxWindows: number;
  /** Train automatically every this many new streamed windows; 0 = only on msg.train or a dataset. */
  trainEvery: number;
  /** A request while a run is going: queue it (one pending, the newest wins) or reject it. */
  overlap: 'queue' | 'reject';
  /** Continue from the stored model (its weights and scaler) when its spec matches. */
  incremental: boolean;
}

export interface RawTrainConfig {
  modelType: ModelType;
  units: number;
  layers: number;
  attentionUnits: number;
  iterations: number;
  featureAttention: boolean;
  highway: boolean;
  seed: number;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  validationFraction: number;
  season: number;
  maxWindows: number;
  trainEvery: number;
  overlap: 'queue' | 'reject';
  incremental: boolean;
}

/** The node's defaults: the core's model and training defaults, plus the node's own settings. */
const DEFAULTS: RawTrainConfig = {
  modelType: DEFAULT_MODEL_CONFIG.type,
  units: DEFAULT_MODEL_CONFIG.units,
  layers: DEFAULT_MODEL_CONFIG.layers,
  attentionUnits: DEFAULT_MODEL_CONFIG.attentionUnits,
  iterations: DEFAULT_MODEL_CONFIG.iterations,
  featureAttention: DEFAULT_MODEL_CONFIG.featureAttention,
  highway: DEFAULT_MODEL_CONFIG.highway,
  seed: DEFAULT_MODEL_CONFIG.seed,
  epochs: DEFAULT_TRAIN_OPTIONS.epochs,
  patience: DEFAULT_TRAIN_OPTIONS.patience,
  batchSize: DEFAULT_TRAIN_OPTIONS.batchSize,
  learningRate: DEFAULT_TRAIN_OPTIONS.learningRate,
  validationFraction: DEFAULT_TRAIN_OPTIONS.validationFraction,
  season: DEFAULT_TRAIN_OPTIONS.season,
  maxWindows: 20000,
  trainEvery: 0,
  overlap: 'queue',
  incremental: false,
};

/** The node's default settings, as the editor should offer them. */
export function trainNodeDefaults(): Readonly<RawTrainConfig> {
  return DEFAULTS;
}

const check = compileValidator<RawTrainConfig>(
  {
    type: 'object',
    properties: {
      modelType: { enum: ['lstm', 'attention', 'gca'] },
      units: { type: 'integer', minimum: 1, maximum: 1024 },
      layers: { type: 'integer', minimum: 1, maximum: 2 },
      attentionUnits: { type: 'integer', minimum: 1, maximum: 1024 },
      iterations: { type: 'integer', minimum: 1, maximum: 3 },
      featureAttention: { type: 'boolean' },
      highway: { type: 'boolean' },
      seed: { type: 'integer', minimum: 0 },
      epochs: { type: 'integer', minimum: 1, maximum: 100000 },
      patience: { type: 'integer', minimum: 1 },
      batchSize: { type: 'integer', minimum: 1, maximum: 65536 },
      learningRate: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      validationFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      season: { type: 'integer', minimum: 0 },
      maxWindows: { type: 'integer', minimum: 10, maximum: 10000000 },
      trainEvery: { type: 'integer', minimum: 0 },
      overlap: { enum: ['queue', 'reject'] },
      incremental: { type: 'boolean' },
    },
    required: Object.keys(DEFAULTS),
  },
  'BAD_CONFIG',
  'lstm-train config',
);

/** Parses the node's settings (the editor stores numbers as strings). */
export function parseTrainNodeConfig(raw: Record<string, unknown>, name: string): TrainNodeSettings {
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS) as (keyof RawTrainConfig)[]) {
    const v = raw[k];
    if (v === undefined || v === '') continue;
    merged[k] = typeof DEFAULTS[k] === 'number' && typeof v === 'string' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  const c = check(merged);
  return {
    model: resolveModelConfig({
      type: c.modelType,
      units: c.units,
      layers: c.layers,
      attentionUnits: c.attentionUnits,
      iterations: c.iterations,
      featureAttention: c.featureAttention,
      highway: c.highway,
      seed: c.seed,
    }),
    options: resolveTrainOptions({
      epochs: c.epochs,
      patience: c.patience,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      validationFraction: c.validationFraction,
      season: c.season,
      name,
    }),
    maxWindows: c.maxWindows,
    trainEvery: c.trainEvery,
    overlap: c.overlap,
    incremental: c.incremental,
  };
}

/**
 * Turns a dataset message into training data, checking it carries targets.
 * At most `max` windows are kept (the newest), so one message cannot make a run unbounded.
 */
export function datasetToTrainData(d: DatasetPayload, max = Infinity): { data: TrainData; dropped: number } {
  if (!Array.isArray(d.inputs) || !Array.isArray(d.targets) || !d.targets.length) {
    throw new ForecastError('BAD_INPUT', `expected a dataset with targets (set a horizon on the windower), got ${d.count ?? describe(d.inputs)} windows without targets`, 'no targets');
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
      throw new ForecastError('BAD_INPUT', "expected a training window with targets (the windower's second output, horizon > 0), got a window without targets", 'no targets');
    }
    const spec = { features: w.features, target: w.target, window: w.window, horizon: w.horizon, step: w.step ?? 0, series: w.series ?? '' };
    if (this.meta) {
      const m = this.meta;
      if (m.window !== spec.window || m.horizon !== spec.horizon || m.target !== spec.target || m.features.join(',') !== spec.features.join(',')) {
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
    if (!this.meta || !this.size) throw new ForecastError('BAD_INPUT', 'expected collected training windows or a dataset, got none yet', 'no windows');
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
