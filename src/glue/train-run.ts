/**
 * lstm-train's run lifecycle as an explicit state machine. One run reads the
 * stored model, trains in a worker and stores the result:
 *
 *   idle --start--> reading --(store read)--> training --(job done)--> storing --(stored)--> idle
 *
 * Storing is a check-and-write: the stored version is read again right before the
 * write, and a model whose version is not older than the trained one is never
 * replaced (CONFLICT: another node or instance stored it while this one trained).
 * A failed write is retried with capped exponential backoff for as long as the node
 * lives: the trained model is kept, the status says it is not stored yet and when
 * the next try is, each failed try is a warning (at most one per wait), and the first
 * failure is a Catch-able error with the model in msg.artifact (a flow can save it
 * elsewhere). A close with the model still unstored makes one last try, then logs
 * an error saying the model was lost and why.
 *
 * A request arriving while a model waits to be stored waits too (the run queue's
 * overlap policy: queued, a newer one replacing it, or rejected): one run at a time,
 * so never two writers, and the waiting model is stored before a newer run reads
 * the version it builds on.
 *
 * A failed read at the start ends an incremental run (it needs the stored weights);
 * a fresh run goes on, and its check-and-write decides at the end: a model readable
 * by then is replaced by the next version (with a warning), a value still unreadable
 * is replaced (a fresh run exists to replace it).
 *
 * Events and what they do in each state:
 * - start: idle -> reading (the run queue starts one run at a time); closed: the run ends at once.
 * - stop (msg.stop): idle -> 'nothing to stop'; reading -> the run ends when the read
 *   returns, before any worker starts ('cancelled before it started'); training ->
 *   the job is cancelled and settles as CANCELLED ('cancelled after N s').
 * - close: any -> closed. A run still reading never starts its worker; a training
 *   job is cancelled and waited for, at most 5 s; a model waiting to be stored gets
 *   one last try (waited for at most 5 s), else an error says it was lost.
 * - stop while storing: ignored (with a warning); only a close ends the retries.
 *
 * The node passes its store, status, log and translator in as callbacks, so every transition
 * is testable without a Node-RED runtime. Status texts are message ids of the node's catalogue
 * (nodes/locales/<lang>/lstm-train.json, `status` section), at most 20 characters as core nodes' are; the
 * details (backend, scores, waits) go to the log, the warnings and the messages.
 */
import { randomUUID } from 'crypto';
import type { NodeMessage } from 'node-red';
import { ForecastError } from '../core/base/errors';
import { fail } from '../core/base/messages';
import { ARTIFACT_FORMAT, validateArtifact, type ModelArtifact } from '../core/model/artifact';
import type { TrainRequest, TrainingJob } from '../core/train/runner';
import type { TrainData } from '../core/train/train-data';
import type { EpochProgress, TrainResult } from '../core/train/trainer';
import { ERROR_MAX, boundedError, clip, statusOf, type Done, type Send } from './node-util';
import type { RunQueueHooks } from './run-queue';
import type { TrainNodeSettings } from './train-settings';

export type RunStateName = 'idle' | 'reading' | 'training' | 'storing' | 'closed';

type Reading = { name: 'reading'; stopped: boolean };
/**
 * A trained model waiting to be stored: `wake` ends the wait before the next try (on close), `settled`
 * resolves when the store loop has ended, `lost` is set once its loss was logged.
 */
type Storing = {
  name: 'storing';
  artifact: ModelArtifact;
  wake: () => void;
  settled: Promise<void>;
  lost: boolean;
};
type RunState = { name: 'idle' } | Reading | { name: 'training'; job: TrainingJob } | Storing | { name: 'closed' };

/** Capped exponential backoff between write attempts, ms. */
export interface StoreRetry {
  /** The wait after the first failed try; it doubles after each further one. */
  firstMs: number;
  /** The longest wait: a store down for hours is tried once per maxMs. */
  maxMs: number;
}

/**
 * The default schedule: 1, 2, 4, ... s, then once a minute. Read on each wait (not copied), so a test can
 * shorten it for nodes in a real runtime by assigning to it.
 */
export const STORE_RETRY: StoreRetry = { firstMs: 1000, maxMs: 60000 };

/** The wait after the `attempt`th failed try (1-based). */
export function storeRetryWait(attempt: number, schedule: StoreRetry = STORE_RETRY): number {
  return Math.min(schedule.maxMs, schedule.firstMs * 2 ** Math.min(attempt - 1, 30));
}

