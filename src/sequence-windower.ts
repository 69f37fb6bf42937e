/**
 * sequence-windower: readings in, sliding windows out (output 1: the newest
 * window for predict; output 2: labelled training windows / the batch dataset).
 * Glue only: the windowing lives in core/data/windower.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError, describe } from './core/base/errors';
import { parseTime } from './core/base/time';
import { Windower, parseWindowerConfig, type WindowerConfig } from './core/data/windower';
import { contextGet, contextSet, onInput, refuse, warnThrottle } from './glue/node-util';

interface WindowerNodeDef extends NodeDef, Partial<Record<keyof WindowerConfig, string | number>> {
  persist?: boolean;
  store?: string;
}

const STATE_KEY = 'windower';

/**
 * Buffers handed from a node to its successor on a redeploy (same node id, same
 * process). Node-RED deletes a node's context on every close when no context
 * store is configured, so this keeps a redeploy seamless whatever the settings.
 */
const carried = new Map<string, unknown>();

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
      refuse(node, err);
      return;
    }
    const cfg = windower.config;
    const store = def.store || undefined;
    const persist = def.persist === true;
    const warn = warnThrottle(node);
    const ctx = node.context();

    const handed = carried.get(node.id);
    carried.delete(node.id);
    if (handed !== undefined && windower.restore(handed))
      node.debug(`kept ${windower.seriesCount} series across the redeploy`);

    // Persistence: restore the buffers before the first message is handled.
    const ready: Promise<void> =
      persist && handed === undefined
        ? contextGet(ctx, STATE_KEY, store)
            .then((state) => {
              if (state === undefined) return;
              if (windower.restore(state))
                node.log(`restored ${windower.seriesCount} series from context${store ? ` store '${store}'` : ''}`);
              else
                node.warn(
                  'stored window buffers were made with other settings (window, horizon, features or target): starting empty',
                );
            })
            .catch((err) => node.warn(`could not read stored window buffers: ${(err as Error).message}`))
        : Promise.resolve();
    const save = (): Promise<void> =>
      persist ? contextSet(ctx, STATE_KEY, windower.snapshot(), store) : Promise.resolve();

    const idle = () =>
      node.status({
        fill: 'grey',
        shape: 'ring',
        text: `${cfg.mode}: window ${cfg.window}${cfg.horizon ? ` + ${cfg.horizon}` : ''}`,
      });
    idle();

    onInput(node, async (msg, send, done) => {
      await ready;
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
        const n = windower.reset(which);
        await save();
        node.status({
          fill: 'blue',
          shape: 'ring',
          text: which === undefined ? `reset all (${n} series)` : `reset '${which}'`,
        });
        done();
        return;
      }
      const out = (payload: unknown): NodeMessage => ({ ...msg, payload }) as NodeMessage;
      if (cfg.mode === 'batch') {
        const start = parseTime(msg.timestamp) ?? Date.now();
        const r = windower.batch(series, msg.payload, start);
        r.warnings.forEach(warn);
        send([r.latest ? out(r.latest) : null, r.dataset ? out(r.dataset) : null]);
        node.status({
          fill: r.dataset ? 'green' : 'yellow',
          shape: 'dot',
          text: `${r.readings} readings -> ${r.dataset ? r.dataset.count : 0} windows${series ? ` (${series})` : ''}`,
        });
        done();
        return;
      }
      const time = msg.timestamp === undefined ? Date.now() : parseTime(msg.timestamp);
      if (time === undefined) {
        throw new ForecastError(
          'BAD_TIMESTAMP',
          `expected msg.timestamp as epoch ms or an ISO 8601 string, got ${describe(msg.timestamp)}`,
          'bad timestamp',
        );
      }
      const r = windower.push(series, msg.payload, time);
      r.warnings.forEach(warn);
      await save();
      if (r.forecast || r.training) send([r.forecast ? out(r.forecast) : null, r.training ? out(r.training) : null]);
      const full = r.buffered >= cfg.window;
      node.status({
        fill: full ? 'green' : 'yellow',
        shape: full ? 'dot' : 'ring',
        text: `${windower.seriesCount} series; ${series || 'last'}: ${Math.min(r.buffered, cfg.window)}/${cfg.window}`,
      });
      done();
    });

    node.on('close', (removed: boolean, closeDone: () => void) => {
      const finish = () => {
        node.status({});
        closeDone();
      };
      // A deleted node forgets its buffers; a redeploy or restart keeps them.
      if (removed) {
        if (persist) contextSet(ctx, STATE_KEY, undefined, store).then(finish, finish);
        else finish();
        return;
      }
      carried.set(node.id, windower.snapshot());
      save().then(finish, finish);
    });
  }

  RED.nodes.registerType('sequence-windower', SequenceWindowerNode);
};
