/**
 * lstm-predict: forecasts the next H steps of a window with the model stored
 * under a name in a context store. The live model is cached (at most maxModels,
 * least recently used freed first), the store re-read at most every `refresh` ms
 * per model, and the model rebuilt when the stored artifact changes. With
 * `{topic}` in the model name each message is forecast by its topic's model
 * (msg.model, when set, names the model outright).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError, describe } from './core/base/errors';
import { fail } from './core/base/messages';
import { Forecaster } from './core/serve/forecaster';
import { PredictBatcher, type BatchResult } from './core/serve/batcher';
import {
  chartLines,
  chartPoints,
  featureMismatch,
  forecastPayload,
  readPredictInput,
} from './core/serve/forecast-message';
import { ERROR_MAX, clip, onInput, refuse, statusText } from './glue/node-util';
import {
  checkModelName,
  describeLocation,
  locationFor,
  nodeEnv,
  parseModelLocation,
  readArtifact,
  type ModelLocation,
} from './glue/model-store';
import { groupParser, parseAll } from './glue/node-settings';
import {
  DEFAULT_PREDICT_NODE_SETTINGS,
  PREDICT_NODE_SETTINGS,
  type PredictNodeSettings,
} from './core/settings/predict-node';
import { startBackend } from './glue/backend-status';
import { StreamMonitor, parseLevels, type AnomalyScore } from './core/serve/intervals';
import { attributeForecast, payloadAttribution } from './core/analysis/attribution';
import { calibrationFor } from './core/data/conformal';
import { MODEL_NAME_EXPECT, MODEL_NAME_PATTERN } from './core/settings/model-name';

type PredictNodeDef = NodeDef & Record<string, unknown>;

/** A live model and when the store was last read for it. */
interface Live {
  /** Id of the artifact it was built from. */
  id: string;
  forecaster: Forecaster;
  /** Date.now() of the last store read (successful or not). */
  checkedAt: number;
  /** A newer stored artifact that failed to load, and why (rethrown until the stored one changes). */
  rejected?: { id: string; error: unknown };
}

/** The model a message is forecast with; storeFailed: the store could not be read, this is the cached one. */
interface Served {
  forecaster: Forecaster;
  storeFailed: boolean;
}

const MODEL_NAME = new RegExp(MODEL_NAME_PATTERN);
/** Most messages one node holds while they wait for a model load or a batch (each holds its windows). */
const WAITING_MAX = 10000;

const parseOwn = groupParser(PREDICT_NODE_SETTINGS, 'lstm-predict setting');

/**
 * A message's stream: msg.topic, else the window's series, else "". It picks the per-series calibration and, in a
 * model of several series, the series' carried Holt-Winters state.
 */
function streamOf(msg: NodeMessage, series: string | undefined): string {
  return typeof msg.topic === 'string' && msg.topic ? msg.topic : (series ?? '');
}

