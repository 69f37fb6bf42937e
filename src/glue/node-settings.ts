/**
 * A node's settings from its editor config: each group is checked against its
 * declaration (src/core/settings) and every problem of every group is listed in
 * one BAD_CONFIG error, so the user fixes them all in one go.
 */
import { ForecastError } from '../core/base/errors';
import { fail } from '../core/base/messages';
import { coerce, resolver, type SettingsGroup, type Values } from '../core/settings/declare';

/** Runs every parser; returns their results, or throws one error listing every problem. */
export function parseAll<T extends Record<string, unknown>>(node: string, parsers: { [K in keyof T]: () => T[K] }): T {
  const problems: ForecastError[] = [];
  const out: Partial<T> = {};
  for (const key of Object.keys(parsers) as (keyof T)[]) {
    try {
      out[key] = parsers[key]();
    } catch (e) {
      if (!(e instanceof ForecastError)) throw e;
      problems.push(e);
    }
  }
  if (problems.length) {
    // One problem with a specific short status keeps it ('env SITE not set'); else the status (under the node,
    // at most 20 characters) says the config, and the error names the node and every problem.
    const own = problems.length === 1 && problems[0].status !== 'bad config' ? problems[0].status : undefined;
    const status = own ?? 'invalid config';
    throw fail('BAD_CONFIG', 'config.invalid', { node, problems: problems.map((e) => e.message).join('; ') }, status);
  }
  return out as T;
}

/** A parser of one group from the node's raw config (editor strings converted). */
export function groupParser<G extends SettingsGroup>(
  group: G,
  what: string,
): (raw: Record<string, unknown>) => Values<G> {
  const resolve = resolver(group, what);
  return (raw) => resolve(coerce(group, raw) as Partial<Values<G>>);
}
