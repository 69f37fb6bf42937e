/**
 * sequence-windower: readings in, sliding windows out (output 1: the newest
 * window for predict; output 2: labelled training windows / the batch dataset).
 * Glue only: the windowing lives in core/data/windower.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { ForecastError, describe } from './core/base/errors';
import { fail } from './core/base/messages';
import { parseTime } from './core/base/time';
import { Windower, parseWindowerConfig, type WindowerConfig } from './core/data/windower';
import {
  contextGet,
  contextSet,
  onInput,
  refuse,
  storeUnavailable,
  warnThrottle,
  type Done,
  type Send,
} from './glue/node-util';

interface WindowerNodeDef extends NodeDef, Partial<Record<keyof WindowerConfig, string | number>> {
  persist?: boolean;
  store?: string;
}

/**
 * Keep buffers, stored layout: one context key per series (`windower_s<slot>`) and a
 * small index (`windower_index`: the settings and each series' slot), so a message
 * writes only its own series (and the index when the set of series changes). The
 * index is written after the series it names, so it never points at a missing one.
 * `windower` is the layout of earlier versions (one key for everything): read once,
 * rewritten in this layout on the first save, then deleted.
 */
const INDEX_KEY = 'windower_index';
const LEGACY_KEY = 'windower';
const slotKey = (slot: number): string => `windower_s${slot}`;

interface StoredIndex {
  format: 'sequence-windower-index';
  settings: string;
  /** [series, slot] pairs (an array, so any series name is safe: __proto__, constructor). */
  slots: [string, number][];
}

function isIndex(v: unknown): v is StoredIndex {
  const o = v as StoredIndex | undefined;
  return (
    !!o &&
    typeof o === 'object' &&
    o.format === 'sequence-windower-index' &&
    typeof o.settings === 'string' &&
    Array.isArray(o.slots) &&
    o.slots.every((p) => Array.isArray(p) && typeof p[0] === 'string' && Number.isInteger(p[1]) && p[1] >= 0)
  );
}

/** After a failed read of the saved buffers, messages fail fast for this long before the next read is tried. */
const LOAD_RETRY_MS = 1000;
/** Messages waiting for a slow store before new ones are refused. */
const MAX_PENDING = 10000;
/** Longest a close waits for the message being saved. */
const CLOSE_WAIT_MS = 5000;
/** Bounds of this node's texts: status (the editor shows a few words) and error messages. */
const STATUS_CHARS = 20;
const ERROR_CHARS = 1000;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** The same error with its text bounded (a 10 KB topic or feature name must not make a 10 KB error). */
function bounded(err: unknown): unknown {
  if (!(err instanceof Error) || err.message.length <= ERROR_CHARS) return err;
  const text = cut(err.message, ERROR_CHARS);
  return err instanceof ForecastError
    ? new ForecastError(
        err.code,
        text,
        cut(err.status, STATUS_CHARS),
        err.id ? { id: err.id, params: err.params ?? {} } : undefined,
      )
    : new Error(text);
}

/** What a node hands to its successor on a redeploy. */
interface Carried {
  state: unknown;
  /** The stored layout's slots (keep buffers), when the saved state had been read. */
  slots?: [string, number][];
}

/**
 * Buffers handed from a node to its successor on a redeploy (same node id, same
 * process). Node-RED deletes a node's context on every close when no context
 * store is configured, so this keeps a redeploy seamless whatever the settings.
 */
const carried = new Map<string, Carried>();

