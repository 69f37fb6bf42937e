/**
 * Where trained models live: a key (the model name) in the flow or global
 * context of a chosen context store (memory, localfilesystem, redis, ...).
 * The stored value is the JSON-safe artifact, never a live model.
 */
import type { Node } from 'node-red';
import { ForecastError, describe } from '../core/base/errors';
import { MODEL_LOCATION_SETTINGS } from '../core/settings/location';
import { groupParser } from './node-settings';
import { contextGet, contextSet, storeUnavailable } from './node-util';

export type ModelScope = (typeof MODEL_LOCATION_SETTINGS.scope.enum)[number];

export interface ModelLocation {
  name: string;
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

const NAME = new RegExp(MODEL_LOCATION_SETTINGS.model.pattern);

/** Checks a model name from config or msg.model. */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ForecastError(
      'BAD_CONFIG',
      `expected ${MODEL_LOCATION_SETTINGS.model.expect}, got ${describe(name)}`,
      'bad model name',
    );
  }
  return name;
}

const parseLocation = groupParser(MODEL_LOCATION_SETTINGS, 'model location setting');

/** Where the node's config says the model lives (model name, scope, store). */
export function parseModelLocation(raw: Record<string, unknown>): ModelLocation {
  const l = parseLocation(raw);
  return { name: l.model, scope: l.scope, store: l.store || undefined };
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
      throw new ForecastError(
        'CONFLICT',
        `CONFLICT: model '${loc.name}' not stored in ${describeLocation(loc)}: ${err.message}`,
        'conflict: newer stored',
      );
    }
    throw storeUnavailable(`could not write model '${loc.name}' (${loc.scope} context)`, loc.store, err);
  });
}
