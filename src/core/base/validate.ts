/**
 * ajv at the edges: schemas are compiled once at module load (allErrors), and
 * their errors become one readable sentence.
 */
import Ajv, { type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { describe, type ErrorCode } from './errors';
import { fail } from './messages';

export const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });

function valueAt(root: unknown, pointer: string): unknown {
  let v: unknown = root;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/** "payload.inputs[2]" style path from a JSON pointer. */
function pathOf(prefix: string, pointer: string): string {
  let p = prefix;
  for (const part of pointer.split('/').slice(1)) p += /^\d+$/.test(part) ? `[${part}]` : `${p ? '.' : ''}${part}`;
  return p || '(root)';
}

/** Turns ajv errors into "expected ..., got ..." sentences (at most 3). */
export function explainErrors(errors: ErrorObject[] | null | undefined, data: unknown, prefix = ''): string {
  if (!errors || !errors.length) return 'invalid';
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const e of errors) {
    // oneOf/anyOf wrap the real reasons; the branch errors are listed too.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    let text: string;
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      text = `${pathOf(prefix, e.instancePath + '/' + missing)}: required, missing`;
    } else if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      text = `${pathOf(prefix, e.instancePath)}: unknown property '${extra}'`;
    } else {
      text = `${pathOf(prefix, e.instancePath)}: expected ${e.message?.replace(/^must (be )?/, '')}, got ${describe(valueAt(data, e.instancePath))}`;
    }
    if (!seen.has(text)) {
      seen.add(text);
      parts.push(text);
    }
  }
  const more = parts.length > 3 ? ` (and ${parts.length - 3} more)` : '';
  return parts.slice(0, 3).join('; ') + more;
}

/** Compiles a schema once; the returned function returns the (defaulted) value or throws. */
export function compileValidator<T>(
  schema: JSONSchemaType<T> | object,
  code: ErrorCode,
  what: string,
  prefix = '',
): (data: unknown) => T {
  const validate = ajv.compile(schema) as ValidateFunction<T>;
  return (data: unknown): T => {
    if (!validate(data)) {
      throw fail(
        code,
        'validate.invalid',
        { what, problems: explainErrors(validate.errors, data, prefix) },
        // A status is at most 20 characters: 'bad window message'.
        `bad ${what}`,
      );
    }
    return data;
  };
}