export = function (RED: NodeAPI): void {
  function LstmPredictNode(this: Node, def: PredictNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let base: ModelLocation;
    let settings: PredictNodeSettings;
    let levels: number[];
    try {
      ({ base, settings, levels } = parseAll<{ base: ModelLocation; settings: PredictNodeSettings; levels: number[] }>(
        'lstm-predict',
        {
          base: () => parseModelLocation(def, nodeEnv(RED, node)),
          settings: () => parseOwn(def),
          levels: () => parseLevels(typeof def.levels === 'string' ? def.levels : DEFAULT_PREDICT_NODE_SETTINGS.levels),
        },
      ));
    } catch (err) {
      refuse(node, err, RED._);
      return;
    }
    const chart = settings.output === 'chart';
    /**
     * Live models by name, least recently used first (Map order), at most
     * settings.maxModels: msg.model can name any number of models.
     */
    const live = new Map<string, Live>();
    /** One store read (and load) per model at a time, shared by the messages that wait for it. */
    const reading = new Map<string, Promise<Served>>();
    /** Models whose last store read failed: one warning per outage, not per message. */
    const outage = new Set<string>();
    const monitor = new StreamMonitor({
      levels,
      adaptRate: settings.adaptRate,
      recalibrate: settings.recalibrate,
      threshold: settings.threshold,
      maxStreams: settings.maxStreams,
    });
    /** Artifacts already warned about for having no calibration: one warning per model version. */
    const uncalibrated = new Set<string>();
    let closed = false;
    const batcher = new PredictBatcher({ wait: settings.batchWait, maxWindows: settings.maxBatch });
    /** Messages between arrival and their forecast (waiting for the backend, a model or a batch). */
    let waiting = 0;
    const closedError = (): ForecastError => fail('CANCELLED', 'predictNode.closedBeforeForecast', {}, 'closed');
    let attributionWarned = false;
    let backend = '';
    // Statuses from the catalogue (nodes/locales/<lang>/lstm-predict.json), under 20 characters as core nodes' are;
    // the path (kernel or backend), steps and timings are in the log at debug level and in the message.
    const say = (id: string, values: Record<string, string | number>): string =>
      RED._(`lstm-predict.status.${id}`, values);
    const ready = startBackend(RED).then((b) => {
      backend = b.name;
      node.status({ fill: 'grey', shape: 'ring', text: statusText(say('ready', { backend: b.name })) });
    });

    const drop = (name: string): void => {
      live.get(name)?.forecaster.dispose();
      live.delete(name);
    };

    /** Re-reads the stored artifact and rebuilds the live model when its id changed. */
    const refreshModel = async (loc: ModelLocation): Promise<Served> => {
      let stored: { id?: unknown } | undefined | null;
      try {
        stored = (await readArtifact(node, loc)) as { id?: unknown } | undefined;
      } catch (err) {
        const cached = live.get(loc.name);
        if (!cached || closed) throw err;
        // A store blip must not stop forecasts from a model held in memory; try the store again after `refresh`.
        cached.checkedAt = Date.now();
        if (!outage.has(loc.name)) {
          outage.add(loc.name);
          node.warn(
            clip(
              `${(err as Error).message}; forecasting with the cached model v${cached.forecaster.artifact.version} ` +
                'until the store answers again',
              ERROR_MAX,
            ),
          );
        }
        return { forecaster: cached.forecaster, storeFailed: true };
      }
      if (outage.delete(loc.name)) node.log(`the store answers again for model '${loc.name}'`);
      const cached = live.get(loc.name);
      if (stored === undefined || stored === null) {
        drop(loc.name);
        throw fail('NO_MODEL', 'predictNode.noModel', { name: loc.name, location: describeLocation(loc) }, 'no model');
      }
      const id = String(stored.id);
      if (cached && cached.id === id) {
        cached.checkedAt = Date.now();
        cached.rejected = undefined;
        return { forecaster: cached.forecaster, storeFailed: false };
      }
      // The same broken artifact is not parsed again on every message.
      if (cached?.rejected && cached.rejected.id === id) {
        cached.checkedAt = Date.now();
        throw cached.rejected.error;
      }
      let forecaster: Forecaster;
      try {
        // Rebuilt from the stored topology (custom layers keep their saved config); throws BAD_ARTIFACT, the old model stays cached.
        forecaster = await Forecaster.load(stored);
      } catch (err) {
        const c = live.get(loc.name);
        if (c) {
          c.checkedAt = Date.now();
          c.rejected = { id, error: err };
        }
        throw err;
      }
      if (closed) {
        forecaster.dispose();
        throw fail('NO_MODEL', 'predictNode.closed', {}, 'closed');
      }
      drop(loc.name);
      live.set(loc.name, { id: forecaster.artifact.id, forecaster, checkedAt: Date.now() });
      while (live.size > settings.maxModels) drop(live.keys().next().value as string);
      node.log(`loaded model '${loc.name}' v${forecaster.artifact.version} (${forecaster.artifact.model.type})`);
      return { forecaster, storeFailed: false };
    };

    /** The live model: from memory within `refresh` ms of the last store read, else re-read. */
    const forecasterFor = (loc: ModelLocation): Promise<Served> => {
      const cached = live.get(loc.name);
      if (cached) {
        live.delete(loc.name);
        live.set(loc.name, cached);
        if (Date.now() - cached.checkedAt < settings.refresh) {
          if (cached.rejected) return Promise.reject(cached.rejected.error);
          return Promise.resolve({ forecaster: cached.forecaster, storeFailed: outage.has(loc.name) });
        }
      }
      let pending = reading.get(loc.name);
      if (!pending) {
        pending = refreshModel(loc);
        reading.set(loc.name, pending);
        const forget = () => {
          if (reading.get(loc.name) === pending) reading.delete(loc.name);
        };
        pending.then(forget, forget);
      }
      return pending;
    };

    onInput(node, RED._, async (msg, send, done) => {
      await ready;
      // msg.model: a name, or the {name, ...} that lstm-train's report carries.
      const override =
        msg.model !== null && typeof msg.model === 'object' && !Array.isArray(msg.model)
          ? (msg.model as { name?: unknown }).name
          : msg.model;
      if (override !== undefined && (typeof override !== 'string' || !MODEL_NAME.test(override))) {
        const values = { expected: MODEL_NAME_EXPECT, got: describe(override) };
        throw fail('BAD_CONFIG', 'modelName.invalid', values, 'bad model name');
      }
      // msg.model names the model outright; else the config's name, per topic when it holds {topic}.
      const loc =
        override === undefined
          ? locationFor(base, msg.topic)
          : { ...base, perTopic: false, name: checkModelName(override) };
      // Messages that wait for a model (load or re-read) or a batch: bounded, whatever a flow sends at once.
      if (waiting >= WAITING_MAX) {
        throw fail('LIMIT', 'predictNode.tooManyWaiting', { max: WAITING_MAX, name: loc.name }, 'too many waiting');
      }
      waiting++;
      let served: Served;
      let read: ReturnType<typeof readPredictInput>;
      let batch: BatchResult;
      try {
        for (let attempt = 0; ; attempt++) {
          served = await forecasterFor(loc);
          // Another message's load may have evicted this model (maxModels) before this one resumed: fetch it again.
          for (let i = 0; i < 3 && served.forecaster.disposed; i++) served = await forecasterFor(loc);
          if (closed) throw closedError();
          read = readPredictInput(msg.payload);
          const differs = featureMismatch(served.forecaster.artifact.spec.features, read.input.features);
          if (differs)
            throw fail('SPEC_MISMATCH', 'predictNode.specDiffers', { name: loc.name, differs }, 'features differ');
          try {
            // Forecast together with the other messages for this model that arrive within batchWait.
            batch = await batcher.submit(served.forecaster, read.windows, streamOf(msg, read.input.series));
            break;
          } catch (err) {
            // Evicted (maxModels) or replaced while it waited in a batch: once more with the live one.
            if (!served.forecaster.disposed || closed || attempt >= 2) throw err;
          }
        }
      } finally {
        waiting--;
      }
      const { forecaster } = served;
      const { input, windows, times } = read;
      const spec = forecaster.artifact.spec;
      const { prediction, ms } = batch;
      const payloads = windows.map((w, i) =>
        forecastPayload(forecaster.artifact, prediction, i, w, times[i], input.step, input.series),
      );
      const { artifact } = forecaster;
      const topic = streamOf(msg, input.series);
      // A model trained on several series keeps a calibration per series: this stream's, else the pooled one.
      const cal = artifact.calibration && calibrationFor(artifact.calibration, topic);
      const scores: AnomalyScore[] = [];
      if (cal) {
        payloads.forEach((p, i) => {
          const r = monitor.next(
            artifact.id,
            topic,
            cal,
            spec.targetIndex,
            windows[i],
            times[i],
            p.forecast,
            p.timestamps,
            p.step,
          );
          if (levels.length) p.intervals = r.intervals;
          scores.push(...r.scores);
        });
      } else if (!uncalibrated.has(artifact.id)) {
        if (uncalibrated.size >= settings.maxModels * 4) uncalibrated.clear();
        uncalibrated.add(artifact.id);
        node.warn(
          `model '${artifact.name}' v${artifact.version} has no interval calibration (trained before intervals, ` +
            'or its validation forecasts were not finite): forecasts come without intervals and anomaly scores; retrain it to get them',
        );
      }
      // The reading that stands out most in this message: the worst anomalous one, else the newest scored.
      const anomalous = scores.filter((a) => a.anomalous);
      const anomaly = anomalous.length
        ? anomalous.reduce((a, b) => (b.score > a.score ? b : a))
        : scores[scores.length - 1];
      const extra = anomaly ? { anomaly } : {};
      const one = payloads[payloads.length - 1];
      const model = forecaster.layersModel;
      // One window only: a dataset of windows would multiply the cost of the gradients.
      if (settings.attribution && input.type === 'window' && model) {
        try {
          const a = attributeForecast(
            model,
            { scaler: forecaster.artifact.scaler, targetIndex: spec.targetIndex, horizon: spec.horizon, series: topic },
            windows[0],
            settings.attributionSteps,
          );
          const w = windows[0];
          one.attribution = payloadAttribution(a, spec.features, {
            timestamps: times[0] ?? w.map((_, j) => one.origin - (w.length - 1 - j) * one.step),
            values: w.map((r) => r[spec.targetIndex]),
          });
        } catch (err) {
          // Too large a model for an attribution still forecasts; say so once.
          if (!(err instanceof ForecastError && err.code === 'LIMIT')) throw err;
          if (!attributionWarned) node.warn(clip(`no attribution: ${err.message}`, ERROR_MAX));
          attributionWarned = true;
        }
      }
      const via = forecaster.path === 'kernel' ? 'kernel' : backend;
      const alert = anomaly?.anomalous
        ? ({ ...msg, ...extra, topic: msg.topic ?? topic, payload: anomaly } as NodeMessage)
        : null;
      if (chart) {
        // One message per line of the newest forecast (see chartLines), each with the whole forecast.
        const forecast = input.type === 'window' ? one : payloads;
        const lines = chartLines(one).map(
          ({ topic: line, value }) => ({ ...msg, ...extra, topic: line, payload: value, forecast }) as NodeMessage,
        );
        send([lines, alert]);
      } else if (settings.output === 'points') {
        const points = payloads.flatMap((p) => chartPoints(p));
        const forecast = input.type === 'window' ? one : payloads;
        send([{ ...msg, ...extra, topic: `${spec.target} forecast`, payload: points, forecast } as NodeMessage, alert]);
      } else {
        send([{ ...msg, ...extra, payload: input.type === 'window' ? one : payloads } as NodeMessage, alert]);
      }
      const together = batch.messages > 1 ? `, one call for ${batch.messages} messages (${batch.windows} windows)` : '';
      node.debug(`v${one.version}: ${one.forecast.length} steps, ${ms.toFixed(2)} ms (${via})${together}`);
      // One status per batch (each is an event to every open editor): the batch's last message sets it.
      if (batch.index < batch.messages - 1) {
        done();
        return;
      }
      const time = ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
      node.status(
        served.storeFailed
          ? { fill: 'yellow', shape: 'ring', text: statusText(say('cached', { version: one.version })) }
          : {
              fill: 'green',
              shape: 'dot',
              text: statusText(
                batch.messages > 1
                  ? say('forecastBatch', { version: one.version, ms: time, messages: batch.messages })
                  : say('forecast', { version: one.version, ms: time }),
              ),
            },
      );
      done();
    });

    node.on('close', () => {
      closed = true;
      batcher.close(closedError());
      for (const { forecaster } of live.values()) forecaster.dispose();
      live.clear();
      outage.clear();
      monitor.clear();
    });
  }

  RED.nodes.registerType('lstm-predict', LstmPredictNode);
};
