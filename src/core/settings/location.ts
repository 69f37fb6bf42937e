/**
 * Where a model is stored: its name, the context scope and the context store.
 * lstm-train writes there and lstm-predict reads there, so both declare them
 * from here.
 */
import { defaultsOf, type SettingsGroup, type Values } from './declare';
import { MODEL_TEMPLATE_PATTERN } from './model-name';

export const MODEL_LOCATION_SETTINGS = {
  model: {
    type: 'string',
    default: 'forecaster',
    maxLength: 200,
    pattern: MODEL_TEMPLATE_PATTERN,
    expect:
      "a model name of 1-80 letters, digits, '-' or '_', which may contain ${ENV_VAR} parts and a {topic} placeholder",
    help:
      'The key the model is stored under in the context: train and predict nodes with the same name share it. ' +
      '${ENV_VAR} parts are read from the environment at deploy; {topic} is replaced by msg.topic (one model per topic).',
  },
  scope: {
    type: 'string',
    enum: ['flow', 'global'],
    default: 'flow',
    help: 'flow: the model is shared within the flow (tab); global: across all flows.',
  },
  store: {
    type: 'string',
    default: '',
    maxLength: 200,
    help: "Context store (settings.js contextStorage): memory, localfilesystem, the pack's Redis store...; empty = the default.",
  },
} as const satisfies SettingsGroup;

export type ModelLocationSettings = Values<typeof MODEL_LOCATION_SETTINGS>;

export const DEFAULT_MODEL_LOCATION: Readonly<ModelLocationSettings> = Object.freeze(
  defaultsOf(MODEL_LOCATION_SETTINGS),
);
