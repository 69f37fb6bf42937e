/**
 * The sequence windower's settings. To add one: declare it here; the type, the
 * checks, the defaults, the editor's defaults and validators and the README
 * table follow.
 */
import { defaultsOf, type SettingsGroup, type Values } from './declare';

export const WINDOWER_SETTINGS = {
  mode: {
    type: 'string',
    enum: ['stream', 'batch'],
    default: 'stream',
    help: 'stream: one reading per message; batch: a whole history per message (e.g. from the csv node).',
  },
  property: {
    type: 'string',
    maxLength: 200,
    pattern: '^[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*|\\[\\d+\\]|\\["[^"\\]]*"\\]|\\[\'[^\'\\]]*\'\\])*$',
    default: 'payload',
    expect: "a message property such as payload or payload.value (without 'msg.')",
    help: 'The message property holding the readings (msg.payload by default). Windows are always sent in msg.payload.',
  },
  window: { type: 'integer', minimum: 1, maximum: 10000, default: 24, help: 'Window length L: readings per window.' },
  stride: {
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    default: 1,
    help: 'Readings between two emitted windows (stream) or two window origins (batch).',
  },
  horizon: {
    type: 'integer',
    minimum: 0,
    maximum: 10000,
    default: 0,
    help: 'Forecast horizon H: the target values attached to training windows; 0 = no training windows.',
  },
  features: {
    type: 'string',
    maxLength: 2000,
    // Comma-separated names or indices, none empty: 'a,,b' or a trailing comma is a typo, not a feature named ''.
    pattern: '^(\\s*|[^,]*[^,\\s][^,]*(,[^,]*[^,\\s][^,]*)*)$',
    expect: "empty, or comma-separated feature names or indices with none empty (e.g. 'temperature,pressure' or '0,2')",
    default: '',
    help: 'Comma-separated input features, by name or 0-based index; empty = every numeric field.',
  },
  target: {
    type: 'string',
    maxLength: 200,
    pattern: '^[^,]*$',
    expect: 'empty, or one feature name or index (no comma)',
    default: '',
    help: 'The forecast target, by name or index (one of the features); empty = the first feature.',
  },
  timeField: {
    type: 'string',
    maxLength: 200,
    pattern: '^[^,]*$',
    expect: 'empty, or one field name (no comma)',
    default: '',
    help: "Batch mode: the field holding each reading's time; empty = timestamp, time, date, datetime or ts.",
  },
  interval: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1e12,
    default: 1000,
    help: 'Interval in ms assumed between batch readings that carry no time.',
  },
  invalid: {
    type: 'string',
    enum: ['error', 'drop', 'carry'],
    default: 'error',
    help: 'A missing or non-numeric value: reject the message, drop the reading, or carry the last value.',
  },
  maxGap: {
    type: 'number',
    minimum: 0,
    maximum: 1e12,
    default: 0,
    help: 'A reading more than this many ms after the previous one restarts the series; 0 = off.',
  },
  duplicates: {
    type: 'string',
    enum: ['reject', 'keep-last', 'keep-first'],
    default: 'reject',
    help: 'A reading whose explicit time equals the previous one of its series: reject it, replace the previous one, or drop it with a warning.',
  },
  maxFeatures: {
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    default: 100,
    help: 'Most features (values) per reading; a reading with more is rejected.',
  },
  maxSeries: { type: 'integer', minimum: 1, maximum: 100000, default: 100, help: 'Most series (topics) held at once.' },
  maxBatch: {
    type: 'integer',
    minimum: 1,
    maximum: 10000000,
    default: 100000,
    help: 'Most readings accepted in one batch message.',
  },
  maxDatasetValues: {
    type: 'integer',
    minimum: 1000,
    maximum: 100000000,
    default: 5000000,
    help: 'Batch mode: most numbers in one dataset (windows x window x features); past it see Over limit.',
  },
  overflow: {
    type: 'string',
    enum: ['error', 'drop-oldest'],
    default: 'error',
    help: 'Past Max series / Max batch / Max dataset: reject, or drop the least recently updated series / the oldest readings / the oldest windows.',
  },
} as const satisfies SettingsGroup;

export type WindowerConfig = Values<typeof WINDOWER_SETTINGS>;
export type InvalidPolicy = WindowerConfig['invalid'];
export type OverflowPolicy = WindowerConfig['overflow'];
export type DuplicatePolicy = WindowerConfig['duplicates'];

export const DEFAULT_WINDOWER_CONFIG: Readonly<WindowerConfig> = Object.freeze(defaultsOf(WINDOWER_SETTINGS));