export = function (RED: NodeAPI): void {
  function SequenceWindowerNode(this: Node, def: WindowerNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let windower: Windower;
    try {
      const { persist: _p, store: _s, ...raw } = def;
      const picked: Record<string, unknown> = {};
      for (const k of Object.keys(raw)) picked[k] = (raw as Record<string, unknown>)[k];
      windower = new Windower(parseWindowerConfig(picked));
    } catch (err) {
      refuse(node, err, RED._);
      return;
    }
    const cfg = windower.config;
    const store = def.store || undefined;
    const storeName = store ? ` in context store '${store}'` : '';
    const persist = def.persist === true;
    const throttled = warnThrottle(node);
    const warn = (text: string): void => throttled(cut(text, ERROR_CHARS));
    const ctx = node.context();

    /** Series -> its slot in the store, for series whose state is stored. */
    const slots = new Map<string, number>();
    /** Has the saved state been read? Nothing is written before: it would overwrite buffers not yet read. */
    let loaded = !persist;
    /** Write every series and the index on the next save (a migrated or discarded saved state). */
    let rewriteAll = false;
    let legacyToDelete = false;
    let lastLoadFailure: { at: number; error: Error } | undefined;

    const handed = carried.get(node.id);
    carried.delete(node.id);
    if (handed !== undefined && windower.restore(handed.state)) {
      node.debug(`kept ${windower.seriesCount} series across the redeploy`);
      if (persist && handed.slots) {
        for (const [k, n] of handed.slots) if (windower.buffered(k) > 0) slots.set(k, n);
        loaded = true;
      }
    } else if (handed !== undefined) {
      windower.reset();
    }

    const freeSlot = (): number => {
      const used = new Set(slots.values());
      let n = 0;
      while (used.has(n)) n++;
      return n;
    };
    const indexOf = (): StoredIndex => ({
      format: 'sequence-windower-index',
      settings: windower.settingsKey,
      slots: [...slots],
    });
    const dropKey = (key: string): Promise<void> =>
      contextSet(ctx, key, undefined, store).catch((err) =>
        warn(`could not delete the stale context key ${key}: ${(err as Error).message}`),
      );

    /** Reads the saved buffers (both layouts). Throws when the store cannot be read; the windower stays empty then. */
    async function load(): Promise<void> {
      const index = await contextGet(ctx, INDEX_KEY, store);
      if (index !== undefined) {
        if (!isIndex(index) || index.settings !== windower.settingsKey) {
          node.warn(
            isIndex(index)
              ? 'saved window buffers were made with other settings (window, horizon, features or target): starting empty'
              : 'saved window buffers are not in a known format: starting empty',
          );
          if (isIndex(index)) await Promise.all(index.slots.map(([, n]) => dropKey(slotKey(n))));
          rewriteAll = true;
          return;
        }
        const values = await Promise.all(index.slots.map(([, n]) => contextGet(ctx, slotKey(n), store)));
        const series: Record<string, unknown> = Object.create(null);
        index.slots.forEach(([k], i) => (series[k] = values[i]));
        windower.restore({ format: 'sequence-windower-state', settings: index.settings, series });
        slots.clear();
        for (const [k, n] of index.slots) if (windower.buffered(k) > 0) slots.set(k, n);
        if (slots.size < index.slots.length) {
          node.warn(`skipped ${index.slots.length - slots.size} malformed saved series`);
          rewriteAll = true;
        }
      } else {
        const old = await contextGet(ctx, LEGACY_KEY, store);
        if (old === undefined) return;
        if (!windower.restore(old))
          node.warn(
            'saved window buffers were made with other settings (window, horizon, features or target): starting empty',
          );
        rewriteAll = true;
        legacyToDelete = true;
      }
      if (windower.seriesCount) node.log(`restored ${windower.seriesCount} series${storeName}`);
    }

    async function ensureLoaded(): Promise<void> {
      if (loaded) return;
      if (!lastLoadFailure || Date.now() - lastLoadFailure.at >= LOAD_RETRY_MS) {
        try {
          await load();
          loaded = true;
          lastLoadFailure = undefined;
          return;
        } catch (err) {
          windower.reset();
          slots.clear();
          lastLoadFailure = { at: Date.now(), error: err instanceof Error ? err : new Error(String(err)) };
        }
      }
      throw storeUnavailable(
        'could not read the saved window buffers',
        store,
        lastLoadFailure.error,
        'messages are refused and nothing is written until they can be read (tried again on a later message)',
      );
    }

    /**
     * Stores what a transaction changed. Throws when the store fails; the caller
     * then undoes the transaction, and the slots taken here are given back.
     */
    async function save(changed: string[], removed: string[]): Promise<void> {
      if (!persist) return;
      const write = rewriteAll ? windower.seriesNames() : changed;
      const taken: string[] = [];
      for (const k of write)
        if (!slots.has(k)) {
          slots.set(k, freeSlot());
          taken.push(k);
        }
      const gone = removed.filter((k) => slots.has(k));
      try {
        await Promise.all(
          write.map((k) => contextSet(ctx, slotKey(slots.get(k) as number), windower.exportSeries(k), store)),
        );
        if (rewriteAll || taken.length || gone.length) {
          const index = indexOf();
          index.slots = index.slots.filter(([k]) => !gone.includes(k));
          await contextSet(ctx, INDEX_KEY, index, store);
        }
      } catch (err) {
        for (const k of taken) slots.delete(k);
        throw err;
      }
      rewriteAll = false;
      const freed = gone.map((k) => {
        const n = slots.get(k) as number;
        slots.delete(k);
        return n;
      });
      await Promise.all(freed.map((n) => dropKey(slotKey(n))));
      if (legacyToDelete) {
        legacyToDelete = false;
        await dropKey(LEGACY_KEY);
      }
    }

    /** Runs a change to the buffers and stores it; a failed store write undoes it, so a failed message changes nothing. */
    async function commit<T>(fn: () => T): Promise<T> {
      if (!persist) return fn();
      const change = windower.transaction(fn);
      try {
        await save(change.changed, change.removed);
      } catch (err) {
        change.undo();
        throw storeUnavailable('could not save the window buffers', store, err, 'the message was not applied');
      }
      return change.result;
    }

    const status = (fill: 'grey' | 'blue' | 'green' | 'yellow', shape: 'ring' | 'dot', text: string): void =>
      node.status({ fill, shape, text: cut(text, STATUS_CHARS) });
    // Status texts come from the catalogue (nodes/locales/<lang>/sequence-windower.json) and stay under 20
    // characters, as core nodes' do; the details go to the messages and the log.
    const say = (id: string, values: Record<string, string | number> = {}): string =>
      RED._(`sequence-windower.status.${id}`, values);
    const idle = () =>
      status(
        'grey',
        'ring',
        say(cfg.horizon ? 'idleHorizon' : 'idle', { mode: cfg.mode, window: cfg.window, horizon: cfg.horizon }),
      );
    idle();

    async function handle(msg: NodeMessageInFlow & Record<string, unknown>, send: Send, done: Done): Promise<void> {
      await ensureLoaded();
      const series = msg.topic === undefined || msg.topic === null ? '' : String(msg.topic);
      if (msg.reset !== undefined && msg.reset !== false) {
        const which =
          typeof msg.reset === 'string'
            ? msg.reset === '*'
              ? undefined
              : msg.reset
            : series === ''
              ? undefined
              : series;
        const n = await commit(() => windower.reset(which));
        status(
          'blue',
          'ring',
          which === undefined ? say('resetAll', { count: n }) : say('resetOne', { series: cut(which, 12) }),
        );
        done();
        return;
      }
      const out = (payload: unknown): NodeMessage => ({ ...msg, payload }) as NodeMessage;
      const readings: unknown =
        cfg.property === 'payload' ? msg.payload : RED.util.getMessageProperty(msg, cfg.property);
      if (readings === undefined) {
        const id = cfg.mode === 'batch' ? 'windowerNode.noReadings' : 'windowerNode.noReading';
        throw fail('BAD_INPUT', id, { property: cfg.property }, 'no reading');
      }
      const stamped = msg.timestamp === undefined ? undefined : parseTime(msg.timestamp);
      if (msg.timestamp !== undefined && stamped === undefined) {
        throw fail('BAD_TIMESTAMP', 'windowerNode.badTimestamp', { got: describe(msg.timestamp) }, 'bad timestamp');
      }
      if (cfg.mode === 'batch') {
        const r = windower.batch(series, readings, stamped ?? Date.now());
        r.warnings.forEach(warn);
        send([r.latest ? out(r.latest) : null, r.dataset ? out(r.dataset) : null]);
        status(
          r.dataset ? 'green' : 'yellow',
          'dot',
          say('batch', { readings: r.readings, windows: r.dataset ? r.dataset.count : 0 }),
        );
        done();
        return;
      }
      // Readings without their own time are stamped by arrival: a burst within one millisecond keeps its order.
      const r = await commit(() =>
        windower.push(series, readings, stamped ?? Date.now(), { arrival: stamped === undefined }),
      );
      r.warnings.forEach(warn);
      if (r.forecast || r.training) send([r.forecast ? out(r.forecast) : null, r.training ? out(r.training) : null]);
      const full = r.buffered >= cfg.window;
      status(
        full ? 'green' : 'yellow',
        full ? 'dot' : 'ring',
        say(windower.seriesCount > 1 ? 'fillingSeries' : 'filling', {
          n: Math.min(r.buffered, cfg.window),
          window: cfg.window,
          count: windower.seriesCount,
        }),
      );
      done();
    }

    // One message at a time: a message's store write must finish (or be undone) before the next one changes the buffers.
    let queue: Promise<void> = Promise.resolve();
    let pending = 0;
    onInput(node, RED._, (msg, send, done) => {
      if (pending >= MAX_PENDING)
        throw fail('LIMIT', 'windowerNode.storeTooSlow', { max: MAX_PENDING }, 'store too slow');
      pending++;
      const run = queue.then(() =>
        handle(msg, send, done).catch((err) => {
          throw bounded(err);
        }),
      );
      queue = run.then(
        () => void pending--,
        () => void pending--,
      );
      return run;
    });
    if (persist && !loaded) queue = ensureLoaded().catch((err) => node.warn((err as Error).message));

    node.on('close', (removed: boolean, closeDone: () => void) => {
      const finish = () => {
        node.status({});
        closeDone();
      };
      // Bounded: a store that stops answering must not hold up Node-RED's shutdown.
      let timer: NodeJS.Timeout | undefined;
      const settled = Promise.race([queue, new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
      settled.then(() => {
        clearTimeout(timer);
        // A deleted node forgets its buffers; a redeploy or restart keeps them (each message was saved already).
        if (removed) {
          if (persist && loaded) {
            const keys = [INDEX_KEY, LEGACY_KEY, ...[...slots.values()].map(slotKey)];
            Promise.all(keys.map(dropKey)).then(finish, finish);
          } else finish();
          return;
        }
        carried.set(node.id, { state: windower.snapshot(), slots: persist && loaded ? [...slots] : undefined });
        finish();
      }, finish);
    });
  }

  RED.nodes.registerType('sequence-windower', SequenceWindowerNode);
};
