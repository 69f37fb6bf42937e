/**
 * lstm-train's own settings (beside the architecture and training settings it
 * also offers): how it collects windows and when it trains. Declared here so
 * the node, its editor and the README derive from one place.
 */
import { defaultsOf, type SettingsGroup, type Values } from './declare';

export const TRAIN_NODE_SETTINGS = {
  maxWindows: {
    type: 'integer',
    minimum: 10,
    maximum: 10000000,
    default: 20000,
    help: 'Most training windows kept (streamed windows, or the newest of a dataset); the oldest are dropped past it.',
  },
  trainEvery: {
    type: 'integer',
    minimum: 0,
    maximum: 1e9,
    default: 0,
    help: 'Train automatically every this many new streamed windows; 0 = only on msg.train or a dataset.',
  },
  overlap: {
    type: 'string',
    enum: ['queue', 'reject'],
    default: 'queue',
    help: 'A request while a run is going: queue it (one pending, the newest wins) or reject it.',
  },
  maxModels: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 20,
    help:
      'With {topic} in the model name: most models (topics) this node collects windows and trains for; a new topic ' +
      'past it gets a LIMIT error (msg.reset frees idle ones). Each model keeps up to Keep windows.',
  },
  incremental: {
    type: 'boolean',
    default: false,
    help: 'Continue from the stored model (its weights and scaler) when its window settings match.',
  },
  timeout: {
    type: 'number',
    minimum: 0,
    maximum: 10080,
    default: 60,
    help: 'Longest training run, minutes (fractions allowed); past it the worker is stopped and the run fails, the stored model unchanged. 0 = no limit.',
  },
  memoryLimit: {
    type: 'integer',
    minimum: 32,
    maximum: 1048576,
    default: 2048,
    help: "Heap limit of the training worker, MB; a run that needs more fails with an out-of-memory error instead of growing Node-RED's process (the wasm backend's own memory is not counted).",
  },
} as const satisfies SettingsGroup;

export type TrainNodeOwnSettings = Values<typeof TRAIN_NODE_SETTINGS>;

export const DEFAULT_TRAIN_NODE_SETTINGS: Readonly<TrainNodeOwnSettings> = Object.freeze(
  defaultsOf(TRAIN_NODE_SETTINGS),
);
