/**
 * One job at a time, with a policy for requests that arrive meanwhile: 'queue'
 * keeps one pending request per key (a newer one with the same key replaces it,
 * keeping its place; different keys wait in arrival order) or 'reject' refuses
 * a request for a key that is running or pending. Used by lstm-train so that
 * training requests never run together: a node with a `{topic}` model name
 * queues one run per model (key = model name) through its one worker.
 */
import { fail } from '../core/base/messages';

export type OverlapPolicy = 'queue' | 'reject';

export interface RunQueueHooks<T> {
  /** Runs one request; the queue waits for it. */
  run: (req: T) => Promise<void>;
  /** A run that threw. */
  failed: (req: T, err: unknown) => void;
  /** A pending request dropped by a newer one or by clear(). */
  dropped: (req: T, why: 'replaced' | 'cleared') => void;
}

export class RunQueue<T> {
  private running: string | undefined;
  /** Pending requests by key, in arrival order (at most one per key: bounded by the caller's keys). */
  private readonly pending = new Map<string, T>();

  /** @param what names the work in a BUSY error ("training of 'co2'"), from the request's key. */
  constructor(
    private readonly policy: OverlapPolicy,
    private readonly hooks: RunQueueHooks<T>,
    private readonly what: string | ((key: string) => string) = 'a run',
    /** What the user can do about a busy queue, said in the BUSY error (it depends on what the run is doing). */
    private readonly busyHint: (key: string) => string = () => 'Send msg.stop to cancel it.',
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** A request with this key is running or pending. */
  has(key: string): boolean {
    return this.running === key || this.pending.has(key);
  }

  /**
   * Starts the request now, or queues it. With policy 'reject' and a run of the
   * same key going or pending, throws ForecastError('BUSY') (nothing is queued).
   */
  submit(req: T, key = ''): void {
    if (this.running !== undefined) {
      if (this.policy === 'reject' && this.has(key)) {
        const what = typeof this.what === 'string' ? this.what : this.what(key);
        throw fail('BUSY', 'queue.busy', { what, hint: this.busyHint(key) }, 'busy: rejected');
      }
      const old = this.pending.get(key);
      if (old !== undefined) this.hooks.dropped(old, 'replaced');
      this.pending.set(key, req);
      return;
    }
    this.running = key;
    void this.drain(req, key);
  }

  /** Drops the pending request of a key, or all of them (a running one is the caller's to cancel). */
  clear(key?: string): void {
    for (const [k, req] of [...this.pending]) {
      if (key !== undefined && k !== key) continue;
      this.pending.delete(k);
      this.hooks.dropped(req, 'cleared');
    }
  }

  private async drain(first: T, key: string): Promise<void> {
    let next: [string, T] | undefined = [key, first];
    while (next !== undefined) {
      const [k, current]: [string, T] = next;
      this.running = k;
      try {
        await this.hooks.run(current);
      } catch (err) {
        this.hooks.failed(current, err);
      }
      next = this.pending.entries().next().value;
      if (next !== undefined) this.pending.delete(next[0]);
    }
    this.running = undefined;
  }
}
