/**
 * Every error the core throws on bad input or bad state is a ForecastError with
 * a stable code. The node glue turns it into `done(err)` plus a red status whose
 * short text is `status` (or the code).
 */
export type ErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_INPUT'
  | 'BAD_TIMESTAMP'
  | 'LIMIT'
  | 'NO_MODEL'
  | 'BAD_ARTIFACT'
  | 'SPEC_MISMATCH'
  | 'BUSY'
  /** A model was not stored: the store holds a version not older than the one trained (lost update refused). */
  | 'CONFLICT'
  | 'CANCELLED'
  | 'TRAINING_FAILED'
  /** A context store failed a read or a write (down, timed out, refused): nothing was changed by it. */
  | 'STORE_UNAVAILABLE'
  /** A model produced a value that is not a finite number (NaN, Infinity). */
  | 'NOT_FINITE';

/** The values a message template's `__name__` placeholders take. */
export type MessageParams = Readonly<Record<string, string | number>>;

export class ForecastError extends Error {
  readonly code: ErrorCode;
  /** A short text for the node status (a few words). */
  readonly status: string;
  /**
   * The id of the text in core/base/messages.ts (and in each node's catalogue under `errors`), when the text
   * was built from one: the glue translates `id` with `params`; `message` stays the English text.
   */
  readonly id?: string;
  readonly params?: MessageParams;

  constructor(code: ErrorCode, message: string, status?: string, text?: { id: string; params: MessageParams }) {
    super(message);
    this.name = 'ForecastError';
    this.code = code;
    this.status = status ?? code.toLowerCase().replace(/_/g, ' ');
    if (text) {
      this.id = text.id;
      this.params = text.params;
    }
  }
}

/** Describes a value for an error text: what arrived, short. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (Array.isArray(value)) {
    if (value.length && Array.isArray(value[0])) return `an array of ${value.length} arrays`;
    return `an array of ${value.length}`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    return `an object with keys ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}`.trim();
  }
  return typeof value;
}
