/**
 * lstm-train's settings as the node reads them: the architecture, the training
 * options the editor offers and the node's own settings, all checked against
 * their declarations (src/core/settings) with the editor's strings converted.
 */
import { coerce } from '../core/settings/declare';
import { groupParser, parseAll } from './node-settings';
import { MODEL_SETTINGS, resolveModelConfig, type ModelConfig } from '../core/settings/model';
import { TRAINING_SETTINGS, resolveTrainOptions, type TrainOptions } from '../core/settings/training';
import { TRAIN_NODE_SETTINGS, type TrainNodeOwnSettings } from '../core/settings/train-node';

export interface TrainNodeSettings extends TrainNodeOwnSettings {
  model: ModelConfig;
  options: TrainOptions;
}

/** The training settings the editor shows (the others keep their defaults in a node). */
const EDITOR_TRAINING = Object.fromEntries(
  Object.entries(TRAINING_SETTINGS).filter(([, s]) => !('editor' in s) || s.editor !== false),
);

const parseOwn = groupParser(TRAIN_NODE_SETTINGS, 'lstm-train setting');

/**
 * Parses the node's settings (the editor stores numbers as strings).
 * @param name the model name (stored in the artifact).
 * @throws ForecastError BAD_CONFIG naming every bad setting and what it accepts.
 */
export function parseTrainNodeConfig(raw: Record<string, unknown>, name: string): TrainNodeSettings {
  const { model, options, own } = parseAll<{ model: ModelConfig; options: TrainOptions; own: TrainNodeOwnSettings }>(
    'lstm-train',
    {
      model: () => resolveModelConfig(coerce(MODEL_SETTINGS, raw)),
      options: () => resolveTrainOptions({ ...coerce(EDITOR_TRAINING, raw), name }),
      own: () => parseOwn(raw),
    },
  );
  return { model, options, ...own };
}
