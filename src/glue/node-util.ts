/**
 * Shared node glue: the one error path, status helpers and a warning throttle.
 * Only this folder and the node entry files touch Node-RED.
 */
import type { Node, NodeMessageInFlow, NodeMessage } from 'node-red';
import { ForecastError } from '../core/base/errors';
import { fail } from '../core/base/messages';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;
export type Handler = (
  msg: NodeMessageInFlow & Record<string, unknown>,
  send: Send,
  done: Done,
) => void | Promise<void>;

/**
 * Longest node status text: a status is a glance under the node (core nodes keep theirs under about 20
 * characters); the details go to the log and the messages.
 */
export const STATUS_MAX = 20;
/** Longest error text passed to done(err) and the log (a 1 MB text once arrived from a 1 MB feature name). */
export const ERROR_MAX = 1000;

/** `text` cut to at most `max` characters, ending in an ellipsis when cut (never a lone surrogate half). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end) + '\u2026';
}

/** A status text bounded to {@link STATUS_MAX} characters. */
export function statusText(text: string): string {
  return clip(text, STATUS_MAX);
}

/** Short status text of an error (the ForecastError's own, else its first words), at most {@link STATUS_MAX}. */
export function statusOf(err: unknown): string {
  if (err instanceof ForecastError) return statusText(err.status);
  return statusText(textOf(err));
}

function textOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return typeof err;
  }
}

/**
 * The error as done(err) should see it: an Error whose message (and the stack's
 * first line, which a catch node's msg.error carries) is at most {@link ERROR_MAX}.
 */
export function boundedError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(clip(textOf(err), ERROR_MAX));
  if (e.message.length > ERROR_MAX) {
    const stack = typeof e.stack === 'string' ? e.stack : '';
    const at = stack.indexOf('\n    at ');
    e.message = clip(e.message, ERROR_MAX);
    e.stack = `${e.name}: ${e.message}${at >= 0 ? stack.slice(at) : ''}`;
  }
  return e;
}

/**
 * A context store that failed a read or a write, as every node reports it: code STORE_UNAVAILABLE, a text
 * naming the operation, the store and the store's own reason (cut so the whole stays within
 * {@link ERROR_MAX}: a store may echo a huge key or value), and the status 'store unavailable'.
 * @param operation what failed, e.g. "could not read model 'm' (flow context)"
 * @param consequence what it means for the message or the node, appended after the reason
 */
export function storeUnavailable(
  operation: string,
  store: string | undefined,
  err: unknown,
  consequence = '',
): ForecastError {
  const values = { operation: clip(operation, 200), store: clip(store ?? 'default', 100) };
  const frame = `${values.operation} in context store '${values.store}': `.length;
  const then = consequence ? clip(consequence, 300) : '';
  const reason = clip(textOf(err), ERROR_MAX - frame - (then ? then.length + 2 : 0));
  return then
    ? fail('STORE_UNAVAILABLE', 'store.unavailableThen', { ...values, reason, consequence: then }, 'store unavailable')
    : fail('STORE_UNAVAILABLE', 'store.unavailable', { ...values, reason }, 'store unavailable');
}

/** A node's RED._: a message id (`<node>.<section>.<key>`) and its values -> the text in the runtime's language. */
export type Translate = (id: string, values?: Record<string, string | number>) => string;

/**
 * The error in the node's language: a ForecastError built from a declared text (core/base/messages.ts) gets
 * its catalogue's `<node>.errors.<id>` with its values; any other error, a missing id (i18next then answers
 * the id itself) or a failing translator keeps the English message. The error keeps its code and status.
 */
export function translateError(err: unknown, type: string, t?: Translate): unknown {
  if (!t || !(err instanceof ForecastError) || !err.id) return err;
  const key = `${type}.errors.${err.id}`;
  let text: unknown;
  try {
    text = t(key, err.params);
  } catch {
    return err;
  }
  if (typeof text !== 'string' || !text || text === key || text.endsWith(`errors.${err.id}`)) return err;
  if (text === err.message) return err;
  const stack = typeof err.stack === 'string' ? err.stack : '';
  const at = stack.indexOf('\n    at ');
  err.message = text;
  err.stack = `${err.name}: ${text}${at >= 0 ? stack.slice(at) : ''}`;
  return err;
}

/** Red ring status with the error's short text. */
export function errorStatus(node: Node, err: unknown): void {
  node.status({ fill: 'red', shape: 'ring', text: statusOf(err) });
}

/**
 * Wraps an input handler so every failure takes one path: a red status,
 * `msg.error`-style reporting through `done(err)` (Catch nodes see it), and
 * never an exception into the runtime. The handler's own state is untouched
 * because the core throws before it mutates anything. Texts are translated here (`t`, the node's RED._; see
 * {@link translateError}) and bounded (status {@link STATUS_MAX}, error {@link ERROR_MAX} characters), whatever
 * arrived.
 */
export function onInput(node: Node, t: Translate | undefined, handler: Handler): void {
  node.on('input', (msg, send, done) => {
    const report = (err: unknown): void => done(boundedError(translateError(err, node.type, t)));
    const failed = (err: unknown): void => {
      errorStatus(node, err);
      report(err);
    };
    try {
      // A handler that finishes later (a queued training run) reports through this done: translated the same way.
      const finish = (err?: unknown): void => (err ? report(err) : done());
      const r = handler(msg as NodeMessageInFlow & Record<string, unknown>, send as Send, finish as Done);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(failed);
    } catch (err) {
      failed(err);
    }
  });
}

/** Logs at most one warning per `intervalMs`, counting the ones it held back. */
export function warnThrottle(node: Node, intervalMs = 5000): (text: string) => void {
  let last = 0;
  let held = 0;
  return (text: string) => {
    const now = Date.now();
    if (now - last >= intervalMs) {
      node.warn(clip(held ? `${text} (+${held} similar warnings not shown)` : text, ERROR_MAX));
      last = now;
      held = 0;
    } else {
      held++;
    }
  };
}

/** A config that failed validation: the node stays deployed but inert, with a red status saying why. */
export function refuse(node: Node, err: unknown, t?: Translate): void {
  const text = clip(textOf(translateError(err, node.type, t)), ERROR_MAX);
  node.error(text);
  node.status({ fill: 'red', shape: 'dot', text: statusOf(err) });
  node.on('input', (_msg, _send, done) => done(new Error(`node not started: ${text}`)));
}

/** Reads a context-store value through the callback API (works with sync and async stores). */
export function contextGet(ctx: ReturnType<Node['context']>, key: string, store: string | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    ctx.get(key, store as string, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value)));
  });
}

/** Writes a context-store value through the callback API. */
export function contextSet(
  ctx: ReturnType<Node['context']>,
  key: string,
  value: unknown,
  store: string | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    ctx.set(key, value, store as string, (err?: Error) => (err ? reject(err) : resolve()));
  });
}
