/**
 * A Node-RED context store kept in Redis, so that several Node-RED instances
 * share context: the forecasters' trained model artifacts above all.
 *
 * It implements Node-RED's context store plugin API (the contract of
 * `@node-red/runtime/lib/nodes/context/memory.js`): the module is a function of
 * the store's `config` returning an object with `open`, `close`, `get`, `set`,
 * `keys`, `delete` and `clean`.
 *
 * ```js
 * // settings.js
 * contextStorage: {
 *   default: { module: 'memory' },
 *   redis: {
 *     module: require('@lstm-forecast/node-red-lstm-forecast/redis-context'),
 *     config: { url: 'redis://127.0.0.1:6379', prefix: 'nodered:' },
 *   },
 * }
 * ```
 *
 * Layout: one Redis hash per context scope, `<prefix><scope>` (`nodered:global`,
 * `nodered:<flow id>`, `nodered:<node id>:<flow id>`); each top-level context
 * key is a field whose value is the key's value as JSON. A nested key such as
 * `model.scaler.mean[0]` reads the field `model` and walks into it; setting one
 * rewrites the field with a compare-and-set script, so concurrent writers on
 * other instances are not lost.
 *
 * Ownership, for `clean`: a store registers each flow or node scope it writes in
 * `<prefix>#store:scopes:<instance>` (a set of scopes) and `<prefix>#store:owners:<scope>` (a set of
 * instances). `clean` walks its own instance's set only: it never sees other applications' keys, another
 * prefix's keys or scopes written by older versions, and it deletes a scope's data only once no instance
 * is registered for it any more. Scope names starting with `#store:` are reserved.
 *
 * Model artifacts (values with `format: 'lstm-forecast-model'` and a numeric `version`, what lstm-train
 * stores) are guarded by plain `set` too, since nodes only see Node-RED's context API: a whole top-level
 * set of a model is refused with a CONFLICT error (through the callback; nothing of that set is written)
 * when the stored value is a model whose version is not older, in one atomic step on the server. Two
 * trainers on two instances that both read version N and both write N+1: one wins, the other is told.
 * Other values, deletes and nested sets are not affected.
 *
 * Access is asynchronous only: `flow.get('k', 'redis', (err, v) => ...)`. A
 * `get` or `keys` without a callback throws, as Node-RED's file store does with
 * its cache off. Operations on one scope run in the order they were called.
 *
 * When Redis cannot be reached, `open()` still resolves (Node-RED starts; the
 * client keeps reconnecting) and each operation calls back at once with a
 * `RedisContextStoreError` whose code is `REDIS_UNAVAILABLE`.
 */
import os from 'os';
import Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/** What `contextStorage.<name>.config` in settings.js may hold. */
interface RedisContextStoreConfig {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://...` (TLS). Either this or host/port. */
  url?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 6379. */
  port?: number;
  /** Database index; default 0 (or the url's). */
  db?: number;
  /** ACL user name (Redis 6+). */
  username?: string;
  password?: string;
  /** Prepended to every Redis key this store writes; default `nodered:`. Must not be empty. */
  prefix?: string;
  /** Milliseconds to wait for a connection (each attempt); default 5000. */
  connectTimeout?: number;
  /**
   * Milliseconds before a command fails with REDIS_TIMEOUT; default 5000. 0 waits forever: a paused or
   * frozen server then hangs every read, every forecast and Node-RED's shutdown, so 0 is for debugging only.
   */
  commandTimeout?: number;
  /**
   * Whether `clean(activeNodes)` deletes the flow and node scopes of nodes that
   * are no longer deployed; default true. Set false when instances with
   * different flows share one prefix, or one instance's deploy removes the
   * other's flow context (global context is never cleaned).
   */
  clean?: boolean;
  /**
   * This Node-RED instance's name among those sharing the prefix: `clean` releases only the scopes this
   * instance wrote. Default `<hostname>:<userDir>`; set it when that is not stable across restarts
   * (containers with generated host names), or scopes of a previous identity are never cleaned.
   */
  instance?: string;
  /** Passed to ioredis as is, after (so over) the options above: tls, family, retryStrategy, ... */
  redisOptions?: RedisOptions;
  /** Added by Node-RED (`userDir`); unused. */
  settings?: unknown;
}

type RedisContextStoreErrorCode =
  | 'BAD_CONFIG'
  | 'INVALID_EXPR'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_ERROR'
  | 'REDIS_TIMEOUT'
  | 'STORE_CLOSED'
  | 'SYNC_ACCESS'
  | 'BAD_CALLBACK'
  | 'BAD_ARGUMENT'
  | 'NOT_SERIALISABLE'
  | 'BAD_STORED_VALUE'
  | 'CONFLICT';

/** A model's `version` as `setIfVersion` compares it. */
type Version = number | string;

class RedisContextStoreError extends Error {
  readonly code: RedisContextStoreErrorCode;
  /** For a CONFLICT from setIfVersion: the version the caller expected (null: nothing stored yet). */
  readonly expectedVersion?: Version | null;
  /**
   * For a CONFLICT from setIfVersion or from a set of a model: the stored version (null: nothing stored;
   * undefined: no version field).
   */
  readonly storedVersion?: Version | null;

