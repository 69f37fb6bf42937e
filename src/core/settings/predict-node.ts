/** lstm-predict's own settings (beside where the model is stored: location.ts). */
import { defaultsOf, type SettingsGroup, type Values } from './declare';

export const PREDICT_NODE_SETTINGS = {
  output: {
    type: 'string',
    enum: ['forecast', 'chart'],
    default: 'forecast',
    help: 'forecast: the forecast object in msg.payload; chart: Dashboard 2 chart points in msg.payload, the forecast in msg.forecast.',
  },
} as const satisfies SettingsGroup;

export type PredictNodeSettings = Values<typeof PREDICT_NODE_SETTINGS>;

export const DEFAULT_PREDICT_NODE_SETTINGS: Readonly<PredictNodeSettings> = Object.freeze(
  defaultsOf(PREDICT_NODE_SETTINGS),
);
