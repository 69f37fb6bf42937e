/**
 * Model names built from a template: the model name setting may hold `${ENV_VAR}` parts (resolved once, when the
 * node starts, from its environment) and one or more `{topic}` placeholders (resolved per message from msg.topic),
 * so one train node and one predict node can serve a fleet (`pump-{topic}`: one model per pump).
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';

/** Longest model name, and its characters: a context key that every store takes as it is. */
export const MODEL_NAME_MAX = 80;
export const MODEL_NAME_PATTERN = `^[A-Za-z0-9_-]{1,${MODEL_NAME_MAX}}$`;
export const MODEL_NAME_EXPECT = `a model name of 1-${MODEL_NAME_MAX} letters, digits, '-' or '_'`;

/** The placeholder replaced by the message's topic. */
export const TOPIC = '{topic}';

/** What the setting accepts: name characters, `${ENV_VAR}` parts and `{topic}` placeholders. */
export const MODEL_TEMPLATE_PATTERN = '^(?:[A-Za-z0-9_-]|\\$\\{[A-Za-z_][A-Za-z0-9_]{0,99}\\}|\\{topic\\})+$';

const ENV_PART = /\$\{([A-Za-z_][A-Za-z0-9_]{0,99})\}/g;
const RESOLVED = /^(?:[A-Za-z0-9_-]|\{topic\})+$/;
const NAME = new RegExp(MODEL_NAME_PATTERN);
const DISALLOWED = /[^A-Za-z0-9_-]/g;

export interface ModelNameTemplate {
  /** The name with its environment variables resolved; with `{topic}` placeholders when perTopic. */
  text: string;
  /** The name depends on msg.topic. */
  perTopic: boolean;
}

/**
 * Resolves the `${ENV_VAR}` parts of a model name setting.
 * @param env a variable's value ('' or undefined when it is not set).
 * @throws ForecastError BAD_CONFIG naming an unset variable, or saying what the resolved name should have been.
 */
export function resolveModelTemplate(setting: string, env: (name: string) => unknown): ModelNameTemplate {
  let text = setting;
  if (setting.includes('${')) {
    text = setting.replace(ENV_PART, (_all, name: string) => {
      const value = env(name);
      if (value === undefined || value === null || value === '') {
        throw fail('BAD_CONFIG', 'modelName.envNotSet', { name, setting }, `env ${name} not set`);
      }
      return String(value);
    });
  }
  const perTopic = text.includes(TOPIC);
  const fixed = text.split(TOPIC).join('');
  if (!RESOLVED.test(text) || fixed.length > MODEL_NAME_MAX - (perTopic ? 1 : 0) || (!perTopic && !NAME.test(text))) {
    const values = { expected: MODEL_NAME_EXPECT, topic: TOPIC, got: describe(text) };
    throw text === setting
      ? fail('BAD_CONFIG', 'modelName.badTemplate', values, 'bad model name')
      : fail('BAD_CONFIG', 'modelName.badTemplateFrom', { ...values, setting }, 'bad model name');
  }
  return { text, perTopic };
}

/**
 * The model name for a message's topic: characters other than letters, digits, '-' and '_' become '_' (so 'b/2'
 * and 'b 2' share model 'pump-b_2'); the name is not cut (two long topics would share a model): too long is an error.
 * @throws ForecastError BAD_INPUT for a missing topic, one without a letter or digit, or one too long.
 */
export function modelNameFor(template: string, topic: unknown): string {
  const room = MODEL_NAME_MAX - template.split(TOPIC).join('').length;
  const count = template.split(TOPIC).length - 1;
  const got = describe(topic);
  if (topic === undefined || topic === null || topic === '') {
    throw fail('BAD_INPUT', 'modelName.noTopic', { template, got }, 'no msg.topic');
  }
  if (typeof topic !== 'string' && !(typeof topic === 'number' && Number.isFinite(topic))) {
    throw fail('BAD_INPUT', 'modelName.topicNotText', { template, got }, 'bad msg.topic');
  }
  const text = String(topic);
  if (text.length * count > room) {
    const limit = { template, max: Math.floor(room / count), nameMax: MODEL_NAME_MAX, got };
    throw fail('BAD_INPUT', 'modelName.topicTooLong', limit, 'msg.topic too long');
  }
  if (!/[A-Za-z0-9]/.test(text)) throw fail('BAD_INPUT', 'modelName.topicNoLetter', { template, got }, 'bad msg.topic');
  return template.split(TOPIC).join(text.replace(DISALLOWED, '_'));
}