  constructor(
    code: RedisContextStoreErrorCode,
    message: string,
    options?: { cause?: unknown; expectedVersion?: Version | null; storedVersion?: Version | null },
  ) {
    super(message, options);
    this.name = 'RedisContextStoreError';
    this.code = code;
    if (options && 'expectedVersion' in options) this.expectedVersion = options.expectedVersion;
    if (options && 'storedVersion' in options) this.storedVersion = options.storedVersion;
  }
}

/** Node-RED's callbacks: `(err, value)`, `(err, v1, v2, ...)` for several keys, `(err, keys)`. */
type Callback = (err?: Error | null, ...values: unknown[]) => void;

type PathPart = string | number;

const CONFIG_KEYS = new Set([
  'url',
  'host',
  'port',
  'db',
  'username',
  'password',
  'prefix',
  'connectTimeout',
  'commandTimeout',
  'clean',
  'instance',
  'redisOptions',
  'settings',
]);

/**
 * Default commandTimeout (ms). Loopback or LAN Redis answers in well under a millisecond and a
 * multi-megabyte model transfers in tens of ms; 5 s only trips on a server that stopped answering.
 */
const DEFAULT_COMMAND_TIMEOUT_MS = 5000;
/** How long close() lets operations under way finish before it disconnects (they fail then). */
const CLOSE_GRACE_MS = 2000;
/** How long close() waits for QUIT's answer before it drops the connection. */
const QUIT_TIMEOUT_MS = 1000;

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([settled, limit]).finally(() => clearTimeout(timer));
}

/** Attempts of a nested `set` against concurrent writers before CONFLICT. */
const MAX_CAS_ATTEMPTS = 25;
/** Upper bound (ms) of the random pause between attempts, so two writers in lockstep fall apart. */
const MAX_CAS_BACKOFF_MS = 50;

/**
 * Writes fields of one hash only if each still holds what was read.
 * KEYS[1]: the hash. ARGV: n, then per field: name, had (0/1), old, has (0/1), new.
 * Returns 1 when written, 0 when some field had changed.
 */
const CAS_SCRIPT = `
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local b = 2 + i * 5
  local cur = redis.call('HGET', KEYS[1], ARGV[b])
  if ARGV[b + 1] == '1' then
    if cur ~= ARGV[b + 2] then return 0 end
  elseif cur then
    return 0
  end
end
for i = 0, n - 1 do
  local b = 2 + i * 5
  if ARGV[b + 3] == '1' then
    redis.call('HSET', KEYS[1], ARGV[b], ARGV[b + 4])
  else
    redis.call('HDEL', KEYS[1], ARGV[b])
  end
end
return 1
`;

/** Sub-namespace, under the prefix, of the store's own bookkeeping (see Ownership above). */
const META = '#store:';

/**
 * Gives up this instance's claim on one scope, and deletes the scope's data when no instance claims it
 * any more (or at once when ARGV[3] is '1': an explicit delete). Atomic, so that an instance
 * registering the scope meanwhile either keeps it alive or writes after the delete.
 * KEYS: data hash, owners set of the scope, this instance's scopes set. ARGV: instance, scope, force.
 * Returns 1 when the data was deleted.
 */
const RELEASE_SCRIPT = `
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
if ARGV[3] == '1' or redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('UNLINK', KEYS[1])
  return 1
end
return 0
`;

/**
 * Writes a field only if the `version` of the JSON it holds is the expected one.
 * KEYS[1]: the hash. ARGV: field, expected version as JSON (`null`: the field must be absent), new JSON.
 * Returns {1} when written, else {0, what is stored}: 'absent', 'none' (no version field), 'bad' (not
 * JSON) or the stored version as JSON. The decode costs the server a parse of the stored value; models
 * are written rarely, and it is what makes the compare and the write one atomic step.
 */
const SET_IF_VERSION_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local expected = cjson.decode(ARGV[2])
local found
if not cur then
  found = 'absent'
else
  local ok, decoded = pcall(cjson.decode, cur)
  if not ok then
    found = 'bad'
  elseif type(decoded) ~= 'table' or decoded['version'] == nil or decoded['version'] == cjson.null then
    found = 'none'
  else
    local v = decoded['version']
    if expected ~= cjson.null and type(v) == type(expected) and v == expected then
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
      return {1}
    end
    found = cjson.encode(v)
  end
end
if found == 'absent' and expected == cjson.null then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return {1}
end
return {0, found}
`;

/** What lstm-train stores: a value of this format with a numeric `version` is a model artifact. */
const MODEL_FORMAT = 'lstm-forecast-model';

/** The version of a model artifact, or undefined for any other value (which `set` writes unguarded). */
function modelVersion(value: unknown): number | undefined {
  const v = value as { format?: unknown; version?: unknown } | null;
  return v !== null && typeof v === 'object' && v.format === MODEL_FORMAT && typeof v.version === 'number'
    ? Number.isFinite(v.version)
      ? v.version
      : undefined
    : undefined;
}

/**
 * Writes whole top-level fields of one hash, refusing all of them when a model artifact would replace a
 * stored model of a version not older than its own (a lost update between two trainers).
 * KEYS[1]: the hash. ARGV: n, format, then per field: name, guarded (0/1), version, has (0/1), new JSON.
 * Returns {1} when written, else {0, field, stored version}.
 */
const MODEL_SET_SCRIPT = `
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local b = 3 + i * 5
  if ARGV[b + 1] == '1' then
    local cur = redis.call('HGET', KEYS[1], ARGV[b])
    if cur then
      local ok, decoded = pcall(cjson.decode, cur)
      if ok and type(decoded) == 'table' and decoded['format'] == ARGV[2] and type(decoded['version']) == 'number'
        and decoded['version'] >= tonumber(ARGV[b + 2]) then
        return {0, ARGV[b], cjson.encode(decoded['version'])}
      end
    end
  end
