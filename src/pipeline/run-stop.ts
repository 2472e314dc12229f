/**
 * How a run stops (SPEC §4.6, §4.7): the one mechanism, two AbortSignals with one rule between them.
 *
 * - `stop`: start no new work. Whatever lists, submits or polls reads it. Its reason says why: the
 *   run-level failure, or a `RunDeadline` when `run` has used its maxRunMinutes.
 * - `abort`: a run-level failure (an error that does not concern one item, a report that cannot be
 *   written, SIGINT/SIGTERM, an escaped error): work in flight ends at once, downloads included
 *   (their partial files removed). Its reason is the failure. Every request of the run carries it.
 *
 * Invariants:
 * - `abort` aborted ⇒ `stop` aborted (a failure also stops new work); `stop` is aborted first, so
 *   whoever reacts to `abort` already sees `stop`;
 * - the deadline aborts `stop` only: work in flight finishes and the run is not failed by it;
 * - each signal keeps its first reason; `failure` is `abort`'s (undefined while it is not aborted).
 */

/** The reason `stop` gives when `run` reached maxRunMinutes: not a failure. */
export class RunDeadline {
  constructor(readonly minutes: number) {}

  get message(): string {
    return `maxRunMinutes (${this.minutes}) reached: no new work is started`;
  }
}

export class RunStop {
  private readonly stopper = new AbortController();
  private readonly aborter = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onOutside: () => void;

  /** `outside` stops the run from outside (a signal, an escaped error), like a run-level failure. */
  constructor(private readonly outside: AbortSignal) {
    this.onOutside = () => this.fail(outside.reason);
    if (outside.aborted) this.onOutside();
    else outside.addEventListener('abort', this.onOutside, { once: true });
  }

  /** Start no new work (aborted by a failure or the deadline). */
  get stop(): AbortSignal {
    return this.stopper.signal;
  }

  /** End the work in flight (aborted by a run-level failure only). */
  get abort(): AbortSignal {
    return this.aborter.signal;
  }

  /** Whether a run-level failure stopped the run. */
  get failed(): boolean {
    return this.aborter.signal.aborted;
  }

  /** The run-level failure, once there is one. */
  get failure(): unknown {
    return this.failed ? (this.aborter.signal.reason as unknown) : undefined;
  }

  /** A run-level failure: stops new work and aborts the work in flight (the first failure is kept). */
  fail(error: unknown): void {
    if (!this.stopper.signal.aborted) this.stopper.abort(error);
    if (!this.aborter.signal.aborted) this.aborter.abort(error);
  }

  /** Stops new work (not a failure) after `minutes` (`run`'s maxRunMinutes, so it ends before the next cron tick). */
  deadlineAfter(minutes: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        if (!this.stopper.signal.aborted) this.stopper.abort(new RunDeadline(minutes));
        // setTimeout takes at most 2^31 − 1 ms (24.8 days); beyond that it would fire at once.
      },
      Math.min(minutes * 60_000, 2 ** 31 - 1),
    );
    this.timer.unref();
  }

  /** Clears the deadline and stops listening to the outside signal (the run is over). */
  dispose(): void {
    clearTimeout(this.timer);
    this.outside.removeEventListener('abort', this.onOutside);
  }
}
