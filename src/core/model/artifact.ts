/**
 * The model artifact: everything needed to forecast again, as plain JSON, so it
 * can live in a Node-RED context store (memory, localfilesystem, redis) and
 * survive `JSON.stringify`/`JSON.parse`. Never a live tfjs object: the live model
 * is rebuilt from it ({@link loadServeModel}, {@link buildServeModel}).
 *
 * Weights are base64 of little-endian float32 bytes, one entry per variable of
 * the serve model, in `model.weights` order.
 */
import type { SchemaObject } from 'ajv';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type * as TF from '../base/tfjs';
import { tf } from '../base/backend';
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { ajv } from '../base/validate';
import { firstNonFinite } from '../base/arrays';
import { HW_MAX_SERIES } from '../data/holt-winters';
import { MODEL_CONFIG_SCHEMA, type ModelConfig } from '../settings/model';
// model/graph.ts registers every model type's builder and (through them) the custom
// layer classes that tf.models.modelFromJSON needs.
import { buildGraph } from './graph';
import { MAX_MIX, seasonsThatFit, type ReferencePart, type ScalerState } from '../data/scaler';
import type { ValidationScores } from '../data/metrics';
import {
  MAX_SERIES_CALIBRATIONS,
  SERIES_CALIBRATION_BUDGET,
  SERIES_ID_MAX,
  type BaseCalibration,
  type ResidualGrid,
  type Calibration,
} from '../data/conformal';

export const ARTIFACT_FORMAT = 'lstm-forecast-model';
export const ARTIFACT_FORMAT_VERSION = 1;

/** The window settings a model was trained for; predictions must match them. */
export interface ArtifactSpec {
  /** Window length L (rows). */
  window: number;
  /** Horizon H (forecast steps). */
  horizon: number;
  /** Feature names, in input column order (F = features.length). */
  features: string[];
  /** Target feature name (one of features). */
  target: string;
  /** Column of the target in the inputs. */
  targetIndex: number;
  /** Typical interval between readings in ms (0 if unknown). */
  step: number;
  /** Series key the model was trained on ("" when none). */
  series: string;
}

/** One stored weight variable. */
export interface ArtifactWeight {
  /** Variable name, e.g. "lstm_1/kernel". */
  name: string;
  shape: number[];
  dtype: 'float32';
  /** base64 of the float32 bytes (little-endian), product(shape) values. */
  data: string;
}

/** One epoch of training history (losses are MSE on scaled window-relative targets). */
export interface EpochLoss {
  epoch: number;
  loss: number;
  valLoss: number;
}

/** What a training run reports. JSON-safe. */
export interface TrainReport {
  name: string;
  type: ModelConfig['type'];
  /** tfjs backend the run used ("tensorflow", "wasm", "cpu"). */
  backend: string;
  /** Trainable parameter count. */
  params: number;
  /** Epochs run (<= the configured maximum). */
  epochs: number;
  /**
   * Epoch whose weights were kept (lowest validation loss), 1-based; 0 = the
   * starting weights (the ridge start, see `initialValLoss`) beat every epoch.
   */
  bestEpoch: number;
  stoppedEarly: boolean;
  trainWindows: number;
  valWindows: number;
  /** Wall time of training (ridge start, epoch-0 validation and the epochs), seconds. */
  trainSeconds: number;
  /** Training windows processed per second (epochs * trainWindows / trainSeconds). */
  windowsPerSecond: number;
  history: EpochLoss[];
  /**
   * Validation loss of the starting weights, before the first epoch ("epoch 0";
   * same units as `history[].valLoss`); null when not finite. With a ridge start
   * it is the first best of early stopping. Absent in older artifacts.
   */
  initialValLoss?: number | null;
  /** Ridge penalty of the linear start (linear-start.ts); null when the run did not start from ridge. Absent in older artifacts. */
  ridgeAlpha?: number | null;
  /** Scores on the validation windows, real units. */
  validation: ValidationScores;
  /**
   * The base the network forecasts on top of, and how every candidate scored (train/base.ts); when training
   * continued, the kept scaler's reference and the previous model. Absent in older artifacts.
   */
  base?: BaseReport;
  /** True when training continued from a previous artifact's weights. */
  incremental: boolean;
}

/** One candidate base and its validation MAE (real units; null when not finite). */
export interface BaseCandidateScore {
  name: string;
  mae: number | null;
}

