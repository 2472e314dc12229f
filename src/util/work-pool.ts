/**
 * Runs tasks with at most `limit` in flight. Once `stop` is aborted, tasks not started yet are
 * skipped (those in flight run on). The first task failure is kept and re-thrown by `drain()`, and
 * reported at once to `onFailure`, so the caller can abort `stop` and the tasks still in flight
 * (SPEC §4.6: downloads stop at once, not when they finish).
 */
export class WorkPool {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;
  private failed = false;

  constructor(
    private readonly limit: number,
    private readonly stop: AbortSignal,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {}

  /** Waits for a free slot, then starts `task` (does not wait for it to finish). */
  async submit(task: () => Promise<void>): Promise<void> {
    while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.stop.aborted) return;
    this.active += 1;
    const promise = task()
      .catch((error: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = error;
          this.onFailure(error);
        }
      })
      .finally(() => {
        this.active -= 1;
        this.running.delete(promise);
        this.waiters.shift()?.();
      });
    this.running.add(promise);
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    if (this.failed) throw this.failure;
  }

  /** Waits for every started task without throwing (used on the way out of a failed run). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
