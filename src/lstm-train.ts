/**
 * lstm-train: trains a forecaster on windows in a worker thread and stores the
 * artifact in a context store under the model name. Output 1: the report;
 * output 2: progress per epoch (dashboard chart points).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError } from './core/base/errors';
import { RunQueue } from './glue/run-queue';
import { startTraining, type TrainingJob } from './core/train/runner';
import type { TrainData, EpochProgress } from './core/train/trainer';
import { WindowAccumulator, datasetToTrainData } from './core/train/train-data';
import { parseTrainNodeConfig, type TrainNodeSettings } from './glue/train-settings';
import { validateArtifact, type ModelArtifact } from './core/model/artifact';
import type { DatasetPayload, WindowPayload } from './core/data/window-message';
import { errorStatus, onInput, refuse, type Done, type Send } from './glue/node-util';
import { checkModelName, describeLocation, readArtifact, writeArtifact, type ModelLocation, type ModelScope } from './glue/model-store';
import { startBackend } from './glue/backend-status';

interface TrainNodeDef extends NodeDef, Record<string, unknown> {
  model: string;
  scope: ModelScope;
  store: string;
}

interface Request {
  data: TrainData;
  msg: NodeMessage;
  send: Send;
  done: Done;
}

const fmt = (x: number | null) => (x !== null && Number.isFinite(x) ? (Math.abs(x as number) >= 0.01 ? (x as number).toFixed(3) : (x as number).toExponential(2)) : '-');

export = function (RED: NodeAPI): void {
  function LstmTrainNode(this: Node, def: TrainNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: TrainNodeSettings;
    let loc: ModelLocation;
    try {
      loc = { name: checkModelName(def.model || 'forecaster'), scope: def.scope === 'global' ? 'global' : 'flow', store: def.store || undefined };
      settings = parseTrainNodeConfig(def, loc.name);
    } catch (err) {
      refuse(node, err);
      return;
    }
    const windows = new WindowAccumulator(settings.maxWindows);
    let job: TrainingJob | undefined;
    let backend = '';
    /** Set by the first message, so the late 'ready' status never hides a newer one. */
    let touched = false;
    /** The node closed, or msg.stop came while a run was still reading the stored model (no worker yet). */
    let closed = false;
    let stopBeforeStart = false;
    startBackend(RED).then((b) => {
      backend = b.name;
      if (!job && !touched) node.status({ fill: 'grey', shape: 'ring', text: `${settings.model.type}: ready (${b.name})` });
    }, () => undefined);

    const run = async (req: Request): Promise<void> => {
      const started = Date.now();
      let previous: ModelArtifact | undefined;
      let version = 1;
      const stored = await readArtifact(node, loc);
      if (closed || stopBeforeStart) {
        // Stopped while the store was read: never start a worker that the close handler cannot see.
        stopBeforeStart = false;
        if (!closed) node.status({ fill: 'yellow', shape: 'ring', text: 'cancelled before it started; model unchanged' });
        req.done();
        return;
      }
      if (stored !== undefined) {
        try {
          const prior = validateArtifact(stored);
          version = prior.version + 1;
          if (settings.incremental) previous = prior;
        } catch {
          node.warn(`the stored model '${loc.name}' is not a valid artifact; it will be replaced`);
        }
      }
      node.status({ fill: 'blue', shape: 'ring', text: `training ${req.data.inputs.length} windows (${backend || 'starting'})` });
      job = startTraining({ data: req.data, model: settings.model, options: { ...settings.options, version }, previous });
      job.onProgress((p: EpochProgress) => {
        node.status({ fill: 'blue', shape: 'dot', text: `epoch ${p.epoch}/${p.epochs} loss ${fmt(p.loss)} val ${fmt(p.valLoss)} (${backend})` });
        const points = [
          { x: p.epoch, y: p.loss, series: 'loss' },
          { x: p.epoch, y: p.valLoss, series: 'validation loss' },
        ];
        req.send([null, { ...req.msg, topic: loc.name, payload: points, progress: { ...p, model: loc.name, backend } } as NodeMessage]);
      });
      try {
        const { artifact, report } = await job.promise;
        await writeArtifact(node, loc, artifact);
        const v = report.validation;
        node.status({ fill: 'green', shape: 'dot', text: `v${artifact.version}: MASE ${fmt(v.model.mase)} (last value ${fmt(v.lastValue.mase)}) ${report.backend}` });
        req.send([{ ...req.msg, topic: loc.name, payload: report, model: { name: loc.name, version: artifact.version, id: artifact.id, location: describeLocation(loc) } } as NodeMessage, null]);
        req.done();
      } catch (err) {
        if (err instanceof ForecastError && err.code === 'CANCELLED') {
          node.status({ fill: 'yellow', shape: 'ring', text: `cancelled after ${Math.round((Date.now() - started) / 1000)} s; model unchanged` });
          node.warn(`training of '${loc.name}' cancelled; the stored model is unchanged`);
          req.done();
        } else {
          throw err;
        }
      } finally {
        job = undefined;
      }
    };

    const queue = new RunQueue<Request>(settings.overlap, {
      run,
      failed: (req, err) => {
        errorStatus(node, err);
        req.done(err instanceof Error ? err : new Error(String(err)));
      },
      dropped: (req, why) => {
        if (why === 'replaced') node.warn('a queued training request was replaced by a newer one');
        req.done();
      },
    }, `training of '${loc.name}'`);
    const request = (req: Request) => queue.submit(req);

    onInput(node, async (msg, send, done) => {
      touched = true;
      if (msg.stop) {
        queue.clear();
        if (job) job.cancel();
        else if (queue.busy) stopBeforeStart = true;
        else node.status({ fill: 'grey', shape: 'ring', text: 'nothing to stop' });
        done();
        return;
      }
      if (msg.reset) {
        windows.clear();
        node.status({ fill: 'grey', shape: 'ring', text: 'collected windows cleared' });
        done();
        return;
      }
      const p = msg.payload as (WindowPayload | DatasetPayload | undefined);
      const plain = { ...msg } as NodeMessage;
      if (p && typeof p === 'object' && p.type === 'dataset') {
        const { data, dropped } = datasetToTrainData(p, settings.maxWindows);
        if (dropped) node.warn(`dataset of ${p.count} windows: training on the newest ${settings.maxWindows} (Keep windows)`);
        request({ data, msg: plain, send, done });
        return;
      }
      if (p && typeof p === 'object' && p.type === 'window') {
        windows.add(p);
        const due = settings.trainEvery > 0 && windows.fresh >= settings.trainEvery;
        if (!due && !msg.train) {
          if (!job) node.status({ fill: 'grey', shape: 'dot', text: `${windows.size} windows collected` });
          done();
          return;
        }
        request({ data: windows.take(), msg: plain, send, done });
        return;
      }
      if (msg.train) {
        request({ data: windows.take(), msg: plain, send, done });
        return;
      }
      throw new ForecastError('BAD_INPUT', `expected msg.payload to be a dataset or a training window from the sequence windower (type "dataset" / "window"), or msg.train / msg.stop / msg.reset, got ${p === null ? 'null' : Array.isArray(p) ? 'an array' : typeof p}`, 'not a window');
    });

    node.on('close', (_removed: boolean, closeDone: () => void) => {
      closed = true;
      queue.clear();
      const running = job;
      if (!running) {
        closeDone();
        return;
      }
      running.cancel();
      // The runner terminates the worker after its grace period; never hold the close past 5 s.
      const timer = setTimeout(closeDone, 5000);
      running.promise.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        clearTimeout(timer);
        closeDone();
      });
    });
  }

  RED.nodes.registerType('lstm-train', LstmTrainNode);
};