/** The chosen base of a run (train/base.ts). JSON-safe. */
export interface BaseReport {
  /** E.g. 'holt-winters', 'seasonal K=2 + ridge'. */
  name: string;
  /** The scaler's target reference. */
  reference: string;
  /** A ridge fit on the reference's residual is part of the base (the highway's start). */
  ridge: boolean;
  /** season, seasons, Holt-Winters alpha/beta/gamma/phi, ridgeAlpha, as they apply. */
  params: Record<string, number>;
  /** Validation MAE of the base alone, real units. */
  mae: number;
  /** Every candidate, in the order tried. */
  candidates: BaseCandidateScore[];
  /**
   * 'kept' when the trained network beat the base on validation MAE, else 'dropped' (the base is what is
   * stored); 'previous' when continued training stored the previous model (it beat both).
   */
  network: 'kept' | 'dropped' | 'previous';
  /** Validation MAE of the trained network before that decision (null when not finite). */
  networkMae?: number | null;
  /**
   * The base was refitted on the training and validation windows after the choice (train/base.ts refitBase):
   * how many windows, whether a ridge was refitted and whether a carried Holt-Winters state was run on through the
   * validation rows. The validation scores above are those of the fit on the training part.
   */
  refit?: { windows: number; ridge: boolean; state: boolean };
}

/** The stored model. See the module comment. */
export interface ModelArtifact {
  format: typeof ARTIFACT_FORMAT;
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  name: string;
  /** 1 for the first training run of `name`, +1 on each further run. */
  version: number;
  /** Random id of this training run. */
  id: string;
  /** ISO 8601 time of creation. */
  createdAt: string;
  spec: ArtifactSpec;
  model: ModelConfig;
  /** Refinement iterations N of the attention output. */
  iterations: number;
  hasAttention: boolean;
  scaler: ScalerState;
  /** The serve model's topology (`model.toJSON(null, false)`), a plain object. */
  topology: Record<string, unknown>;
  weights: ArtifactWeight[];
  report: TrainReport;
  backend: string;
  packageVersion: string;
  /**
   * Split-conformal calibration from the validation residuals (data/conformal.ts),
   * for prediction intervals. Absent in artifacts made before intervals, or when
   * no validation forecast was finite: lstm-predict then gives no intervals.
   */
  calibration?: Calibration;
}

const positiveInt = { type: 'integer', minimum: 1 };
const finiteNumberArray = { type: 'array', items: { type: 'number' } };
const HW_SCHEMA = {
  type: 'object',
  required: ['alpha', 'beta', 'gamma', 'phi'],
  properties: {
    alpha: { type: 'number', minimum: 0, maximum: 1 },
    beta: { type: 'number', minimum: 0, maximum: 1 },
    gamma: { type: 'number', minimum: 0, maximum: 1 },
    phi: { type: 'number', minimum: 0, maximum: 1 },
    // Absent in the window-only variant: the state carried across the training history.
    profile: finiteNumberArray,
    trend: { type: 'number' },
    // Trained on several series: each series' own carried state (holt-winters.ts hwStateFor).
    series: {
      type: 'array',
      maxItems: HW_MAX_SERIES,
      items: {
        type: 'object',
        required: ['id', 'profile', 'trend'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', maxLength: SERIES_ID_MAX },
          profile: finiteNumberArray,
          trend: { type: 'number' },
        },
      },
    },
  },
};

/** One calibration's fields (the pooled one, and each series' own). */
const calibrationSchema = {
  required: ['method', 'n', 'ranks', 'residuals', 'rmse'],
  properties: {
    method: { const: 'split-conformal' },
    n: positiveInt,
    ranks: { type: 'array', minItems: 1, items: positiveInt },
    residuals: {
      type: 'array',
      items: { type: 'array', minItems: 1, items: { type: 'number', minimum: 0 } },
    },
    rmse: { type: 'array', items: { type: 'number', minimum: 0 } },
    // Absent in calibrations stored before centred bands.
    center: { type: 'array', items: { type: 'number' } },
    // Absent in calibrations stored before the backtest residuals.
    backtest: {
      type: 'object',
      required: ['n', 'ranks', 'residuals'],
      properties: {
        n: positiveInt,
        ranks: { type: 'array', minItems: 1, items: positiveInt },
        residuals: {
          type: 'array',
          items: { type: 'array', minItems: 1, items: { type: 'number', minimum: 0 } },
        },
      },
    },
  },
};

