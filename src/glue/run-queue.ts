/**
 * One job at a time, with a policy for requests that arrive meanwhile: 'queue'
 * keeps one pending request (a newer one replaces it) or 'reject' refuses it.
 * Used by lstm-train so overlapping training requests never run together.
 */
import { ForecastError } from '../core/base/errors';

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
  private running = false;
  private pending: T | undefined;

  constructor(
    private readonly policy: OverlapPolicy,
    private readonly hooks: RunQueueHooks<T>,
    private readonly what = 'a run',
    /** What the user can do about a busy queue, said in the BUSY error (it depends on what the run is doing). */
    private readonly busyHint: () => string = () => 'Send msg.stop to cancel it.',
  ) {}

  get busy(): boolean {
    return this.running;
  }

  /**
   * Starts the request now, or queues it. With policy 'reject' and a run going,
   * throws ForecastError('BUSY') (nothing is queued).
   */
  submit(req: T): void {
    if (this.running) {
      if (this.policy === 'reject') {
        throw new ForecastError(
          'BUSY',
          `${this.what} is already running; request rejected (overlap: reject). ${this.busyHint()}`,
          'busy: rejected',
        );
      }
      if (this.pending !== undefined) this.hooks.dropped(this.pending, 'replaced');
      this.pending = req;
      return;
    }
    this.running = true;
    void this.drain(req);
  }

  /** Drops the pending request (the running one is the caller's to cancel). */
  clear(): void {
    if (this.pending !== undefined) this.hooks.dropped(this.pending, 'cleared');
    this.pending = undefined;
  }

  private async drain(first: T): Promise<void> {
    let next: T | undefined = first;
    while (next !== undefined) {
      const current: T = next;
      try {
        await this.hooks.run(current);
      } catch (err) {
        this.hooks.failed(current, err);
      }
      next = this.pending;
      this.pending = undefined;
    }
    this.running = false;
  }
}
