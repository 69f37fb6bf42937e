/**
 * Shared node glue: the one error path, status helpers and a warning throttle.
 * Only this folder and the node entry files touch Node-RED.
 */
import type { Node, NodeMessageInFlow, NodeMessage } from 'node-red';
import { ForecastError } from '../core/base/errors';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;
export type Handler = (
  msg: NodeMessageInFlow & Record<string, unknown>,
  send: Send,
  done: Done,
) => void | Promise<void>;

/** Short status text of an error (the ForecastError's own, else its first words). */
export function statusOf(err: unknown): string {
  if (err instanceof ForecastError) return err.status;
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 40 ? text.slice(0, 37) + '...' : text;
}

/** Red ring status with the error's short text. */
export function errorStatus(node: Node, err: unknown): void {
  node.status({ fill: 'red', shape: 'ring', text: statusOf(err) });
}

/**
 * Wraps an input handler so every failure takes one path: a red status,
 * `msg.error`-style reporting through `done(err)` (Catch nodes see it), and
 * never an exception into the runtime. The handler's own state is untouched
 * because the core throws before it mutates anything.
 */
export function onInput(node: Node, handler: Handler): void {
  node.on('input', (msg, send, done) => {
    const fail = (err: unknown): void => {
      errorStatus(node, err);
      done(err instanceof Error ? err : new Error(String(err)));
    };
    try {
      const r = handler(msg as NodeMessageInFlow & Record<string, unknown>, send as Send, done as Done);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(fail);
    } catch (err) {
      fail(err);
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
      node.warn(held ? `${text} (+${held} similar warnings not shown)` : text);
      last = now;
      held = 0;
    } else {
      held++;
    }
  };
}

/** A config that failed validation: the node stays deployed but inert, with a red status saying why. */
export function refuse(node: Node, err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
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
