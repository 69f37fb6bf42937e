/** lstm-predict's own settings (beside where the model is stored: location.ts). */
import { defaultsOf, type SettingsGroup, type Values } from './declare';

export const PREDICT_NODE_SETTINGS = {
  output: {
    type: 'string',
    enum: ['forecast', 'chart'],
    default: 'forecast',
    help: 'forecast: the forecast object in msg.payload; chart: Dashboard 2 chart points in msg.payload, the forecast in msg.forecast.',
  },
  refresh: {
    type: 'integer',
    minimum: 0,
    maximum: 3600000,
    default: 2000,
    help:
      'How often (ms) a model in use is re-read from the store to pick up a new training run; 0 = on every message. ' +
      'While a re-read fails, the cached model keeps forecasting (yellow status).',
  },
  maxModels: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 10,
    help: 'Most live models kept (msg.model can name many); the least recently used one is freed beyond it.',
  },
} as const satisfies SettingsGroup;

export type PredictNodeSettings = Values<typeof PREDICT_NODE_SETTINGS>;

export const DEFAULT_PREDICT_NODE_SETTINGS: Readonly<PredictNodeSettings> = Object.freeze(
  defaultsOf(PREDICT_NODE_SETTINGS),
);
