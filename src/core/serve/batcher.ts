/**
 * Batches forecasts: the windows of many messages for the same live model are
 * forecast in one Forecaster.predict call (one kernel call, or one model.predict
 * in one tidy), so the per-call cost (weight loads, dispatch) is paid once per
 * batch instead of once per message. Each submitter gets its own slice of the
 * prediction or its own error, in submission order.
 */

import { fail } from '../base/messages';
import type { Forecaster, Prediction } from './forecaster';

/** What a submitter gets back: its windows' prediction and how the batch it rode in went. */
export interface BatchResult {
  prediction: Prediction;
  /** Time of the predict call that forecast this message (the whole batch), in ms. */
  ms: number;
  /** Messages forecast in that call. */
  messages: number;
  /** Windows forecast in that call. */
  windows: number;
  /** This message's place among them (0-based): the last one speaks for the batch (its status). */
  index: number;
}

export interface BatcherOptions {
  /** ms to gather a batch; 0 = what arrives before the next turn of the event loop (setImmediate). */
  wait: number;
  /** Most windows per call: a full batch goes at once; a submission larger than this goes alone. */
  maxWindows: number;
}

interface Item {
  windows: number[][][];
  /** The windows' series (msg.topic). */
  series?: string;
  resolve: (r: BatchResult) => void;
  reject: (err: unknown) => void;
}

interface Batch {
  items: Item[];
  windows: number;
  /** Stops the timer that would flush it. */
  cancel: () => void;
}

/** The windows [from, from + n) of a prediction (each field is per window). */
function slice(p: Prediction, from: number, n: number): Prediction {
  const out: Prediction = { forecast: p.forecast.slice(from, from + n) };
  if (p.attention) out.attention = p.attention.slice(from, from + n);
  if (p.featureAttention) out.featureAttention = p.featureAttention.slice(from, from + n);
  return out;
}

/** Forecasts windows flush() has checked (each message's on their own), timed. */
function timed(
  forecaster: Forecaster,
  windows: number[][][],
  ids: readonly (string | undefined)[],
): { prediction: Prediction; ms: number } {
  const started = process.hrtime.bigint();
  const prediction = forecaster.predictChecked(windows, ids);
  return { prediction, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

export class PredictBatcher {
  private readonly options: BatcherOptions;
  /** Open batches, one per live model; at most maxWindows windows each (plus one oversized submission). */
  private readonly open = new Map<Forecaster, Batch>();
  private closedWith: Error | null = null;

  constructor(options: BatcherOptions) {
    this.options = options;
  }

  /** Messages waiting in open batches. */
  get waiting(): number {
    let n = 0;
    for (const b of this.open.values()) n += b.items.length;
    return n;
  }

  /**
   * Queues `windows` for `forecaster`'s next batch. Resolves with their prediction,
   * rejects with their own error only (a bad window does not fail the others).
   * @param series the windows' series (msg.topic), for a model that keeps state per series.
   */
  submit(forecaster: Forecaster, windows: number[][][], series?: string): Promise<BatchResult> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<BatchResult>((resolve, reject) => {
      const count = Array.isArray(windows) ? windows.length : 1;
      let batch = this.open.get(forecaster);
      // Never above maxWindows by joining: the open batch goes first and this one starts the next.
      if (batch && batch.windows + count > this.options.maxWindows) {
        this.flush(forecaster);
        batch = undefined;
      }
      if (!batch) {
        const go = (): void => this.flush(forecaster);
        let cancel: () => void;
        if (this.options.wait > 0) {
          const t = setTimeout(go, this.options.wait);
          cancel = () => clearTimeout(t);
        } else {
          const t = setImmediate(go);
          cancel = () => clearImmediate(t);
        }
        batch = { items: [], windows: 0, cancel };
        this.open.set(forecaster, batch);
      }
      batch.items.push({ windows, series, resolve, reject });
      batch.windows += count;
      if (batch.windows >= this.options.maxWindows) this.flush(forecaster);
    });
  }

  /** Rejects everything still waiting with `reason` (and every later submission): nothing is left pending. */
  close(reason: Error): void {
    this.closedWith = reason;
    for (const [forecaster, batch] of this.open) {
      this.open.delete(forecaster);
      batch.cancel();
      for (const item of batch.items) item.reject(reason);
    }
  }

  private flush(forecaster: Forecaster): void {
    const batch = this.open.get(forecaster);
    if (!batch) return;
    this.open.delete(forecaster);
    batch.cancel();
    // Shape and values per message first, so one bad window fails its own message only.
    const good: Item[] = [];
    for (const item of batch.items) {
      try {
        if (forecaster.disposed) throw fail('NO_MODEL', 'forecaster.disposed', {}, 'no model');
        forecaster.checkWindows(item.windows);
        good.push(item);
      } catch (err) {
        item.reject(err);
      }
    }
    if (!good.length) return;
    if (good.length > 1) {
      let done: { prediction: Prediction; ms: number } | null = null;
      try {
        done = timed(
          forecaster,
          good.flatMap((i) => i.windows),
          good.flatMap((i) => i.windows.map(() => i.series)),
        );
      } catch {
        // Valid windows can still fail together (a non-finite output names one window): forecast each alone below.
      }
      if (done) {
        const { prediction, ms } = done;
        let from = 0;
        const windows = good.reduce((n, i) => n + i.windows.length, 0);
        for (const [index, item] of good.entries()) {
          const n = item.windows.length;
          item.resolve({ prediction: slice(prediction, from, n), ms, messages: good.length, windows, index });
          from += n;
        }
        return;
      }
    }
    for (const item of good) {
      try {
        const { prediction, ms } = timed(
          forecaster,
          item.windows,
          item.windows.map(() => item.series),
        );
        item.resolve({ prediction, ms, messages: 1, windows: item.windows.length, index: 0 });
      } catch (err) {
        item.reject(err);
      }
    }
  }
}
