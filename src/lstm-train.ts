/**
 * lstm-train: trains a forecaster on windows in a worker thread and stores the
 * artifact in a context store under the model name. Output 1: the report;
 * output 2: progress per epoch (one message per loss line, for a default ui-chart). The run lifecycle
 * (reading the stored model, training, msg.stop, close) is glue/train-run.ts.
 * With `{topic}` in the model name, each topic has its own model: its own
 * collected windows and run state (at most maxModels), its runs queued with the
 * others' through the one worker (never two trainings at once).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { fail } from './core/base/messages';
import { ARTIFACT_FORMAT, validateArtifact } from './core/model/artifact';
import { MODEL_FILE, SETTINGS_FILE, WEIGHTS_FILE, exportArtifact } from './core/model/export';
import { startTraining } from './core/train/runner';
import { WindowAccumulator, datasetToTrainData, type TrainData } from './core/train/train-data';
import type { DatasetPayload, WindowPayload } from './core/data/window-message';
import { startBackend } from './glue/backend-status';
import {
  describeLocation,
  locationFor,
  nodeEnv,
  parseModelLocation,
  readArtifact,
  writeArtifact,
  type ModelLocation,
} from './glue/model-store';
import { parseAll } from './glue/node-settings';
import { STATUS_MAX, clip, onInput, refuse, statusText, type Send } from './glue/node-util';
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
function parseConfig(
  def: TrainNodeDef,
  env: (name: string) => unknown,
): { loc: ModelLocation; settings: TrainNodeSettings } {
  const { loc } = parseAll<{ loc: ModelLocation }>('lstm-train', { loc: () => parseModelLocation(def, env) });
  return { loc, settings: parseTrainNodeConfig(def, loc.name) };
}

export = function (RED: NodeAPI): void {
  function LstmTrainNode(this: Node, def: TrainNodeDef): void {
    RED.nodes.createNode(this, def);
    let config: ReturnType<typeof parseConfig>;
    try {
      config = parseConfig(def, nodeEnv(RED, this));
    } catch (err) {
      refuse(this, err, RED._);
      return;
    }
    const { loc, settings } = config;
    let backend: string | undefined;

    /** One model's windows and run (one per node, or one per topic). */
    interface Slot {
      name: string;
      windows: WindowAccumulator;
      run: TrainRun;
    }
    // Statuses from the catalogue (nodes/locales/<lang>/lstm-train.json), at most 20 characters as core nodes'
    // are; the details (backend, scores, the imported model) go to the log, the warnings and the messages.
    const say = (id: string, values: Record<string, string | number> = {}): string =>
      RED._(`lstm-train.status.${id}`, values);
    /** Per topic, a status says whose it is: the name is cut to what the status leaves of 20 characters. */
    const statusOf = (name: string, text: string): string =>
      statusText(
        loc.perTopic
          ? say('topic', { name: clip(name, Math.max(4, STATUS_MAX - 2 - text.length)), status: text })
          : text,
      );

    const newSlot = (at: ModelLocation): Slot => {
      const run = new TrainRun(
        { name: at.name, location: describeLocation(at), settings },
        {
          read: () => readArtifact(this, at),
          write: (artifact) => writeArtifact(this, at, artifact),
          train: (request) =>
            startTraining(request, {
              timeoutMs: settings.timeout * 60000,
              memoryLimitMb: settings.memoryLimit,
              limitNames: { timeout: 'timeout setting', memory: 'memoryLimit setting' },
            }),
          status: (status) => this.status({ ...status, text: statusOf(at.name, String(status.text ?? '')) }),
          say,
          log: (text) => this.log(text),
          warn: (text) => this.warn(text),
          error: (text) => this.error(text),
        },
      );
      if (loc.perTopic) run.touch(); // the node's status is not one model's 'ready'
      if (backend !== undefined) run.ready(backend);
      return { name: at.name, windows: new WindowAccumulator(settings.maxWindows), run };
    };

    /** Slots by model name: one, or one per topic (at most settings.maxModels). */
    const slots = new Map<string, Slot>();
    if (!loc.perTopic) slots.set(loc.name, newSlot(loc));

    startBackend(RED).then(
      (b) => {
        backend = b.name;
        for (const slot of slots.values()) slot.run.ready(b.name);
        if (loc.perTopic && slots.size === 0) {
          this.status({ fill: 'grey', shape: 'ring', text: statusText(say('ready', { backend: b.name })) });
        }
      },
      () => undefined,
    );

    /** The message's model: its topic's slot, made on first use (LIMIT past maxModels: nothing changes). */
    const slotOf = (topic: unknown): Slot => {
      const at = locationFor(loc, topic);
      const found = slots.get(at.name);
      if (found) return found;
      if (slots.size >= settings.maxModels) {
        const names = [...slots.keys()];
        throw fail(
          'LIMIT',
          'trainNode.tooManyModels',
          { max: settings.maxModels, name: at.name, count: names.length, names: clip(names.join(', '), 700) },
          `max ${settings.maxModels} models`,
        );
      }
      const slot = newSlot(at);
      slots.set(at.name, slot);
      return slot;
    };

    type Request = RunRequest & { slot: Slot };
    const hooksOf = (req: Request) => req.slot.run.queueHooks();
    const queue = new RunQueue<Request>(
      settings.overlap,
      {
        run: (req) => hooksOf(req).run(req),
        failed: (req, err) => hooksOf(req).failed(req, err),
        dropped: (req, why) => hooksOf(req).dropped(req, why),
      },
      (key) => `training of '${key}'`,
      (key) =>
        slots.get(key)?.run.stateName === 'storing'
          ? 'A trained model is waiting to be stored; it is kept and retried until the store takes it.'
          : 'Send msg.stop to cancel it.',
    );

    /** The windows to train on now; undefined when a streamed window was only collected. */
    const trainDataOf = (slot: Slot, payload: unknown, train: boolean): TrainData | undefined => {
      const { windows } = slot;
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
      throw fail('BAD_INPUT', 'trainNode.notWindow', { got }, 'not a window');
    };

    /** msg.export: the stored model as the three files of a TensorFlow.js layers model, one message each. */
    const exportStored = async (send: Send, msg: Record<string, unknown>, at: ModelLocation): Promise<void> => {
      const stored = await readArtifact(this, at);
      if (stored === undefined) {
        throw fail('NO_MODEL', 'trainNode.noModelToExport', {
          atName: at.name,
          describeLocation: describeLocation(at),
        });
      }
      const { modelJson, weightsBin, settings: exported } = exportArtifact(stored);
      const files: [string, unknown][] = [
        [MODEL_FILE, JSON.stringify(modelJson)],
        [WEIGHTS_FILE, Buffer.from(weightsBin.buffer, weightsBin.byteOffset, weightsBin.byteLength)],
        [SETTINGS_FILE, JSON.stringify(exported)],
      ];
      const model = { name: at.name, version: exported.version };
      for (const [file, payload] of files) {
        send([{ ...msg, topic: at.name, filename: file, export: { file, model }, payload } as NodeMessage, null]);
      }
      this.status({ fill: 'green', shape: 'dot', text: statusText(say('exported', { version: exported.version })) });
    };

    /** The slots a msg.stop / msg.reset is for: the topic's, or (per topic, without one) all of them. */
    const targetsOf = (msg: NodeMessage): Slot[] => {
      if (!loc.perTopic || msg.topic === undefined || msg.topic === '') return [...slots.values()];
      const found = slots.get(locationFor(loc, msg.topic).name);
      return found ? [found] : [];
    };

    onInput(this, RED._, async (msg, send, done) => {
      for (const slot of slots.values()) slot.run.touch();
      if (msg.stop) {
        const targets = targetsOf(msg);
        if (targets.length === slots.size) queue.clear();
        for (const slot of targets) {
          queue.clear(slot.name);
          slot.run.stop();
        }
        if (targets.length === 0) this.status({ fill: 'grey', shape: 'ring', text: say('nothingToStop') });
      } else if (msg.export === true) {
        await exportStored(send, msg, loc.perTopic ? locationFor(loc, msg.topic) : loc);
      } else if (msg.artifact !== undefined || isArtifactLike(msg.payload)) {
        // An artifact from a file (lstm-forecast import, or a saved msg.artifact): checked here, stored in turn.
        const imported = validateArtifact(msg.artifact !== undefined ? msg.artifact : msg.payload);
        const slot = slotOf(loc.perTopic ? msg.topic : undefined);
        queue.submit(
          { data: EMPTY, imported, msg: { ...msg } as NodeMessage, send, done, input: msg, slot },
          slot.name,
        );
        return;
      } else if (msg.reset) {
        for (const slot of targetsOf(msg)) {
          slot.windows.clear();
          // An idle model with nothing queued frees its place (maxModels); its stored model stays.
          if (loc.perTopic && slot.run.stateName === 'idle' && !queue.has(slot.name)) slots.delete(slot.name);
        }
        this.status({ fill: 'grey', shape: 'ring', text: say('cleared') });
      } else {
        const slot = slotOf(loc.perTopic ? msg.topic : undefined);
        const data = trainDataOf(slot, msg.payload, Boolean(msg.train));
        if (data) {
          queue.submit({ data, msg: { ...msg } as NodeMessage, send, done, input: msg, slot }, slot.name);
          return;
        }
        if (!queue.busy) {
          this.status({
            fill: 'grey',
            shape: 'dot',
            text: statusOf(slot.name, say('collected', { count: slot.windows.size })),
          });
        }
      }
      done();
    });

    this.on('close', (_removed: boolean, closeDone: () => void) => {
      queue.clear();
      const runs = [...slots.values()].map((slot) => new Promise<void>((resolve) => slot.run.close(resolve)));
      void Promise.all(runs).then(() => closeDone());
    });
  }

  RED.nodes.registerType('lstm-train', LstmTrainNode);
};
