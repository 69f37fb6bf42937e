/**
 * lstm-train's settings as the node reads them: the architecture, the training
 * options the editor offers and the node's own settings, all checked against
 * their declarations (src/core/settings) with the editor's strings converted.
 */
import { ForecastError } from '../core/base/errors';
import { coerce, resolver } from '../core/settings/declare';
import { MODEL_SETTINGS, resolveModelConfig, type ModelConfig } from '../core/settings/model';
import { TRAINING_SETTINGS, resolveTrainOptions, type TrainOptions } from '../core/settings/training';
import { TRAIN_NODE_SETTINGS, type TrainNodeOwnSettings } from '../core/settings/train-node';

export interface TrainNodeSettings extends TrainNodeOwnSettings {
  model: ModelConfig;
  options: TrainOptions;
}

/** The training settings the editor shows (the others keep their defaults in a node). */
const EDITOR_TRAINING = Object.fromEntries(Object.entries(TRAINING_SETTINGS).filter(([, s]) => !('editor' in s) || s.editor !== false));

const resolveOwn = resolver(TRAIN_NODE_SETTINGS, 'lstm-train setting');

/**
 * Parses the node's settings (the editor stores numbers as strings).
 * @param name the model name (stored in the artifact).
 * @throws ForecastError BAD_CONFIG naming every bad setting and what it accepts.
 */
export function parseTrainNodeConfig(raw: Record<string, unknown>, name: string): TrainNodeSettings {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof ForecastError)) throw e;
      problems.push(e.message);
      return undefined;
    }
  };
  const model = attempt(() => resolveModelConfig(coerce(MODEL_SETTINGS, raw)));
  const options = attempt(() => resolveTrainOptions({ ...coerce(EDITOR_TRAINING, raw), name }));
  const own = attempt(() => resolveOwn(coerce(TRAIN_NODE_SETTINGS, raw)));
  if (!model || !options || !own) {
    throw new ForecastError('BAD_CONFIG', `invalid lstm-train config: ${problems.join('; ')}`, 'invalid lstm-train config');
  }
  return { model, options, ...own };
}