end
for i = 0, n - 1 do
  local b = 3 + i * 5
  if ARGV[b + 3] == '1' then
    redis.call('HSET', KEYS[1], ARGV[b], ARGV[b + 4])
  else
    redis.call('HDEL', KEYS[1], ARGV[b])
  end
end
return {1}
`;

function invalidExpr(message: string): RedisContextStoreError {
  return new RedisContextStoreError('INVALID_EXPR', `Invalid property expression: ${message}`);
}

/**
 * Splits a context key into its path, as Node-RED's
 * `RED.util.normalisePropertyExpression` does: `a.b[0]["c d"]` -> `['a', 'b', 0, 'c d']`.
 * Cross-references (`a[msg.b]`) have no meaning for context and are refused.
 */
function parsePropertyPath(expr: string): PathPart[] {
  if (typeof expr !== 'string' || expr.length === 0) throw invalidExpr('zero-length');
  const parts: PathPart[] = [];
  const length = expr.length;
  let start = 0;
  let inString = false;
  let inBox = false;
  let quote = '';
  const pushName = (v: string) => parts.push(/^\d+$/.test(v) ? parseInt(v, 10) : v);
  for (let i = 0; i < length; i++) {
    const c = expr[i];
    if (inString) {
      if (c === quote) {
        if (i === start) throw invalidExpr(`zero-length string at position ${start}`);
        parts.push(expr.substring(start, i));
        if (inBox && expr[i + 1] !== ']') throw invalidExpr(`unexpected array expression at position ${start}`);
        if (!inBox && i + 1 !== length && !/[[.]/.test(expr[i + 1])) {
          throw invalidExpr(`unexpected ${expr[i + 1]} expression at position ${i + 1}`);
        }
        start = i + 1;
        inString = false;
      }
      continue;
    }
    if (c === "'" || c === '"') {
      if (i !== start) throw invalidExpr(`unexpected ${c} at position ${i}`);
      inString = true;
      quote = c;
      start = i + 1;
    } else if (c === '.') {
      if (i === 0) throw invalidExpr('unexpected . at position 0');
      if (start !== i) pushName(expr.substring(start, i));
      if (i === length - 1) throw invalidExpr('unterminated expression');
      if (!/[a-z0-9$_]/i.test(expr[i + 1])) throw invalidExpr(`unexpected ${expr[i + 1]} at position ${i + 1}`);
      start = i + 1;
    } else if (c === '[') {
      if (i === 0) throw invalidExpr(`unexpected [ at position 0`);
      if (start !== i) parts.push(expr.substring(start, i));
      if (i === length - 1) throw invalidExpr('unterminated expression');
      if (/^msg[.[]/.test(expr.substring(i + 1))) {
        throw invalidExpr(`a context key cannot refer to msg (position ${i + 1})`);
      }
      if (!/["'\d]/.test(expr[i + 1])) throw invalidExpr(`unexpected ${expr[i + 1]} at position ${i + 1}`);
      start = i + 1;
      inBox = true;
    } else if (c === ']') {
      if (!inBox) throw invalidExpr(`unexpected ] at position ${i}`);
      if (start !== i) {
        const v = expr.substring(start, i);
        if (!/^\d+$/.test(v)) throw invalidExpr(`unexpected array expression at position ${start}`);
        parts.push(parseInt(v, 10));
      }
      start = i + 1;
      inBox = false;
    } else if (c === ' ') {
      throw invalidExpr(`unexpected ' ' at position ${i}`);
    }
  }
  if (inBox || inString) throw invalidExpr('unterminated expression');
  if (start < length) parts.push(expr.substring(start));
  return parts;
}

/** `RED.util.getObjectProperty` on a parsed path: undefined where the path leads nowhere. */
function getPath(root: unknown, path: PathPart[]): unknown {
  let obj: unknown = root;
  for (const key of path) {
    if (obj === null || obj === undefined) return undefined;
    obj = (obj as Record<PathPart, unknown>)[key];
  }
  return obj;
}

/** A container a path walks through: an object's or an array's slots. */
type Slots = Record<PathPart, unknown>;

/**
 * `RED.util.setObjectProperty` on a parsed path: creates missing parents (an
 * array before a numeric key), deletes on undefined (splices an array), and
 * does nothing below a primitive. Mutates `root`.
 */
function setPath(root: Slots, path: PathPart[], value: unknown): void {
  const createMissing = value !== undefined;
  let obj: Slots = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    if (Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined) {
      const next = obj[key];
      if (next === null || (typeof next !== 'object' && typeof next !== 'function')) return;
      obj = next as Slots;
    } else if (createMissing) {
      obj[key] = typeof path[i + 1] === 'string' ? {} : [];
      obj = obj[key] as Slots;
    } else {
      return;
    }
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (typeof last === 'number' && Array.isArray(obj)) obj.splice(last, 1);
    else delete obj[last];
  } else if (typeof obj === 'object' && obj !== null) {
    obj[last] = value;
  }
}

function toJson(value: unknown, key: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new RedisContextStoreError(
      'NOT_SERIALISABLE',
      `cannot store context key '${key}': its value is not JSON-serialisable (${(err as Error).message})`,
      { cause: err },
    );
  }
  if (json === undefined) {
    throw new RedisContextStoreError(
      'NOT_SERIALISABLE',
      `cannot store context key '${key}': expected a JSON value, got a ${typeof value}`,
    );
  }
  return json;
}

/**
 * `redis://user:pass@host...` split at the LAST `@` of the text: a password with an unencoded `@`, `#`
 * or `/` is not a URL `new URL` can parse, and must be hidden all the same.
 */