/** A wait in seconds for a status: whole from 10 s, else up to two decimals (1.5 s; 0.02 s in tests). */
const seconds = (ms: number): string => String(ms >= 10000 ? Math.round(ms / 1000) : +(ms / 1000).toFixed(2));

/** Translates a status id of the node's catalogue (`lstm-train.status.<id>`) with its `__placeholders__`. */
export type Say = (id: string, values?: Record<string, string | number>) => string;

export interface RunStatus {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  text: string;
}

/**
 * One training request: its windows, and the message, send and done of the input that asked for it. With
 * `imported` (msg.artifact) there is no training: that model is stored as the next version of this node's
 * model, through the same check-and-write and retries.
 */
export interface RunRequest {
  data: TrainData;
  imported?: ModelArtifact;
  msg: NodeMessage;
  send: Send;
  done: Done;
  /**
   * The input message itself (the one `done` reports to Catch nodes): a trained model that could not be
   * stored is put in its `artifact` property before done(err), so that a flow can still keep it.
   */
  input?: Record<string, unknown>;
}

/** What a run needs from its node. */
export interface RunPorts {
  /** Reads the stored model (undefined when there is none). */
  read: () => Promise<unknown>;
  /** Stores the trained model. */
  write: (artifact: ModelArtifact) => Promise<void>;
  /** Starts the worker: startTraining in the node, a fake job in the unit tests. */
  train: (request: TrainRequest) => TrainingJob;
  status: (status: RunStatus) => void;
  /** The status texts: RED._ in the node, a simple translator in the unit tests. */
  say: Say;
  /** What a short status leaves out (the node's log, info level). */
  log: (text: string) => void;
  warn: (text: string) => void;
  /** An error with no message left to report it on (a trained model lost on close, a late conflict). */
  error: (text: string) => void;
}

export interface RunConfig {
  /** The model name: the topic of both outputs. */
  name: string;
  /** Where the model is stored, in words (the report's msg.model.location). */
  location: string;
  settings: Pick<TrainNodeSettings, 'model' | 'options' | 'incremental'>;
  /** Longest wait for a cancelled job on close, ms. Default 5000. */
  closeWaitMs?: number;
  /** Waits between write attempts. Default STORE_RETRY. */
  storeRetry?: StoreRetry;
}

/** The stored model as the run saw it when it started: its version, or unknown when the read failed. */
type Base = { known: true; version: number | undefined } | { known: false };

const storedVersionOf = (v: unknown): number | undefined => {
  const a = v as { format?: unknown; version?: unknown } | null | undefined;
  return a && typeof a === 'object' && a.format === ARTIFACT_FORMAT && Number.isInteger(a.version)
    ? (a.version as number)
    : undefined;
};

const storedIdOf = (v: unknown): unknown => (v && typeof v === 'object' ? (v as { id?: unknown }).id : undefined);

const isConflict = (err: unknown): boolean => err instanceof ForecastError && err.code === 'CONFLICT';

const textOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A score or loss in at most about 8 characters (a status is at most 20): 0.250, 1.00e-3, 1.23e+4. */
const fmt = (x: number | null): string => {
  if (x === null || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  return a >= 0.01 && a < 1000 ? x.toFixed(3) : x.toExponential(2);
};

export class TrainRun {
  private state: RunState = { name: 'idle' };
  private backend = '';
  /** Set by the first input message, so the late 'ready' status never hides a newer one. */
  private touched = false;

  constructor(
    private readonly config: RunConfig,
    private readonly ports: RunPorts,
  ) {}

  /** The state's name; the methods too read it after an await, where `this.state` would still be narrowed. */
  get stateName(): RunStateName {
    return this.state.name;
  }

  /** The backend is up: its name goes into the status texts. */
  ready(backend: string): void {
    this.backend = backend;
    if (this.touched) return;
    this.ports.status({ fill: 'grey', shape: 'ring', text: this.ports.say('ready', { backend }) });
  }

  /** An input message of any kind arrived: from now on the messages own the status. */
  touch(): void {
    this.touched = true;
  }

  /** The run queue's hooks: the queue starts each run here; failed and dropped requests end here. */
  queueHooks(): RunQueueHooks<RunRequest> {
    return {
      run: (req) => this.start(req),
      failed: (req, err) => {
        this.ports.status({ fill: 'red', shape: 'ring', text: statusOf(err) });
        req.done(err instanceof Error ? err : new Error(String(err)));
      },
      dropped: (req, why) => {
        if (why === 'replaced') this.ports.warn('a queued training request was replaced by a newer one');
        req.done();
      },
    };
  }

  /** Event start: one whole run (the run queue's run hook, so never two at once). */
  async start(req: RunRequest): Promise<void> {
    if (this.state.name === 'closed') {
      req.done();
      return;
    }
    if (this.state.name !== 'idle') throw new Error(`lstm-train: a run started while another was ${this.state.name}`);
    this.doneOnce(req);
    const started = Date.now();
    const reading: Reading = { name: 'reading', stopped: false };
    this.state = reading;
    try {
      let stored: unknown;
      let readable = true;
      try {
        stored = await this.ports.read();
      } catch (err) {
        // Continuing needs the stored weights; a fresh run does not, and its check-and-write guards the store.
        if (this.config.settings.incremental || this.stateName === 'closed') throw err;
        readable = false;
        const text = err instanceof Error ? err.message : String(err);
        this.ports.warn(`${text}; training a fresh model anyway, stored only if nothing newer is stored by then`);
      }
      if (this.stateName === 'closed' || reading.stopped) {
        this.endBeforeStart(req);
        return;
      }
      if (req.imported) await this.storeImported(req, req.imported, stored, readable);
      else await this.train(req, stored, readable, started);
    } finally {
      if (this.stateName !== 'closed') this.state = { name: 'idle' };
    }
  }

  /**
   * A request is done once: a model whose first write failed was reported to Catch nodes already, and its
   * run goes on. An error after that (a conflict found by a later try) has no message left: it is logged.
   */
  private doneOnce(req: RunRequest): void {
    const done = req.done;
    let called = false;
    req.done = (err?: Error) => {
      if (!called) {
        called = true;
        done(err);
      } else if (err) this.ports.error(clip(err.message, ERROR_MAX));
    };
  }

  /** A method, not a property read: TypeScript would keep a narrowing of `stateName` across an await. */
  private isClosed(): boolean {
    return this.state.name === 'closed';
  }

  /** Event stop (msg.stop). */
  stop(): void {
    const s = this.state;
    if (s.name === 'training') s.job.cancel();
    else if (s.name === 'reading') s.stopped = true;
    else if (s.name === 'storing') {
      this.ports.warn(`the trained model v${s.artifact.version} waits to be stored; msg.stop does not discard it`);
    } else if (s.name === 'idle')
      this.ports.status({ fill: 'grey', shape: 'ring', text: this.ports.say('nothingToStop') });
  }

  /** Event close (the node's close handler); calls `done` once when the node may go. */
  close(done: () => void): void {
    const s = this.state;
    this.state = { name: 'closed' };
    if (s.name !== 'training' && s.name !== 'storing') {
      done();
      return;
    }
    const wait = this.config.closeWaitMs ?? 5000;
    let called = false;
    const finish = (timedOut: boolean): void => {
      if (called) return;
      called = true;
      clearTimeout(timer);
      if (timedOut && s.name === 'storing') this.lose(s, `the last try did not finish within ${seconds(wait)} s`);
      done();
    };
    // The runner terminates the worker after its grace period; a store write is bounded here: never hold the
    // close past `wait`.
    const timer = setTimeout(() => finish(true), wait);
    if (s.name === 'storing') {
      s.wake(); // the last try starts now
      s.settled.then(() => finish(false));
    } else {
      s.job.cancel();
      s.job.promise.then(
        () => finish(false),
        () => finish(false),
      );
    }
  }

  /** A model that will not be stored: said once, as an error (no message is left to carry it). */
  private lose(s: Storing, why: string): void {
    if (s.lost) return;
    s.lost = true;
    const { name, location } = this.config;
    this.ports.error(
      clip(
        `model '${name}' v${s.artifact.version} lost: the node closed before it could be stored in ${location} ` +
          `(${why}); the stored model is unchanged`,
        ERROR_MAX,
      ),
    );
  }

  /** Stopped or closed while the store was read: no worker was started, so none can outlive the node. */
  private endBeforeStart(req: RunRequest): void {
    if (this.stateName !== 'closed') {
      this.ports.status({ fill: 'yellow', shape: 'ring', text: this.ports.say('cancelledAtStart') });
      this.ports.log(`training of '${this.config.name}' cancelled before it started; the stored model is unchanged`);
    }
    req.done();
  }

  private async train(req: RunRequest, stored: unknown, readable: boolean, started: number): Promise<void> {
    const base: Base = readable ? { known: true, version: storedVersionOf(stored) } : { known: false };
    const job = this.startJob(req, readable ? stored : undefined);
    try {
      const result = await job.promise;
      const artifact = await this.store(req, result.artifact, base);
      if (artifact) this.report(req, { ...result, artifact });
      else req.done(); // closed while storing: the node is going
    } catch (err) {
      if (!(err instanceof ForecastError && err.code === 'CANCELLED')) throw err;
      const seconds = Math.round((Date.now() - started) / 1000);
      this.ports.status({ fill: 'yellow', shape: 'ring', text: this.ports.say('cancelled', { seconds }) });
      this.ports.warn(`training of '${this.config.name}' cancelled; the stored model is unchanged`);
      req.done();
    }
  }

  /**
   * Transition training -> storing: check-and-write, retried with capped backoff on store errors until
   * stored or closed. The first failure reports the request (done(err), the model in msg.artifact).
   * @returns the artifact as stored (renumbered when the start read failed), undefined when not stored (closed).
   * @throws ForecastError CONFLICT, with the artifact in req.input.
   */
  private async store(req: RunRequest, trained: ModelArtifact, base: Base): Promise<ModelArtifact | undefined> {
    let settle = (): void => undefined;
    const storing: Storing = {
      name: 'storing',
      artifact: trained,
      wake: () => undefined,
      settled: new Promise<void>((resolve) => (settle = resolve)),
      lost: false,
    };
    if (this.isClosed()) {
      // The job finished as the node closed: the close handler has gone, so no write may start now.
      this.lose(storing, 'training ended as it closed');
      return undefined;
    }
    this.state = storing;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.checkAndWrite(storing.artifact, base);
        } catch (err) {
          if (isConflict(err)) {
            if (req.input) req.input.artifact = storing.artifact;
            throw err;
          }
          if (this.isClosed()) {
            // This try was the last one (a close wakes the wait, or came while it ran).
            this.lose(storing, `the last try failed: ${clip(textOf(err), 300)}`);
            return undefined;
          }
          this.retrying(req, storing.artifact, err, attempt);
          await this.pause(storing, storeRetryWait(attempt, this.config.storeRetry ?? STORE_RETRY));
        }
      }
    } finally {
      settle();
    }
  }

  /** A failed try: the status, a warning, and on the first one the request's error with the model in it. */
  private retrying(req: RunRequest, artifact: ModelArtifact, err: unknown, attempt: number): void {
    const wait = seconds(storeRetryWait(attempt, this.config.storeRetry ?? STORE_RETRY));
    const v = artifact.version;
    // Short (a status is at most 20 characters); the warning and the error say the rest (the try, the reason).
    this.ports.status({ fill: 'yellow', shape: 'ring', text: this.ports.say('retry', { version: v, wait }) });
    const reason = clip(textOf(err), 600);
    this.ports.warn(`model '${this.config.name}' v${v} not stored (try ${attempt}): ${reason}; next try in ${wait} s`);
    if (attempt > 1) return;
    if (req.input) req.input.artifact = artifact;
    const code = err instanceof ForecastError ? err.code : 'STORE_UNAVAILABLE';
    const e = fail(code, 'store.retrying', { reason, version: v, wait }, `v${v} not stored`);
    req.done(boundedError(e));
  }

  /** Waits between write attempts; a close ends the wait at once. */
  private pause(storing: Storing, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      storing.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Reads the stored version right before writing and writes only over an older one (or none, or a value
   * that is no model). When the read at the start failed, the version is settled here: the next one.
   */
  private async checkAndWrite(artifact: ModelArtifact, base: Base): Promise<ModelArtifact> {
    let current: unknown;
    try {
      current = await this.ports.read();
    } catch (err) {
      // Readable at the start, unreadable now: a store error, retried; a write now would be blind.
      if (base.known) throw err;
      // Unreadable throughout: the value itself is what fails; a fresh run exists to replace it.
      this.ports.warn(`replacing the unreadable stored value of model '${this.config.name}'`);
      await this.ports.write(artifact);
      return artifact;
    }
    // A write that timed out can still land (a paused Redis applies it when it wakes): the stored
    // value is then this run's own artifact, stored, not a conflict.
    if (storedIdOf(current) === artifact.id)
      return { ...artifact, version: storedVersionOf(current) ?? artifact.version };
    const stored = storedVersionOf(current);
    let next = artifact;
    if (stored !== undefined && stored >= artifact.version) {
      if (base.known) throw this.conflict(artifact.version, stored);
      next = { ...artifact, version: stored + 1 };
      this.ports.warn(
        `model '${this.config.name}' v${stored} (unreadable when this run started) is replaced by v${next.version}`,
      );
    }
    await this.ports.write(next);
    return next;
  }

  private conflict(trained: number, stored: number): ForecastError {
    const { name, location } = this.config;
    return fail('CONFLICT', 'store.conflictTrained', { name, trained, location, stored }, `conflict (v${stored})`);
  }

  /**
   * An imported model (msg.artifact) in place of a training: renamed to this node's model, numbered as the
   * next version, a new id, then stored and reported as a trained one would be.
   */
  private async storeImported(req: RunRequest, imported: ModelArtifact, stored: unknown, readable: boolean) {
    const base: Base = readable ? { known: true, version: storedVersionOf(stored) } : { known: false };
    const { version } = this.prior(stored);
    const { name } = this.config;
    const copy = structuredClone(imported);
    const artifact: ModelArtifact = {
      ...copy,
      name,
      version,
      id: randomUUID(),
      createdAt: new Date().toISOString(),
      report: { ...copy.report, name },
    };
    this.ports.status({ fill: 'blue', shape: 'ring', text: this.ports.say('importing', { version }) });
    this.ports.log(`storing the imported model '${imported.name}' v${imported.version} as '${name}' v${version}`);
    const result = await this.store(req, artifact, base);
    if (result) this.report(req, { artifact: result, report: artifact.report }, imported.name);
    else req.done();
  }

  /** Transition reading -> training: the worker starts. */
  private startJob(req: RunRequest, stored: unknown): TrainingJob {
    const { model, options } = this.config.settings;
    const { previous, version } = this.prior(stored);
    const windows = req.data.inputs.length;
    this.ports.status({ fill: 'blue', shape: 'ring', text: this.ports.say('training', { windows }) });
    this.ports.log(
      `training '${this.config.name}' v${version} (${model.type}) on ${windows} windows ` +
        `(backend ${this.backend || 'starting'}${previous ? ', from the stored model' : ''})`,
    );
    const job = this.ports.train({
      data: req.data,
      model,
      options: { ...options, version, name: this.config.name },
      previous,
    });
    this.state = { name: 'training', job };
    job.onProgress((p) => this.progress(req, p));
    return job;
  }

  /** The stored model's status line, and the report on output 1. */
  private report(req: RunRequest, { artifact, report }: TrainResult, importedFrom?: string): void {
    const { name, location } = this.config;
    const { model: scores, lastValue } = report.validation;
    const mase = fmt(scores.mase);
    this.ports.status({
      fill: 'green',
      shape: 'dot',
      text: this.ports.say('stored', { version: artifact.version, mase }),
    });
    this.ports.log(
      `model '${name}' v${artifact.version} stored in ${location}: validation MASE ${mase} ` +
        `(last value ${fmt(lastValue.mase)}), backend ${report.backend}`,
    );
    const model = {
      name,
      version: artifact.version,
      id: artifact.id,
      location,
      ...(importedFrom !== undefined ? { importedFrom } : {}),
    };
    // The worker's report is artifact.report (one structured clone keeps the sharing), and the stored
    // artifact may be that very object (memory store, file store cache): the message gets its own copy.
    req.send([{ ...req.msg, topic: name, payload: structuredClone(report), model }, null]);
    req.done();
  }

  /** The next version number, and the stored model to continue from when training is incremental. */
  private prior(stored: unknown): { previous: ModelArtifact | undefined; version: number } {
    if (stored === undefined) return { previous: undefined, version: 1 };
    try {
      const prior = validateArtifact(stored);
      return { previous: this.config.settings.incremental ? prior : undefined, version: prior.version + 1 };
    } catch {
      this.ports.warn(`the stored model '${this.config.name}' is not a valid artifact; it will be replaced`);
      return { previous: undefined, version: 1 };
    }
  }

  /**
   * Per epoch: a status line, and on output 2 one message per loss line (msg.topic 'loss', 'validation loss', a
   * number payload): a FlowFuse Dashboard 2 ui-chart left at its defaults splits lines on msg.topic and plots a
   * number payload at its arrival time, so the two losses draw as two lines without configuring the chart.
   */
  private progress(req: RunRequest, p: EpochProgress): void {
    const { name } = this.config;
    const backend = this.backend;
    // The validation loss is on output 2 with the loss; the status has room for one.
    const text = this.ports.say('epoch', { epoch: p.epoch, epochs: p.epochs, loss: fmt(p.loss) });
    this.ports.status({ fill: 'blue', shape: 'dot', text });
    const progress = { ...p, model: name, backend };
    const lines: [string, number][] = [
      ['loss', p.loss],
      ['validation loss', p.valLoss],
    ];
    const msgs = lines
      .filter(([, y]) => Number.isFinite(y))
      .map(([topic, payload]) => ({ ...req.msg, topic, payload, progress: { ...progress } }));
    if (msgs.length) req.send([null, msgs]);
  }
}
