/**
 * lstm-train: trains a forecaster on windows in a worker thread and stores the
 * artifact in a context store under the model name. Output 1: the report;
 * output 2: progress per epoch (one message per loss line, for a default ui-chart). The run lifecycle
 * (reading the stored model, training, msg.stop, close) is glue/train-run.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError } from './core/base/errors';
import { ARTIFACT_FORMAT, validateArtifact } from './core/model/artifact';
import { MODEL_FILE, SETTINGS_FILE, WEIGHTS_FILE, exportArtifact } from './core/model/export';
import { startTraining } from './core/train/runner';
import { WindowAccumulator, datasetToTrainData, type TrainData } from './core/train/train-data';
import type { DatasetPayload, WindowPayload } from './core/data/window-message';
import { startBackend } from './glue/backend-status';
import {
  describeLocation,
  parseModelLocation,
  readArtifact,
  writeArtifact,
  type ModelLocation,
} from './glue/model-store';
import { parseAll } from './glue/node-settings';
import { onInput, refuse, statusText, type Send } from './glue/node-util';
import { RunQueue } from './glue/run-queue';
import { TrainRun, type RunRequest } from './glue/train-run';
import { parseTrainNodeConfig, type TrainNodeSettings } from './glue/train-settings';

type TrainNodeDef = NodeDef & Record<string, unknown>;

const isArtifactLike = (p: unknown): boolean =>
  p !== null && typeof p === 'object' && (p as { format?: unknown }).format === ARTIFACT_FORMAT;

/** The windows of an import request: none (it stores a model, it trains nothing). */
const EMPTY: TrainData = {
  inputs: [],
  targets: [],
  features: [],
  target: '',
  window: 0,
  horizon: 0,
  step: 0,
  series: '',
};

/** Where the model lives and how to train it; every bad setting of both is listed in one error. */
function parseConfig(def: TrainNodeDef): { loc: ModelLocation; settings: TrainNodeSettings } {
  const { loc } = parseAll<{ loc: ModelLocation }>('lstm-train', { loc: () => parseModelLocation(def) });
  return { loc, settings: parseTrainNodeConfig(def, loc.name) };
}

export = function (RED: NodeAPI): void {
  function LstmTrainNode(this: Node, def: TrainNodeDef): void {
    RED.nodes.createNode(this, def);
    let config: ReturnType<typeof parseConfig>;
    try {
      config = parseConfig(def);
    } catch (err) {
      refuse(this, err);
      return;
    }
    const { loc, settings } = config;
    const windows = new WindowAccumulator(settings.maxWindows);
    const run = new TrainRun(
      { name: loc.name, location: describeLocation(loc), settings },
      {
        read: () => readArtifact(this, loc),
        write: (artifact) => writeArtifact(this, loc, artifact),
        train: (request) =>
          startTraining(request, {
            timeoutMs: settings.timeout * 60000,
            memoryLimitMb: settings.memoryLimit,
            limitNames: { timeout: 'timeout setting', memory: 'memoryLimit setting' },
          }),
        status: (status) => this.status({ ...status, text: statusText(String(status.text ?? '')) }),
        warn: (text) => this.warn(text),
        error: (text) => this.error(text),
      },
    );
    startBackend(RED).then(
      (b) => run.ready(b.name),
      () => undefined,
    );

    const busyHint = (): string =>
      run.stateName === 'storing'
        ? 'A trained model is waiting to be stored; it is kept and retried until the store takes it.'
        : 'Send msg.stop to cancel it.';
    const queue = new RunQueue<RunRequest>(settings.overlap, run.queueHooks(), `training of '${loc.name}'`, busyHint);

    /** The windows to train on now; undefined when a streamed window was only collected. */
    const trainDataOf = (payload: unknown, train: boolean): TrainData | undefined => {
      const p = payload as WindowPayload | DatasetPayload | undefined;
      if (p && typeof p === 'object' && p.type === 'dataset') {
        const { data, dropped } = datasetToTrainData(p, settings.maxWindows);
        if (dropped) {
          this.warn(`dataset of ${p.count} windows: training on the newest ${settings.maxWindows} (Keep windows)`);
        }
        return data;
      }
      if (p && typeof p === 'object' && p.type === 'window') {
        windows.add(p);
        const due = settings.trainEvery > 0 && windows.fresh >= settings.trainEvery;
        return due || train ? windows.take() : undefined;
      }
      if (train) return windows.take();
      const got = p === null ? 'null' : Array.isArray(p) ? 'an array' : typeof p;
      const expected = 'a dataset or a training window from the sequence windower (type "dataset" / "window")';
      const message = `expected msg.payload to be ${expected}, or msg.train / msg.stop / msg.reset, got ${got}`;
      throw new ForecastError('BAD_INPUT', message, 'not a window');
    };

    /** msg.export: the stored model as the three files of a TensorFlow.js layers model, one message each. */
    const exportStored = async (send: Send, msg: Record<string, unknown>): Promise<void> => {
      const stored = await readArtifact(this, loc);
      if (stored === undefined) {
        throw new ForecastError('NO_MODEL', `no model '${loc.name}' stored in ${describeLocation(loc)} to export`);
      }
      const { modelJson, weightsBin, settings: exported } = exportArtifact(stored);
      const files: [string, unknown][] = [
        [MODEL_FILE, JSON.stringify(modelJson)],
        [WEIGHTS_FILE, Buffer.from(weightsBin.buffer, weightsBin.byteOffset, weightsBin.byteLength)],
        [SETTINGS_FILE, JSON.stringify(exported)],
      ];
      const model = { name: loc.name, version: exported.version };
      for (const [file, payload] of files) {
        send([{ ...msg, topic: loc.name, filename: file, export: { file, model }, payload } as NodeMessage, null]);
      }
      this.status({ fill: 'green', shape: 'dot', text: `exported v${exported.version}` });
    };

    onInput(this, async (msg, send, done) => {
      run.touch();
      if (msg.stop) {
        queue.clear();
        run.stop();
      } else if (msg.export === true) {
        await exportStored(send, msg);
      } else if (msg.artifact !== undefined || isArtifactLike(msg.payload)) {
        // An artifact from a file (lstm-forecast import, or a saved msg.artifact): checked here, stored in turn.
        const imported = validateArtifact(msg.artifact !== undefined ? msg.artifact : msg.payload);
        queue.submit({ data: EMPTY, imported, msg: { ...msg } as NodeMessage, send, done, input: msg });
        return;
      } else if (msg.reset) {
        windows.clear();
        this.status({ fill: 'grey', shape: 'ring', text: 'collected windows cleared' });
      } else {
        const data = trainDataOf(msg.payload, Boolean(msg.train));
        if (data) {
          queue.submit({ data, msg: { ...msg } as NodeMessage, send, done, input: msg });
          return;
        }
        if (run.stateName !== 'training' && run.stateName !== 'storing') {
          this.status({ fill: 'grey', shape: 'dot', text: `${windows.size} windows collected` });
        }
      }
      done();
    });

    this.on('close', (_removed: boolean, closeDone: () => void) => {
      queue.clear();
      run.close(closeDone);
    });
  }

  RED.nodes.registerType('lstm-train', LstmTrainNode);
};