const artifactSchema: SchemaObject = {
  type: 'object',
  required: [
    'format',
    'formatVersion',
    'name',
    'version',
    'id',
    'createdAt',
    'spec',
    'model',
    'iterations',
    'hasAttention',
    'scaler',
    'topology',
    'weights',
    'report',
  ],
  properties: {
    format: { const: ARTIFACT_FORMAT },
    formatVersion: { const: ARTIFACT_FORMAT_VERSION },
    name: { type: 'string' },
    version: positiveInt,
    id: { type: 'string', minLength: 1 },
    createdAt: { type: 'string' },
    spec: {
      type: 'object',
      required: ['window', 'horizon', 'features', 'target', 'targetIndex', 'step', 'series'],
      properties: {
        window: positiveInt,
        horizon: positiveInt,
        features: { type: 'array', minItems: 1, items: { type: 'string' } },
        target: { type: 'string' },
        targetIndex: { type: 'integer', minimum: 0 },
        step: { type: 'number', minimum: 0 },
        series: { type: 'string' },
      },
    },
    model: MODEL_CONFIG_SCHEMA,
    iterations: positiveInt,
    hasAttention: { type: 'boolean' },
    scaler: {
      type: 'object',
      required: ['mean', 'std'],
      properties: {
        mean: finiteNumberArray,
        std: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 } },
        // Absent in artifacts made before the seasonal reference: 'last'.
        reference: { enum: ['last', 'seasonal', 'seasonal-naive', 'holt-winters', 'combination'] },
        season: { type: 'integer', minimum: 0 },
        seasons: { type: 'integer', minimum: 1 },
        hw: HW_SCHEMA,
        // Only with reference 'combination': the references it averages (none a combination).
        mix: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_MIX,
          items: {
            type: 'object',
            required: ['weight', 'reference'],
            properties: {
              weight: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
              reference: { enum: ['last', 'seasonal', 'seasonal-naive', 'holt-winters'] },
              season: { type: 'integer', minimum: 0 },
              seasons: { type: 'integer', minimum: 1 },
              hw: HW_SCHEMA,
            },
          },
        },
      },
    },
    topology: { type: 'object', required: ['class_name', 'config'] },
    weights: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'dtype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          dtype: { const: 'float32' },
          data: { type: 'string' },
        },
      },
    },
    report: {
      type: 'object',
      required: ['history', 'validation'],
      properties: {
        // Both absent in artifacts made before the ridge start.
        initialValLoss: { type: 'number', nullable: true },
        ridgeAlpha: { type: 'number', nullable: true, minimum: 0 },
      },
    },
    backend: { type: 'string' },
    packageVersion: { type: 'string' },
    calibration: {
      type: 'object',
      required: calibrationSchema.required,
      properties: {
        ...calibrationSchema.properties,
        // Absent for one series and in artifacts stored before per-series calibration.
        perSeries: {
          type: 'array',
          maxItems: MAX_SERIES_CALIBRATIONS,
          items: {
            type: 'object',
            required: [...calibrationSchema.required, 'series'],
            properties: { ...calibrationSchema.properties, series: { type: 'string', maxLength: SERIES_ID_MAX } },
          },
        },
      },
    },
  },
};

const checkArtifact = ajv.compile<ModelArtifact>(artifactSchema);

