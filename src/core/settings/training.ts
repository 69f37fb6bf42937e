/**
 * Training settings: what a run does with the data (not the architecture). To
 * add a training option: declare it here; the type, the checks, the defaults,
 * the lstm-train editor (when `editor` is not false) and the README table follow.
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { defaultsOf, resolver, type SettingsGroup, type Values } from './declare';

export const TRAINING_SETTINGS = {
  epochs: { type: 'integer', minimum: 1, maximum: 100000, default: 100, help: 'Maximum epochs.' },
  patience: {
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    default: 10,
    help: 'Epochs without a validation improvement before training stops (the best epoch is kept).',
  },
  batchSize: { type: 'integer', minimum: 1, maximum: 65536, default: 64, help: 'Windows per batch.' },
  // 0.01: with the linear path frozen the network learns a small residual, and
  // on both benchmark tasks 0.01 beat 1e-3 (co2 MASE 0.386 vs 0.396, hourly
  // 0.647 vs 0.657; BENCHMARKS.md).
  learningRate: {
    type: 'number',
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: 0.01,
    help: 'Adam learning rate.',
  },
  validationFraction: {
    type: 'number',
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: 0.2,
    help: 'Share of the windows (the newest, in order) kept for validation and early stopping.',
  },
  season: {
    type: 'integer',
    minimum: 0,
    maximum: 100000,
    default: 0,
    help: 'Season in steps (e.g. 24 for hourly data) for MASE, the seasonal naive baseline and the seasonal reference; 0 = none.',
  },
  // The base the network learns the residual of (train/base.ts): the candidate
  // with the lowest validation MAE (real units) among
  // 'auto': last value, seasonal naive, last value plus the past seasons' change
  //   (K = 1..3 seasons, scaler.ts), damped additive Holt-Winters (holt-winters.ts);
  // 'seasonal': last value and the seasonal references only (the choice before
  //   Holt-Winters);
  // 'last': the last value only;
  // each alone and, with the highway, with a ridge fit on its residual. Stored
  // in the artifact's scaler; ignored when continuing from a previous artifact.
  reference: {
    type: 'string',
    enum: ['auto', 'seasonal', 'last'],
    default: 'auto',
    editor: false,
    help: 'Candidate bases the network forecasts on top of: all (auto), the last value and seasonal references (seasonal), or the last value.',
  },
  // 'frozen': on the co2 benchmark 'joint' never beat the ridge start on
  // validation (best epoch 0 for every model type and seed), 'frozen' improved
  // on it (BENCHMARKS.md). Ignored without the highway and when continuing from
  // a previous artifact (all weights train).
  linearPath: {
    type: 'string',
    enum: ['frozen', 'joint'],
    default: 'frozen',
    editor: false,
    help: 'After the ridge start: keep the linear path fixed and learn the residual (frozen), or train both (joint).',
  },
  // true: the validation windows are the newest data; after the choice the base's ridge and carried
  // Holt-Winters state see them too (train/base.ts refitBase). Ignored when continuing from a previous artifact.
  refit: {
    type: 'boolean',
    default: true,
    editor: false,
    help: 'After choosing the base on the validation windows, refit it on the training and validation windows (the stored model then uses the newest data; the report keeps the held-out scores).',
  },
  name: { type: 'string', default: 'forecaster', editor: false, help: 'Model name stored in the artifact.' },
  minWindows: {
    type: 'integer',
    minimum: 1,
    maximum: 1e9,
    default: 8,
    editor: false,
    help: 'Fewest training windows a run accepts.',
  },
} as const satisfies SettingsGroup;

/**
 * Training options: the declared settings, plus the artifact version (default:
 * previous.version + 1 when continuing from a previous artifact, else 1; the
 * glue passes the stored version of this name + 1).
 */
export type TrainOptions = Values<typeof TRAINING_SETTINGS> & { version?: number };

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = Object.freeze(defaultsOf(TRAINING_SETTINGS));

const resolveDeclared = resolver(TRAINING_SETTINGS, 'training option');

/**
 * Merges options with the defaults and checks them; unknown keys are refused.
 * @throws ForecastError BAD_CONFIG naming the bad or unknown option.
 */
export function resolveTrainOptions(opts: Partial<TrainOptions> = {}): TrainOptions {
  const { version, ...rest } = opts;
  const o: TrainOptions = resolveDeclared(rest);
  if (version !== undefined) {
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
      throw fail('BAD_CONFIG', 'training.badVersion', { got: describe(version) }, 'bad config');
    }
    o.version = version;
  }
  return o;
}
