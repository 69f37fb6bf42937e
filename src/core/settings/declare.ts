/**
 * How a setting is declared: once, with its type, default, bounds and help line.
 * Everything else is derived from the declaration: the TypeScript type
 * ({@link Values}), the ajv schema ({@link schemaOf}), the runtime defaults
 * ({@link defaultsOf}), the checked and defaulted value ({@link resolver}), the
 * editor's defaults and validators and the README's settings tables
 * (scripts/settings-docs.js writes both from the compiled declarations).
 */
import { ajv } from '../base/validate';
import { ForecastError, describe } from '../base/errors';

interface Common {
  /** One line for the help and the README: what it does, in the user's words. */
  help: string;
  /** Shown in the node's edit dialog (default true). */
  editor?: boolean;
  /** Property name on the node and in the editor when it differs from the key (e.g. `modelType` for `type`). */
  nodeKey?: string;
  /** What it accepts, in words, when the bounds alone do not say it well (e.g. for a pattern). */
  expect?: string;
}

export interface NumberSetting extends Common {
  type: 'integer' | 'number';
  default: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

export interface BooleanSetting extends Common {
  type: 'boolean';
  default: boolean;
}

export interface ChoiceSetting extends Common {
  type: 'string';
  enum: readonly string[];
  default: string;
}

export interface TextSetting extends Common {
  type: 'string';
  enum?: undefined;
  default: string;
  maxLength?: number;
  /** A regular expression (JSON schema `pattern`) the whole text must match. */
  pattern?: string;
}

export type Setting = NumberSetting | BooleanSetting | ChoiceSetting | TextSetting;

/** A group of settings that travel together (e.g. the architecture, the training run). */
export type SettingsGroup = Readonly<Record<string, Setting>>;

/** The value type of one declaration. */
export type ValueOf<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { type: 'integer' | 'number' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : string;

/** The value type of a group: one property per declaration. */
export type Values<G> = { -readonly [K in keyof G]: ValueOf<G[K]> };

/** The defaults of a group, as a fresh object. */
export function defaultsOf<G extends SettingsGroup>(group: G): Values<G> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(group)) out[k] = s.default;
  return out as Values<G>;
}

/** The JSON schema of one declaration (no `default`: defaults are merged by {@link resolver}, never by ajv). */
export function propertySchema(s: Setting): Record<string, unknown> {
  const { type } = s;
  const out: Record<string, unknown> = { description: s.help };
  if (s.type === 'string' && s.enum) {
    out.enum = s.enum.slice();
    return out;
  }
  out.type = type;
  if (s.type === 'integer' || s.type === 'number') {
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
      if (s[k] !== undefined) out[k] = s[k];
    }
  }
  if (s.type === 'string' && !s.enum && s.maxLength !== undefined) out.maxLength = s.maxLength;
  if (s.type === 'string' && !s.enum && s.pattern !== undefined) out.pattern = s.pattern;
  return out;
}

/**
 * The JSON schema of a group: every property required.
 * @param closed refuse unknown properties (settings); false for stored data that may gain fields.
 */
export function schemaOf(group: SettingsGroup, closed = true): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(group)) properties[k] = propertySchema(s);
  return { type: 'object', properties, required: Object.keys(group), additionalProperties: !closed };
}

/** 1e12 rather than 1000000000000 for round powers of ten. */
const fmt = (n: number): string => (n >= 1e6 && Number.isInteger(Math.log10(n)) ? `1e${Math.log10(n)}` : String(n));

/** What a declaration accepts, as the end of "X must be ...". */
export function expectation(s: Setting): string {
  if (s.expect) return s.expect;
  if (s.type === 'boolean') return 'true or false';
  if (s.type === 'string' && s.enum) return `one of ${s.enum.map((e) => `'${e}'`).join(', ')}`;
  if (s.type === 'string') return s.maxLength !== undefined ? `a text of at most ${s.maxLength} characters` : 'a text';
  const kind = s.type === 'integer' ? 'an integer' : 'a number';
  const lo =
    s.minimum !== undefined
      ? `>= ${fmt(s.minimum)}`
      : s.exclusiveMinimum !== undefined
        ? `> ${fmt(s.exclusiveMinimum)}`
        : '';
  const hi =
    s.maximum !== undefined
      ? `<= ${fmt(s.maximum)}`
      : s.exclusiveMaximum !== undefined
        ? `< ${fmt(s.exclusiveMaximum)}`
        : '';
  if (s.minimum !== undefined && s.maximum !== undefined) return `${kind} from ${fmt(s.minimum)} to ${fmt(s.maximum)}`;
  if (s.exclusiveMinimum !== undefined && s.exclusiveMaximum !== undefined) {
    return `${kind} between ${fmt(s.exclusiveMinimum)} and ${fmt(s.exclusiveMaximum)} (exclusive)`;
  }
  return [kind, [lo, hi].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
}

/** Editor values arrive as strings; numbers declared numeric are converted (anything else is left for the check). */
export function coerce(group: SettingsGroup, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(group)) {
    const v = raw[s.nodeKey ?? k];
    if (v === undefined || v === '') continue;
    const numeric = s.type === 'integer' || s.type === 'number';
    out[k] = numeric && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

/**
 * A function that merges a partial value with the group's defaults (undefined
 * fields take the default), checks it with ajv (compiled once) and returns it.
 * @param what names the group in errors ("training option").
 * @throws ForecastError BAD_CONFIG naming every bad setting (or the first unknown one) and what it accepts.
 */
export function resolver<G extends SettingsGroup>(group: G, what: string): (partial?: Partial<Values<G>>) => Values<G> {
  const check = ajv.compile(schemaOf(group));
  const keys = Object.keys(group);
  const bad = (message: string) => new ForecastError('BAD_CONFIG', message, 'bad config');
  return (partial = {}) => {
    for (const k of Object.keys(partial)) {
      if (!(k in group)) throw bad(`unknown ${what} '${k}' (expected ${keys.join(', ')})`);
    }
    const merged: Record<string, unknown> = defaultsOf(group);
    for (const [k, v] of Object.entries(partial)) if (v !== undefined) merged[k] = v;
    if (!check(merged)) {
      const failed = keys.filter((k) => check.errors?.some((e) => e.instancePath === `/${k}`));
      throw bad(failed.map((k) => `${k} must be ${expectation(group[k])}, got ${describe(merged[k])}`).join('; '));
    }
    return merged as Values<G>;
  };
}
