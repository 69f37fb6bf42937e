/** lstm-predict's own settings (beside where the model is stored: location.ts). */
import { defaultsOf, type SettingsGroup, type Values } from './declare';

export const PREDICT_NODE_SETTINGS = {
  output: {
    type: 'string',
    enum: ['forecast', 'chart', 'points'],
    default: 'forecast',
    help:
      'forecast: the forecast object in msg.payload; chart: one message per line (msg.topic, the next step as a ' +
      'number) for a default Dashboard 2 ui-chart; points: the whole horizon and bands as [{x, y, series}] for a ' +
      "ui-chart with Series set to the key 'series'; both chart outputs carry the forecast in msg.forecast.",
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
  batchWait: {
    type: 'integer',
    minimum: 0,
    maximum: 50,
    default: 0,
    help:
      'Batching: windows for the same model that arrive within this many ms are forecast in one call (the ' +
      'status shows how many, e.g. v3 · 0.40 ms ×32); 0 = those that arrive in the same tick. Each message keeps ' +
      'its own output, error and order.',
  },
  maxBatch: {
    type: 'integer',
    minimum: 1,
    maximum: 4096,
    default: 256,
    help:
      'Most windows forecast in one batched call (a batch is sent as soon as it is full; a dataset larger than ' +
      'this goes alone); 1 = every message alone, no batching.',
  },
  levels: {
    type: 'string',
    maxLength: 100,
    pattern: '^\\s*(\\d{1,2}(\\.\\d{1,2})?\\s*(,\\s*\\d{1,2}(\\.\\d{1,2})?\\s*){0,3})?$',
    default: '80, 95',
    expect: 'up to 4 comma-separated interval levels in % from 50 to 99.9 (e.g. 80, 95), or empty for none',
    help:
      'Prediction interval levels in %: each gives msg.payload.intervals[level] = {lower, upper} per step, ' +
      'calibrated on the validation residuals (split conformal), never narrower than the training backtest, then ' +
      "recalibrated on each stream's own errors as its readings arrive (see recalibrate); empty = no intervals.",
  },
  adaptRate: {
    type: 'number',
    minimum: 0,
    maximum: 0.1,
    default: 0,
    help:
      'Online adaptation of the interval levels per stream as actual readings arrive (adaptive conformal ' +
      'inference, step gamma); 0 = off, the calibrated intervals as trained; 0.005 follows slow drift.',
  },
  recalibrate: {
    type: 'boolean',
    default: true,
    help:
      "Recalibrate the intervals per stream on the model's own errors as actual readings arrive: each reading's " +
      'residuals replace calibration ones one for one (the newest up to 200 per step), so the bands follow the ' +
      "stream's error level; off = the calibrated intervals as trained, whatever the stream's errors.",
  },
  threshold: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1000,
    default: 1.5,
    help:
      'Anomaly threshold: a reading is anomalous when its distance from the forecasts made for it exceeds ' +
      'this many calibrated 95 % half-widths (score > threshold); those also leave on the second output.',
  },
  maxStreams: {
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    default: 100,
    help:
      'Most streams (model x msg.topic) whose recent forecasts are kept to score readings; ' +
      'the least recently seen one is forgotten beyond it.',
  },
  attribution: {
    type: 'boolean',
    default: false,
    help:
      "Attribute each single window's forecast to its steps and features (payload.attribution, for the attention " +
      'inspector): exact for the linear part, integrated gradients for the network. Off by default: it runs ' +
      'on the main thread, 0.4-2 s per forecast for a 48 x 3 GCA window with 1-24 horizon steps.',
  },
  attributionSteps: {
    type: 'integer',
    minimum: 1,
    maximum: 64,
    default: 16,
    help: "Integration points of the network's attribution: more is closer to sum-to-forecast and slower.",
  },
} as const satisfies SettingsGroup;

export type PredictNodeSettings = Values<typeof PREDICT_NODE_SETTINGS>;

export const DEFAULT_PREDICT_NODE_SETTINGS: Readonly<PredictNodeSettings> = Object.freeze(
  defaultsOf(PREDICT_NODE_SETTINGS),
);
