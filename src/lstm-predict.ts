/**
 * lstm-predict: forecasts the next H steps of a window with the model stored
 * under a name in a context store. The live model is cached and rebuilt when
 * the stored artifact changes (a new training run, another instance).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError } from './core/base/errors';
import { Forecaster } from './core/serve/forecaster';
import { chartPoints, featureMismatch, forecastPayload, readPredictInput } from './core/serve/forecast-message';
import { onInput, refuse } from './glue/node-util';
import {
  checkModelName,
  describeLocation,
  parseModelLocation,
  readArtifact,
  type ModelLocation,
} from './glue/model-store';
import { groupParser, parseAll } from './glue/node-settings';
import { PREDICT_NODE_SETTINGS, type PredictNodeSettings } from './core/settings/predict-node';
import { startBackend } from './glue/backend-status';

type PredictNodeDef = NodeDef & Record<string, unknown>;

const parseOwn = groupParser(PREDICT_NODE_SETTINGS, 'lstm-predict setting');

export = function (RED: NodeAPI): void {
  function LstmPredictNode(this: Node, def: PredictNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let base: ModelLocation;
    let settings: PredictNodeSettings;
    try {
      ({ base, settings } = parseAll<{ base: ModelLocation; settings: PredictNodeSettings }>('lstm-predict', {
        base: () => parseModelLocation(def),
        settings: () => parseOwn(def),
      }));
    } catch (err) {
      refuse(node, err);
      return;
    }
    const chart = settings.output === 'chart';
    /** Live models by name, each with the id of the artifact it was built from. */
    const live = new Map<string, { id: string; forecaster: Forecaster }>();
    const loading = new Map<string, Promise<Forecaster>>();
    let closed = false;
    let backend = '';
    const ready = startBackend(RED).then((b) => {
      backend = b.name;
      node.status({ fill: 'grey', shape: 'ring', text: `model '${base.name}' (${b.name})` });
    });

    /** The live model for the stored artifact, rebuilt when the artifact's id changed. */
    const forecasterFor = async (loc: ModelLocation): Promise<Forecaster> => {
      const stored = (await readArtifact(node, loc)) as { id?: unknown } | undefined;
      if (stored === undefined || stored === null) {
        throw new ForecastError(
          'NO_MODEL',
          `no model '${loc.name}' in ${describeLocation(loc)}: train one first (an lstm-train node with model name '${loc.name}', same scope and store)`,
          'no model',
        );
      }
      const cached = live.get(loc.name);
      if (cached && cached.id === stored.id) return cached.forecaster;
      // One load per artifact even when messages arrive while it loads (no orphaned models).
      const key = `${loc.name}\u0000${String(stored.id)}`;
      let pending = loading.get(key);
      if (!pending) {
        // Rebuilt from the stored topology (custom layers keep their saved config); throws BAD_ARTIFACT, the old model stays cached.
        pending = Forecaster.load(stored).then((forecaster) => {
          if (closed) {
            forecaster.dispose();
            throw new ForecastError('NO_MODEL', 'the node was closed while the model loaded', 'closed');
          }
          live.get(loc.name)?.forecaster.dispose();
          live.set(loc.name, { id: forecaster.artifact.id, forecaster });
          node.log(`loaded model '${loc.name}' v${forecaster.artifact.version} (${forecaster.artifact.model.type})`);
          return forecaster;
        });
        loading.set(key, pending);
        pending.then(
          () => loading.delete(key),
          () => loading.delete(key),
        );
      }
      return pending;
    };

    onInput(node, async (msg, send, done) => {
      await ready;
      // msg.model: a name, or the {name, ...} that lstm-train's report carries.
      const override =
        msg.model !== null && typeof msg.model === 'object' && !Array.isArray(msg.model)
          ? (msg.model as { name?: unknown }).name
          : msg.model;
      const loc = override === undefined ? base : { ...base, name: checkModelName(override) };
      const forecaster = await forecasterFor(loc);
      const { input, windows, times } = readPredictInput(msg.payload);
      const spec = forecaster.artifact.spec;
      const differs = featureMismatch(spec.features, input.features);
      if (differs) throw new ForecastError('SPEC_MISMATCH', `model '${loc.name}' ${differs}`, 'features differ');
      const started = process.hrtime.bigint();
      const prediction = forecaster.predict(windows);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const payloads = windows.map((w, i) =>
        forecastPayload(forecaster.artifact, prediction, i, w, times[i], input.step, input.series),
      );
      const one = payloads[payloads.length - 1];
      if (chart) {
        const points = payloads.flatMap((p) => chartPoints(p));
        send({
          ...msg,
          topic: `${spec.target} forecast`,
          payload: points,
          forecast: input.type === 'window' ? one : payloads,
        } as NodeMessage);
      } else {
        send({ ...msg, payload: input.type === 'window' ? one : payloads } as NodeMessage);
      }
      node.status({
        fill: 'green',
        shape: 'dot',
        text: `v${one.version}: ${one.forecast.length} steps, ${ms.toFixed(1)} ms (${backend})`,
      });
      done();
    });

    node.on('close', () => {
      closed = true;
      for (const { forecaster } of live.values()) forecaster.dispose();
      live.clear();
    });
  }

  RED.nodes.registerType('lstm-predict', LstmPredictNode);
};