const URL_USERINFO = /^(rediss?:\/\/)(.*)@/i;

/** The server for messages: no credentials and no query (which may carry `?password=`). */
function describeServer(config: RedisContextStoreConfig): string {
  if (config.url) {
    const withoutUser = config.url.replace(URL_USERINFO, (_m, scheme: string) => `${scheme}***@`);
    return withoutUser.replace(/[?#].*$/s, '');
  }
  return `redis://${config.host ?? '127.0.0.1'}:${config.port ?? 6379}/${config.db ?? 0}`;
}

/** Every form in which a credential of the config could show up in some text. */
function secretsOf(config: RedisContextStoreConfig): string[] {
  const found = new Set<string>();
  const add = (secret: unknown) => {
    if (typeof secret !== 'string' || secret.length === 0) return;
    found.add(secret);
    found.add(encodeURIComponent(secret));
    try {
      found.add(decodeURIComponent(secret));
    } catch {
      /* not percent-encoded */
    }
  };
  add(config.password);
  add(config.redisOptions?.password);
  if (typeof config.url === 'string') {
    const userinfo = URL_USERINFO.exec(config.url)?.[2];
    if (userinfo !== undefined) {
      add(userinfo);
      add(userinfo.slice(userinfo.indexOf(':') + 1));
    }
    for (const m of config.url.matchAll(/[?&]password=([^&#]*)/gi)) add(m[1]);
  }
  found.delete('');
  // Longest first, so that a secret containing another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `text` with every credential of the config replaced by `***`. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function validateConfig(config: RedisContextStoreConfig): void {
  const bad = (what: string) => new RedisContextStoreError('BAD_CONFIG', `Redis context store: ${what}`);
  if (config === null || typeof config !== 'object')
    throw bad(`expected a config object, got ${config === null ? 'null' : typeof config}`);
  const unknown = Object.keys(config).filter((k) => !CONFIG_KEYS.has(k));
  if (unknown.length) {
    throw bad(
      `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected some of ${[...CONFIG_KEYS].filter((k) => k !== 'settings').join(', ')}`,
    );
  }
  if (config.url !== undefined) {
    if (typeof config.url !== 'string' || !/^rediss?:\/\//.test(config.url)) {
      const shown = JSON.stringify(redact(String(config.url), secretsOf(config)));
      throw bad(`url must start with redis:// or rediss://, got ${shown}`);
    }
    if (!URL.canParse(config.url)) {
      // ioredis would throw a TypeError carrying the whole URL, password included, at open().
      throw bad(
        `url ${describeServer(config)} is not a valid URL; percent-encode special characters in the user ` +
          'name and password (# as %23, @ as %40, / as %2F) or give password separately',
      );
    }
    if (config.host !== undefined || config.port !== undefined) throw bad('give either url or host/port, not both');
  }
  if (config.host !== undefined && (typeof config.host !== 'string' || !config.host))
    throw bad(`host must be a non-empty string, got ${JSON.stringify(config.host)}`);
  const integer = (name: 'port' | 'db' | 'connectTimeout' | 'commandTimeout', min: number, max: number) => {
    const v = config[name];
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
      throw bad(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  };
  integer('port', 1, 65535);
  integer('db', 0, 1_000_000);
  integer('connectTimeout', 1, 3_600_000);
  integer('commandTimeout', 0, 3_600_000);
  for (const name of ['username', 'password'] as const) {
    if (config[name] !== undefined && typeof config[name] !== 'string') throw bad(`${name} must be a string`);
  }
  if (config.prefix !== undefined && (typeof config.prefix !== 'string' || config.prefix.length === 0)) {
    // An empty prefix would let clean() delete every key of the database.
    throw bad(`prefix must be a non-empty string, got ${JSON.stringify(config.prefix)}`);
  }
  if (config.instance !== undefined && (typeof config.instance !== 'string' || config.instance.length === 0)) {
    throw bad(`instance must be a non-empty string, got ${JSON.stringify(config.instance)}`);
  }
  if (config.clean !== undefined && typeof config.clean !== 'boolean')
    throw bad(`clean must be true or false, got ${JSON.stringify(config.clean)}`);
  if (config.redisOptions !== undefined && (config.redisOptions === null || typeof config.redisOptions !== 'object')) {
    throw bad('redisOptions must be an object');
  }
}

/** One key of a `set`: its parsed path, and its JSON when it is a whole top-level value. */
interface Write {
  path: PathPart[];
  key: string;
  value: unknown;
  json: string | undefined;
}

/**
 * Throws BAD_CALLBACK for a callback that is given but not a function: Node-RED's stores throw at
 * the call, where the mistake is, rather than leave a TypeError to surface later in a timer.
 */
function checkCallback(op: string, callback: unknown): void {
  if (callback !== undefined && callback !== null && typeof callback !== 'function') {
    throw new RedisContextStoreError('BAD_CALLBACK', `${op}: the callback must be a function, got ${typeof callback}`);
  }
}

/** Calls a Node-RED callback outside any promise chain, so what it throws is not taken for a store error. */
function deliver(callback: Callback, err: Error | null | undefined, values: unknown[]): void {
  process.nextTick(() => callback(err, ...values));
}

class RedisContextStore {
  readonly prefix: string;
  private readonly config: RedisContextStoreConfig;
  private readonly server: string;
  private redis: Redis | undefined;
  private lastError: Error | undefined;
  private reportedDown = false;
  private closed = false;
  /** The tail of each scope's queue: operations on a scope run in call order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly commandTimeout: number;
  private readonly secrets: string[];
  private readonly instance: string;
  /** Scopes known to be registered for this instance since the connection was (re)made. */
  private readonly registered = new Set<string>();
  /** Rejecters of the operations waiting on Redis, so that close() can give up on them. */
  private readonly inFlight = new Set<(err: Error) => void>();

  constructor(config: RedisContextStoreConfig = {}) {
    validateConfig(config);
    this.config = config;
    this.prefix = config.prefix ?? 'nodered:';
    this.secrets = secretsOf(config);
    this.server = redact(describeServer(config), this.secrets);
    this.commandTimeout = config.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const settings = config.settings as { userDir?: unknown } | undefined;
    const userDir = typeof settings?.userDir === 'string' ? settings.userDir : process.cwd();
    this.instance = config.instance ?? `${os.hostname()}:${userDir}`;
  }

  /** Node-RED logs `module=<this>` when it loads the store. */
  toString(): string {
    return `redis-context (${this.server}, prefix ${this.prefix})`;
  }

  /**
   * Connects. Resolves once connected, or after the first attempt failed (with
   * a warning; the client keeps retrying and operations fail meanwhile), so a
   * Redis that starts after Node-RED does not stop Node-RED from starting.
   */
  async open(): Promise<void> {
    if (this.redis) return;
    this.closed = false;
    liveStores.add(this);
    const c = this.config;
    const options: RedisOptions = {
      lazyConnect: true,
      // Fail at once while disconnected rather than queue: a caller waiting on a
      // model gets an error it can show instead of a hang.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: c.connectTimeout ?? 5000,
      retryStrategy: (attempt: number) => Math.min(attempt * 250, 5000),
      // ioredis has no timeout by default: a server that stops answering (SIGSTOP, CLIENT PAUSE, a
      // frozen VM) would hang every caller, so bound every command unless the config says 0.
      ...(this.commandTimeout > 0 ? { commandTimeout: this.commandTimeout } : {}),
      ...(c.host !== undefined ? { host: c.host } : {}),
      ...(c.port !== undefined ? { port: c.port } : {}),
      ...(c.db !== undefined ? { db: c.db } : {}),
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(c.password !== undefined ? { password: c.password } : {}),
      ...c.redisOptions,
    };
    const redis = c.url ? new Redis(c.url, options) : new Redis(options);
    this.redis = redis;
    redis.on('error', (err: Error) => {
      this.lastError = err;
      if (!this.reportedDown && !this.closed) {
        this.reportedDown = true;
        this.warn(`${this.server} unreachable (${err.message}); retrying, context operations fail meanwhile`);
      }
    });
    redis.on('ready', () => {
      // The server may have restarted empty: register scopes again on their next write.
      this.registered.clear();
      if (this.reportedDown) this.warn(`${this.server} reachable again`);
      this.reportedDown = false;
      this.lastError = undefined;
    });
    // A server that accepts connections but never answers (frozen) would hold connect() through
    // several ready-check timeouts, and Node-RED's start-up with it: wait connectTimeout at most.
    const connecting = redis.connect().catch((err: Error) => {
      // The 'error' listener has warned; ioredis goes on retrying.
      this.lastError ??= err;
    });
    const waitMs = c.connectTimeout ?? 5000;
    await settleWithin(connecting, waitMs);
    if (redis.status !== 'ready' && !this.reportedDown && !this.closed) {
      this.reportedDown = true;
      this.warn(`${this.server} not ready after ${waitMs} ms; retrying, context operations fail meanwhile`);
    }
  }

  /**
   * Lets the operations under way finish (for up to CLOSE_GRACE_MS), then disconnects. Bounded
   * throughout, since Node-RED's shutdown waits on it: a server that stopped answering must not hold
   * it up; what is still pending then fails with REDIS_UNAVAILABLE.
   */
  async close(): Promise<void> {
    this.closed = true;
    liveStores.delete(this);
    await settleWithin(Promise.allSettled([...this.pending]), CLOSE_GRACE_MS);
    // Dropping the socket does not end commands a frozen server never answers (its kernel keeps the
    // connection half-open): fail them here so their callers hear now, not at their timeout.
    for (const reject of this.inFlight) {
      const message = `Redis context store ${this.server} closed before Redis answered`;
      reject(new RedisContextStoreError('STORE_CLOSED', message));
    }
    this.inFlight.clear();
    const redis = this.redis;
    this.redis = undefined;
    if (!redis) return;
    if (redis.status === 'ready' && this.pending.size === 0) {
      let quit = false;
      await settleWithin(
        redis.quit().then(() => {
          quit = true;
        }),
        QUIT_TIMEOUT_MS,
      );
      if (quit) return;
    }
    redis.disconnect();
  }

  get(scope: string, key: string | string[], callback?: Callback): void {
    checkCallback('get', callback);
    if (typeof callback !== 'function') throw this.syncAccess('get', scope, key);
    let paths: PathPart[][];
    try {
      paths = (Array.isArray(key) ? key : [key]).map(parsePropertyPath);
    } catch (err) {
      deliver(callback, err as Error, []);
      return;
    }
    this.run(scope, async (redis) => {
      const fields = [...new Set(paths.map((p) => String(p[0])))];
      const raw = await redis.hmget(this.hashKey(scope), ...fields);
      const byField = new Map<string, unknown>();
      fields.forEach((f, i) => byField.set(f, this.parse(raw[i], scope, f)));
      return paths.map((p) => getPath(byField.get(String(p[0])), p.slice(1)));
    }).then(
      // Node-RED's stores call back with an undefined error for a key array (callback.apply(null,
      // [undefined, ...values])) and flows compare `arguments` with that: do the same.
      (values) => deliver(callback, Array.isArray(key) ? undefined : null, values),
      (err) => deliver(callback, err, []),
    );
  }

  set(scope: string, key: string | string[], value: unknown, callback?: Callback): void {
    checkCallback('set', callback);
    const keys = Array.isArray(key) ? key : [key];
    const values: unknown[] = Array.isArray(key) ? (Array.isArray(value) ? value : [value]) : [value];
    let writes: Write[];
    try {
      writes = keys.map((k, i) => {
        const v = i < values.length ? values[i] : null;
        const path = parsePropertyPath(k);
        // A whole top-level value is serialised here, once: that fails before touching Redis, and a
        // model of megabytes is not stringified twice.
        const json = path.length === 1 && v !== undefined ? toJson(v, k) : undefined;
        return { path, key: k, value: v, json };
      });
    } catch (err) {
      if (callback) {
        deliver(callback, err as Error, []);
        return;
      }
      throw err; // as memory.js does without a callback
    }
    this.run(scope, (redis) => this.write(redis, scope, writes)).then(
      () => callback && deliver(callback, null, []),
      (err: Error) => {
        if (callback) deliver(callback, err, []);
        else this.warn(`set of '${keys.join("', '")}' in scope ${scope} failed: ${err.message}`);
      },
    );
  }

  /**
   * Compare-and-set for model artifacts shared by several writers: stores `value` under the top-level
   * `key` only if the JSON stored there now has `version === expectedVersion` (`null`: only if nothing is
   * stored yet), in one atomic step on the server. Otherwise calls back with a CONFLICT error naming both
   * versions (also as `err.expectedVersion` and `err.storedVersion`) and changes nothing, so a writer
   * that trained from version 7 cannot overwrite the version 8 another instance stored meanwhile.
   *
   * Not part of Node-RED's store API: reach the store through `openStores()` of this module.
   */
  setIfVersion(scope: string, key: string, value: unknown, expectedVersion: Version | null, callback: Callback): void {
    checkCallback('setIfVersion', callback);
    if (typeof callback !== 'function') {
      throw new RedisContextStoreError('BAD_CALLBACK', 'setIfVersion needs a callback: its outcome is the point');
    }
    let json: string;
    try {
      const path = parsePropertyPath(key);
      if (path.length !== 1) {
        throw invalidExpr(`setIfVersion takes a top-level key (a whole model), got '${key}'`);
      }
      if (expectedVersion !== null && typeof expectedVersion !== 'number' && typeof expectedVersion !== 'string') {
        throw new RedisContextStoreError('BAD_ARGUMENT', 'expectedVersion must be a number, a string or null');
      }
      json = toJson(value, key);
    } catch (err) {
      deliver(callback, err as Error, []);
      return;
    }
    const hash = this.hashKey(scope);
    this.run(scope, async (redis) => {
      await this.register(redis, scope);
      const reply = (await redis.eval(SET_IF_VERSION_SCRIPT, 1, hash, key, JSON.stringify(expectedVersion), json)) as [
        number,
        string?,
      ];
      if (reply[0] === 1) return;
      throw this.versionConflict(scope, key, expectedVersion, reply[1] ?? 'bad');
    }).then(
      () => deliver(callback, null, []),
      (err: Error) => deliver(callback, err, []),
    );
  }

  keys(scope: string, callback?: Callback): void {
    checkCallback('keys', callback);
    if (typeof callback !== 'function') throw this.syncAccess('keys', scope);
    this.run(scope, (redis) => redis.hkeys(this.hashKey(scope))).then(
      (keys) => deliver(callback, null, [keys]),
      (err) => deliver(callback, err, []),
    );
  }

  delete(scope: string): Promise<void> {
    return this.run(scope, async (redis) => {
      await this.release(redis, scope, true);
    });
  }

  /**
   * Deletes the flow and node scopes whose flow or node id is not in
   * `activeNodes` (never `global`), unless the config says `clean: false`.
   * Resolves even when Redis is unreachable (with a warning): it is housekeeping.
   */
  clean(activeNodes: string[]): Promise<void> {
    if (this.config.clean === false || this.closed) return Promise.resolve();
    const active = new Set(activeNodes);
    const cleaning = this.withRedis(async (redis) => {
      // Only the scopes this instance registered: scanning the prefix would also find other
      // applications' keys, other instances' flows and the keys of stores with a longer prefix.
      const stale = new Set<string>();
      let cursor = '0';
      do {
        const [next, scopes] = await redis.sscan(this.scopesKey(), cursor, 'COUNT', 500);
        cursor = next;
        for (const scope of scopes) {
          if (scope !== 'global' && !active.has(scope.split(':')[0])) stale.add(scope);
        }
      } while (cursor !== '0');
      for (const scope of stale) await this.release(redis, scope, false);
    }).catch((err: Error) => {
      // Housekeeping only, and some callers (the test helper's unload) do not
      // wait for it: never reject.
      this.warn(`clean skipped: ${err.message}`);
    });
    return this.track(cleaning);
  }

  /** Every warning goes out here, credentials masked. */
  private warn(text: string): void {
    console.warn(`[redis-context] ${redact(text, this.secrets)}`);
  }

  /** Masks credentials in an error (and its cause) before a caller sees it: messages may quote the server. */
  private scrub<E>(err: E): E {
    if (err instanceof Error) {
      err.message = redact(err.message, this.secrets);
      if (err.stack) err.stack = redact(err.stack, this.secrets);
      if (err.cause instanceof Error && err.cause !== err) this.scrub(err.cause);
    }
    return err;
  }

  private hashKey(scope: string): string {
    return this.prefix + scope;
  }

  private scopesKey(): string {
    return `${this.prefix}${META}scopes:${this.instance}`;
  }

  private ownersKey(scope: string): string {
    return `${this.prefix}${META}owners:${scope}`;
  }

  /** Records that this instance writes `scope`, so that its `clean` may release it (global never is). */
  private async register(redis: Redis, scope: string): Promise<void> {
    if (scope === 'global' || this.registered.has(scope)) return;
    const results = await redis.multi().sadd(this.scopesKey(), scope).sadd(this.ownersKey(scope), this.instance).exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
    this.registered.add(scope);
  }

  private async release(redis: Redis, scope: string, force: boolean): Promise<void> {
    const keys = [this.hashKey(scope), this.ownersKey(scope), this.scopesKey()];
    await redis.eval(RELEASE_SCRIPT, keys.length, ...keys, this.instance, scope, force ? '1' : '0');
    this.registered.delete(scope);
  }

  private parse(raw: string | null, scope: string, field: string): unknown {
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw);
    } catch (err) {
      throw new RedisContextStoreError(
        'BAD_STORED_VALUE',
        `context key '${field}' in ${this.hashKey(scope)} does not hold JSON (${(err as Error).message}); was it written by something else?`,
        { cause: err },
      );
    }
  }

  private async write(redis: Redis, scope: string, writes: Write[]): Promise<void> {
    const hash = this.hashKey(scope);
    await this.register(redis, scope);
    if (writes.every((w) => w.path.length === 1)) {
      const last = new Map<string, Write>();
      for (const w of writes) last.set(String(w.path[0]), w);
      if ([...last.values()].some((w) => modelVersion(w.value) !== undefined)) {
        await this.writeModels(redis, scope, last);
        return;
      }
      // Whole top-level keys: no read needed, one transaction.
      const tx = redis.multi();
      for (const [field, w] of last) {
        if (w.value === undefined) tx.hdel(hash, field);
        else tx.hset(hash, field, w.json ?? toJson(w.value, w.key));
      }
      const results = await tx.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
      return;
    }
    // Some key is nested: read the fields, change them here, write them back
    // if nobody else changed them meanwhile.
    const fields = [...new Set(writes.map((w) => String(w.path[0])))];
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const raw = await redis.hmget(hash, ...fields);
      const data: Record<string, unknown> = Object.create(null);
      fields.forEach((f, i) => {
        if (raw[i] !== null) data[f] = this.parse(raw[i], scope, f);
      });
      for (const w of writes) setPath(data, [String(w.path[0]), ...w.path.slice(1)], w.value);
      const args: (string | number)[] = [fields.length];
      fields.forEach((f, i) => {
        const next = data[f];
        const json = next === undefined ? undefined : toJson(next, f);
        args.push(f, raw[i] === null ? '0' : '1', raw[i] ?? '', json === undefined ? '0' : '1', json ?? '');
      });
      const ok = await redis.eval(CAS_SCRIPT, 1, hash, ...args);
      if (ok === 1) return;
      const pause = Math.random() * Math.min(MAX_CAS_BACKOFF_MS, 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    throw new RedisContextStoreError(
      'CONFLICT',
      `could not set '${writes.map((w) => w.key).join("', '")}' in ${hash}: other writers changed it ${MAX_CAS_ATTEMPTS} times in a row`,
    );
  }

  /**
   * Whole top-level writes of which some are model artifacts: one atomic script that writes all or, when a
   * model would replace a stored model of a version not older than its own, nothing (CONFLICT). Costs the
   * server a decode of each stored model replaced; models are written rarely.
   */
  private async writeModels(redis: Redis, scope: string, last: Map<string, Write>): Promise<void> {
    const args: (string | number)[] = [last.size, MODEL_FORMAT];
    for (const [field, w] of last) {
      const version = modelVersion(w.value);
      const json = w.value === undefined ? undefined : (w.json ?? toJson(w.value, w.key));
      args.push(field, version === undefined ? '0' : '1', version ?? 0, json === undefined ? '0' : '1', json ?? '');
    }
    const reply = (await redis.eval(MODEL_SET_SCRIPT, 1, this.hashKey(scope), ...args)) as [number, string?, string?];
    if (reply[0] === 1) return;
    const field = reply[1] ?? '?';
    const stored = Number(reply[2]);
    const version = modelVersion(last.get(field)?.value);
    throw new RedisContextStoreError(
      'CONFLICT',
      `did not store model '${field}' in scope ${scope}: its version ${version} is not newer than the stored version ` +
        `${stored} (another node or instance stored it first?); a model artifact only replaces an older version`,
      { storedVersion: stored },
    );
  }

  /** Queues `op` behind the earlier operations on `scope`. */
  private run<T>(scope: string, op: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.notOpen());
    const previous = this.queues.get(scope) ?? Promise.resolve();
    const result = previous.then(() => this.withRedis(op));
    const tail = result.catch(() => undefined);
    this.queues.set(scope, tail);
    void tail.then(() => {
      if (this.queues.get(scope) === tail) this.queues.delete(scope);
    });
    return this.track(result);
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    const promise = operation.catch((err: unknown) => {
      throw this.scrub(err);
    });
    this.pending.add(promise);
    const forget = () => this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private async withRedis<T>(op: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = this.redis;
    if (!redis) throw this.notOpen();
    if (redis.status !== 'ready') throw this.unavailable();
    try {
      return await new Promise<T>((resolve, reject) => {
        this.inFlight.add(reject);
        op(redis)
          .then(resolve, reject)
          .finally(() => this.inFlight.delete(reject));
      });
    } catch (err) {
      if (err instanceof RedisContextStoreError) throw err;
      const e = err as Error;
      if (redis.status !== 'ready' || /Connection is closed|Stream isn't writeable/.test(e.message)) {
        throw this.unavailable(e);
      }
      if (/Command timed out/i.test(e.message)) {
        throw new RedisContextStoreError(
          'REDIS_TIMEOUT',
          `Redis context store ${this.server} did not answer within ${this.commandTimeout} ms (commandTimeout): ` +
            'is the server paused, overloaded or busy with a slow command?',
          { cause: e },
        );
      }
      throw new RedisContextStoreError('REDIS_ERROR', `Redis context store ${this.server}: ${e.message}`, { cause: e });
    }
  }

  private versionConflict(scope: string, key: string, expected: Version | null, found: string): RedisContextStoreError {
    const want = expected === null ? 'expected no stored value' : `expected version ${JSON.stringify(expected)}`;
    let stored: Version | null | undefined;
    let got: string;
    if (found === 'absent') {
      stored = null;
      got = 'nothing is stored';
    } else if (found === 'none' || found === 'bad') {
      stored = undefined;
      got = found === 'none' ? 'the stored value has no version' : 'the stored value is not JSON';
    } else {
      stored = JSON.parse(found) as Version;
      got = `the stored version is ${found}`;
    }
    return new RedisContextStoreError(
      'CONFLICT',
      `did not store '${key}' in scope ${scope}: ${want} but ${got} (another writer stored it first?); ` +
        'read it again and decide whether to retrain or keep the stored one',
      { expectedVersion: expected, storedVersion: stored },
    );
  }

  private notOpen(): RedisContextStoreError {
    return new RedisContextStoreError(
      'STORE_CLOSED',
      `Redis context store ${this.server} is ${this.closed ? 'closed' : 'not open'}`,
    );
  }

  private unavailable(cause?: Error): RedisContextStoreError {
    const why = this.lastError?.message ?? cause?.message ?? `connection ${this.redis?.status ?? 'closed'}`;
    return new RedisContextStoreError('REDIS_UNAVAILABLE', `Redis context store cannot reach ${this.server} (${why})`, {
      cause: this.lastError ?? cause,
    });
  }

  private syncAccess(op: 'get' | 'keys', scope: string, key?: string | string[]): RedisContextStoreError {
    const example =
      op === 'get'
        ? `flow.get(${JSON.stringify(key)}, '<store>', (err, value) => { ... })`
        : `flow.keys('<store>', (err, keys) => { ... })`;
    return new RedisContextStoreError(
      'SYNC_ACCESS',
      `the Redis context store is asynchronous: ${op} in scope ${scope} needs a callback, e.g. ${example}`,
    );
  }
}

/** The stores open in this process, so that nodes can reach `setIfVersion`, which Node-RED's API has not. */
const liveStores = new Set<RedisContextStore>();

/** Node-RED's entry point: `contextStorage.<name>.module`. */
function createRedisContextStore(config?: RedisContextStoreConfig): RedisContextStore {
  return new RedisContextStore(config ?? {});
}
// Node-RED prints this in its "Context store" start-up line.
createRedisContextStore.toString = () => 'redis-context';

// eslint-disable-next-line @typescript-eslint/no-namespace
namespace createRedisContextStore {
  export type Config = RedisContextStoreConfig;
  export type ErrorCode = RedisContextStoreErrorCode;
  export type Store = RedisContextStore;
  export const Store = RedisContextStore;
  export type StoreError = RedisContextStoreError;
  export const StoreError = RedisContextStoreError;
  export const parseKey = parsePropertyPath;
  export type ModelVersion = Version;
  /** The stores open in this process (Node-RED opens one per `contextStorage` entry using this module). */
  export const openStores = (): RedisContextStore[] => [...liveStores];
}

export = createRedisContextStore;
