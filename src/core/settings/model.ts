/**
 * The architecture settings (stored in the artifact as `model`). To add an
 * architecture option: declare it here; the type, the checks, the defaults, the
 * artifact schema, the lstm-train editor and the README table follow.
 */
import { defaultsOf, resolver, schemaOf, type SettingsGroup, type Values } from './declare';

export const MODEL_SETTINGS = {
  type: {
    type: 'string',
    enum: ['lstm', 'attention', 'gca'],
    default: 'lstm',
    nodeKey: 'modelType',
    help: 'lstm (1-2 LSTM layers), attention (additive attention over the LSTM states) or gca (GCA-LSTM).',
  },
  units: { type: 'integer', minimum: 1, maximum: 1024, default: 32, help: 'LSTM units per layer.' },
  layers: {
    type: 'integer',
    minimum: 1,
    maximum: 2,
    default: 1,
    help: 'Recurrent layers of type lstm (GCA always has two).',
  },
  attentionUnits: {
    type: 'integer',
    minimum: 1,
    maximum: 1024,
    default: 16,
    help: 'Width of the attention scoring layer (attention, gca).',
  },
  iterations: { type: 'integer', minimum: 1, maximum: 3, default: 2, help: 'GCA refinement iterations N.' },
  featureAttention: {
    type: 'boolean',
    default: false,
    help: 'GCA: re-weight the features of each step by a softmax over features.',
  },
  highway: {
    type: 'boolean',
    default: true,
    help: 'Linear autoregressive path beside the recurrent one; a fresh model starts as a ridge regression.',
  },
  seed: {
    type: 'integer',
    minimum: 0,
    maximum: 2 ** 31 - 1,
    default: 42,
    help: 'Seed of the weight initialisers and the shuffling: the same seed and data give the same model.',
  },
} as const satisfies SettingsGroup;

/** Architecture settings (part of the stored artifact). */
export type ModelConfig = Values<typeof MODEL_SETTINGS>;

export type ModelType = ModelConfig['type'];

/** Every model type, in the order the docs list them. */
export const MODEL_TYPES: readonly ModelType[] = MODEL_SETTINGS.type.enum;

export const DEFAULT_MODEL_CONFIG: Readonly<ModelConfig> = Object.freeze(defaultsOf(MODEL_SETTINGS));

/**
 * Merges a partial model config with the defaults and checks it.
 * @throws ForecastError BAD_CONFIG naming the bad or unknown setting.
 */
export const resolveModelConfig = resolver(MODEL_SETTINGS, 'model option');

/** The `model` part of the artifact schema (open: a newer pack may store more). */
export const MODEL_CONFIG_SCHEMA = schemaOf(MODEL_SETTINGS, false);