let packageVersionCache: string | undefined;
/** This pack's version from package.json ("unknown" if it cannot be read). */
export function packageVersion(): string {
  if (packageVersionCache === undefined) {
    try {
      // nodes/core/model/artifact.js -> package.json three levels up.
      packageVersionCache = String(
        JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version,
      );
    } catch {
      packageVersionCache = 'unknown';
    }
  }
  return packageVersionCache;
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** base64 of a Float32Array's bytes. */
export function encodeFloat32(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** Decodes base64 float32 bytes (copied into an aligned buffer). */
export function decodeFloat32(data: string): Float32Array {
  const buf = Buffer.from(data, 'base64');
  if (buf.byteLength % 4 !== 0) throw fail('BAD_ARTIFACT', 'artifact.weightBytes', { bytes: buf.byteLength });
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** What {@link serializeModel} needs. */
export interface SerializeInput {
  name: string;
  version: number;
  spec: ArtifactSpec;
  model: ModelConfig;
  iterations: number;
  hasAttention: boolean;
  scaler: ScalerState;
  /** The live serve model; only read. */
  serve: TF.LayersModel;
  report: TrainReport;
  backend: string;
  calibration?: Calibration | null;
}

/** Reads a live serve model and its settings into a JSON-safe {@link ModelArtifact}. */
export function serializeModel(input: SerializeInput): ModelArtifact {
  const t = tf();
  const vars = input.serve.weights;
  const values = input.serve.getWeights();
  const weights: ArtifactWeight[] = vars.map((v, i) => ({
    name: v.originalName,
    shape: values[i].shape.slice(),
    dtype: 'float32',
    data: encodeFloat32(values[i].dataSync() as Float32Array),
  }));
  // getWeights() returns the variables' own tensors (read(), not clones): nothing to dispose.
  void t;
  const topology = input.serve.toJSON(null, false) as unknown as Record<string, unknown>;
  return {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    name: input.name,
    version: input.version,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    spec: { ...input.spec, features: input.spec.features.slice() },
    model: { ...input.model },
    iterations: input.iterations,
    hasAttention: input.hasAttention,
    scaler: {
      mean: input.scaler.mean.slice(),
      std: input.scaler.std.slice(),
      ...(input.scaler.reference ? { reference: input.scaler.reference } : {}),
      ...(input.scaler.season !== undefined ? { season: input.scaler.season } : {}),
      ...(input.scaler.seasons !== undefined ? { seasons: input.scaler.seasons } : {}),
      ...(input.scaler.hw ? { hw: { ...input.scaler.hw } } : {}),
      // a deep copy: the parts hold Holt-Winters states of their own
      ...(input.scaler.mix ? { mix: JSON.parse(JSON.stringify(input.scaler.mix)) as ReferencePart[] } : {}),
    },
    // A deep copy through JSON so the artifact shares nothing with tfjs objects.
    topology: JSON.parse(JSON.stringify(topology)),
    weights,
    report: input.report,
    backend: input.backend,
    packageVersion: packageVersion(),
    ...(input.calibration ? { calibration: input.calibration } : {}),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The checks of one target reference (the scaler's, or a part of its combination), named `at` in the problems. */
function checkReference(
  s: Pick<ScalerState, 'reference' | 'season' | 'seasons' | 'hw'> | ReferencePart,
  spec: ModelArtifact['spec'],
  at: string,
  problems: string[],
): void {
  if (s.reference === 'seasonal') {
    const { season, seasons } = s;
    if (season === undefined || seasons === undefined) {
      problems.push(`${at}.reference is seasonal but ${at}.season or ${at}.seasons is missing`);
    } else if (seasonsThatFit(spec.window, spec.horizon, season) < seasons) {
      problems.push(
        `${at}'s seasonal reference (${seasons} seasons of ${season} steps) does not fit window ${spec.window} with horizon ${spec.horizon}`,
      );
    }
  }
  if (s.reference === 'holt-winters' && !s.hw) {
    problems.push(`${at}.reference is holt-winters but ${at}.hw (its parameters) is missing`);
  }
  const hw = s.hw as { profile?: unknown; trend?: unknown; series?: { id: string; profile: number[] }[] } | undefined;
  if (hw && (hw.profile === undefined) !== (hw.trend === undefined)) {
    problems.push(`${at}.hw needs both profile and trend (the carried state) or neither`);
  }
  if (hw && Array.isArray(hw.profile) && hw.profile.length !== (s.season ?? 0)) {
    problems.push(`${at}.hw.profile has ${hw.profile.length} values, expected the season (${s.season ?? 0})`);
  }
  if (hw && hw.series && hw.profile === undefined) {
    problems.push(`${at}.hw.series needs the carried state (profile and trend) beside it`);
  }
  hw?.series?.forEach((o, k) => {
    if (o.profile.length !== (s.season ?? 0))
      problems.push(
        `${at}.hw.series[${k}].profile has ${o.profile.length} values, expected the season (${s.season ?? 0})`,
      );
  });
  if (s.reference === 'seasonal-naive') {
    const m = s.season ?? 0;
    if (m < 1 || m > spec.window)
      problems.push(`${at}'s seasonal naive reference needs a season of 1 .. ${spec.window} steps, got ${m}`);
  }
}

/** The checks of one residual grid the schema cannot make (shape against H, order, finiteness); false on a problem. */
function checkGrid(c: ResidualGrid, H: number, what: string, problems: string[]): boolean {
  if (c.residuals.length !== H) {
    problems.push(`${what} has ${c.residuals.length} residual grids for horizon ${H}`);
  } else if (c.ranks.some((r, k) => r > c.n || (k > 0 && r <= c.ranks[k - 1]))) {
    problems.push(`${what} ranks must increase and be at most n = ${c.n}`);
  } else if (
    c.residuals.some(
      (g) => g.length !== c.ranks.length || g.some((v, k) => !Number.isFinite(v) || (k > 0 && v < g[k - 1])),
    )
  ) {
    problems.push(`${what} residuals must be finite, sorted and ${c.ranks.length} per step (one per rank)`);
  } else return true;
  return false;
}

/** The consistency checks of one calibration the schema cannot make (shapes against H, order, finiteness). */
function checkCalibration(c: BaseCalibration, H: number, what: string, problems: string[]): void {
  if (c.residuals.length !== H || c.rmse.length !== H) {
    problems.push(`${what} has ${c.residuals.length} residual grids and ${c.rmse.length} RMSEs for horizon ${H}`);
  } else if (!checkGrid(c, H, what, problems)) {
    return;
  } else if (c.backtest && !checkGrid(c.backtest, H, `${what} backtest`, problems)) {
    return;
  } else if (!c.rmse.every(Number.isFinite)) {
    problems.push(`${what} rmse holds non-finite values`);
  } else if (c.center && (c.center.length !== H || !c.center.every(Number.isFinite))) {
    problems.push(`${what} center must be ${H} finite numbers (one per horizon step)`);
  }
}

/**
 * Checks that `x` is a usable artifact (schema, then consistency: target index,
 * scaler length, weight byte counts). Returns it typed; throws
 * ForecastError('BAD_ARTIFACT') listing every problem found.
 */
export function validateArtifact(x: unknown): ModelArtifact {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    throw fail('BAD_ARTIFACT', 'artifact.notObject', { got: describe(x) }, 'bad model');
  }
  if (!checkArtifact(x)) {
    const text = ajv.errorsText(checkArtifact.errors, { dataVar: 'artifact', separator: '; ' });
    throw fail('BAD_ARTIFACT', 'artifact.invalid', { problems: text }, 'bad model');
  }
  const a = x;
  const problems: string[] = [];
  const F = a.spec.features.length;
  if (a.spec.features[a.spec.targetIndex] !== a.spec.target) {
    problems.push(
      `spec.targetIndex ${a.spec.targetIndex} does not point at target "${a.spec.target}" in features (${a.spec.features.join(', ')})`,
    );
  }
  if (a.scaler.mean.length !== F || a.scaler.std.length !== F) {
    problems.push(`scaler has ${a.scaler.mean.length} means and ${a.scaler.std.length} stds for ${F} features`);
  }
  if (!a.scaler.mean.every(Number.isFinite) || !a.scaler.std.every(Number.isFinite)) {
    problems.push('scaler holds non-finite values');
  }
  if (a.scaler.reference === 'combination') {
    const mix = a.scaler.mix ?? [];
    if (!mix.length) problems.push('scaler.reference is combination but scaler.mix (its parts) is missing');
    const sum = mix.reduce((t, p) => t + p.weight, 0);
    if (mix.length && Math.abs(sum - 1) > 1e-6) problems.push(`scaler.mix weights sum to ${sum}, expected 1`);
    mix.forEach((p, i) => checkReference(p, a.spec, `scaler.mix[${i}]`, problems));
  } else checkReference(a.scaler, a.spec, 'scaler', problems);
  if (a.calibration) {
    const c = a.calibration;
    const H = a.spec.horizon;
    checkCalibration(c, H, 'calibration', problems);
    const own = c.perSeries ?? [];
    own.forEach((s) => checkCalibration(s, H, `calibration of series ${JSON.stringify(s.series)}`, problems));
    const kept = own.reduce((n, s) => n + (s.ranks.length + (s.backtest?.ranks.length ?? 0)) * H, 0);
    if (kept > SERIES_CALIBRATION_BUDGET)
      problems.push(`per-series calibrations hold ${kept} residuals, expected at most ${SERIES_CALIBRATION_BUDGET}`);
    if (new Set(own.map((s) => s.series)).size !== own.length) problems.push('per-series calibrations repeat a series');
  }
  a.weights.forEach((w, i) => {
    if (!BASE64.test(w.data)) {
      problems.push(`weights[${i}] (${w.name}): data is not base64`);
      return;
    }
    const pad = w.data.endsWith('==') ? 2 : w.data.endsWith('=') ? 1 : 0;
    const bytes = Math.floor((w.data.length * 3) / 4) - pad;
    const expected = product(w.shape) * 4;
    if (bytes !== expected) {
      problems.push(
        `weights[${i}] (${w.name}): shape [${w.shape.join(', ')}] needs ${expected} bytes, data has ${bytes}`,
      );
      return;
    }
    // A NaN or infinite weight would make every forecast NaN: refuse the model at load.
    const values = decodeFloat32(w.data);
    const bad = firstNonFinite(values);
    if (bad >= 0) problems.push(`weights[${i}] (${w.name}): holds ${describe(values[bad])} at index ${bad}`);
  });
  if (problems.length) throw fail('BAD_ARTIFACT', 'artifact.invalid', { problems: problems.join('; ') }, 'bad model');
  return a;
}

/**
 * Sets the artifact's weights on a model built for it. Checks count and every
 * shape first (BAD_ARTIFACT naming the first mismatch), so a model is never left
 * half-loaded.
 */
export function applyWeights(model: TF.LayersModel, artifact: ModelArtifact): void {
  const t = tf();
  const vars = model.weights;
  if (vars.length !== artifact.weights.length) {
    const counts = { type: artifact.model.type, needed: vars.length, has: artifact.weights.length };
    throw fail('BAD_ARTIFACT', 'artifact.weightCount', counts, 'bad model');
  }
  vars.forEach((v, i) => {
    const w = artifact.weights[i];
    if (v.shape.length !== w.shape.length || v.shape.some((d, k) => d !== w.shape[k])) {
      const shapes = { needed: v.shape.join(', '), weight: w.name, has: w.shape.join(', ') };
      throw fail(
        'BAD_ARTIFACT',
        'artifact.weightShape',
        { index: i, variable: v.originalName, ...shapes },
        'bad model',
      );
    }
  });
  const tensors = artifact.weights.map((w) => t.tensor(decodeFloat32(w.data), w.shape, 'float32'));
  try {
    model.setWeights(tensors);
  } finally {
    t.dispose(tensors);
  }
}

/**
 * Frees every weight of the given models. `LayersModel.dispose()` alone is not
 * enough here: train and serve share layers, a layer's reference count grows
 * with every `apply` (GCA applies some several times) and a model's dispose
 * decrements it only once, so weights would leak or a second dispose would throw.
 * Safe to call on models that are already (partly) disposed.
 */
export function disposeModels(...models: TF.LayersModel[]): void {
  const layers = new Set<{ dispose(): { refCountAfterDispose: number } }>();
  for (const m of models) for (const l of m.layers) layers.add(l);
  for (const l of layers) {
    let before = Infinity;
    try {
      // InputLayer.dispose() never decrements; stop when the count stops falling.
      for (;;) {
        const after = l.dispose().refCountAfterDispose;
        if (after <= 0 || after >= before) break;
        before = after;
      }
    } catch {
      // already disposed, or never built: nothing to free
    }
  }
}

/**
 * Builds the serve model from the model code (buildGraph) and sets the weights.
 * Synchronous; works as long as the builder of this type still yields the same
 * variables. The caller owns the model (`model.dispose()`).
 */
export function buildServeModel(artifact: ModelArtifact): TF.LayersModel {
  const a = validateArtifact(artifact);
  const graph = buildGraph(
    { window: a.spec.window, features: a.spec.features.length, horizon: a.spec.horizon },
    a.model,
  );
  try {
    applyWeights(graph.serve, a);
  } catch (e) {
    disposeModels(graph.serve, graph.train);
    throw e;
  }
  return graph.serve;
}

/**
 * Rebuilds the serve model from the stored topology (`tf.models.modelFromJSON`)
 * and sets the weights; if the topology cannot be deserialised (e.g. a custom
 * layer class not registered), falls back to {@link buildServeModel}. The caller
 * owns the model.
 */
export async function loadServeModel(artifact: ModelArtifact): Promise<TF.LayersModel> {
  const a = validateArtifact(artifact);
  let model: TF.LayersModel;
  try {
    // modelFromJSON may mutate its argument; give it a copy.
    model = await tf().models.modelFromJSON(JSON.parse(JSON.stringify(a.topology)));
  } catch {
    return buildServeModel(a);
  }
  try {
    applyWeights(model, a);
  } catch (e) {
    disposeModels(model);
    throw e;
  }
  return model;
}
