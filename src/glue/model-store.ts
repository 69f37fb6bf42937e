/**
 * Where trained models live: a key (the model name) in the flow or global
 * context of a chosen context store (memory, localfilesystem, redis, ...).
 * The stored value is the JSON-safe artifact, never a live model.
 */
import type { Node, NodeAPI } from 'node-red';
import { describe } from '../core/base/errors';
import { fail } from '../core/base/messages';
import { MODEL_LOCATION_SETTINGS } from '../core/settings/location';
import { MODEL_NAME_EXPECT, MODEL_NAME_PATTERN, modelNameFor, resolveModelTemplate } from '../core/settings/model-name';
import { groupParser } from './node-settings';
import { contextGet, contextSet, storeUnavailable } from './node-util';

export type ModelScope = (typeof MODEL_LOCATION_SETTINGS.scope.enum)[number];

export interface ModelLocation {
  /** The model name; with `{topic}` placeholders when perTopic (then {@link locationFor} gives a message's). */
  name: string;
  /** The name is built from msg.topic. */
  perTopic?: boolean;
  scope: ModelScope;
  /** Context store name; undefined = the default store. */
  store: string | undefined;
}

/** "flow context (store 'file')" */
export function describeLocation(loc: ModelLocation): string {
  return `${loc.scope} context (store '${loc.store ?? 'default'}')`;
}

function contextOf(node: Node, scope: ModelScope) {
  const ctx = node.context();
  return scope === 'global' ? ctx.global : ctx.flow;
}

const NAME = new RegExp(MODEL_NAME_PATTERN);

/** Checks a model name from config or msg.model. */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw fail(
      'BAD_CONFIG',
      'modelName.invalid',
      { expected: MODEL_NAME_EXPECT, got: describe(name) },
      'bad model name',
    );
  }
  return name;
}

const parseLocation = groupParser(MODEL_LOCATION_SETTINGS, 'model location setting');

/**
 * Where the node's config says the model lives (model name, scope, store).
 * @param env the node's environment variable of that name (`${ENV_VAR}` parts of the name); none: no variables.
 */
export function parseModelLocation(
  raw: Record<string, unknown>,
  env: (name: string) => unknown = () => undefined,
): ModelLocation {
  const l = parseLocation(raw);
  const { text, perTopic } = resolveModelTemplate(l.model, env);
  return { name: text, perTopic, scope: l.scope, store: l.store || undefined };
}

/** The location of one message's model: the config's, or with the name built from msg.topic. */
export function locationFor(loc: ModelLocation, topic: unknown): ModelLocation {
  return loc.perTopic ? { ...loc, name: modelNameFor(loc.name, topic), perTopic: false } : loc;
}

/** A node's environment variables, as `${NAME}` in its properties sees them ('' when unset). */
export function nodeEnv(RED: NodeAPI, node: Node): (name: string) => unknown {
  return (name) => RED.util.evaluateNodeProperty(`\${${name}}`, 'env', node, {} as never);
}

/** Reads the stored artifact (undefined when there is none). */
export function readArtifact(node: Node, loc: ModelLocation): Promise<unknown> {
  return contextGet(contextOf(node, loc.scope) as never, loc.name, loc.store).catch((err: Error) => {
    throw storeUnavailable(`could not read model '${loc.name}' (${loc.scope} context)`, loc.store, err);
  });
}

/** Writes an artifact (JSON-safe) under the model name. */
export function writeArtifact(node: Node, loc: ModelLocation, artifact: unknown): Promise<void> {
  return contextSet(contextOf(node, loc.scope) as never, loc.name, artifact, loc.store).catch((err: Error) => {
    if ((err as Error & { code?: unknown }).code === 'CONFLICT') {
      // A store that keeps model versions itself (the pack's Redis store) refused an older or equal version.
      const values = { name: loc.name, location: describeLocation(loc), reason: err.message };
      throw fail('CONFLICT', 'store.conflict', values, 'newer model stored');
    }
    throw storeUnavailable(`could not write model '${loc.name}' (${loc.scope} context)`, loc.store, err);
  });
}
