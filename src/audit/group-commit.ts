import { performance } from 'node:perf_hooks';

/**
 * Group commit for one tenant's audited work: callers that arrive while a commit is running
 * wait and share the next transaction, so N concurrent reveals (or creates) cost one commit (one
 * fsync) instead of N, and every caller still resumes only after its own work is durable. With
 * no contention it adds nothing: a lone caller commits at once.
 *
 * The wait is adaptive. Under steady load the callers of a batch all come back at once, and
 * the first of them would otherwise commit alone while the rest queue behind it (batches of 1,
 * n-1, 1, n-1, ...). So after a batch of n, the next commit waits until n callers are queued,
 * but never longer than half the last commit took, capped at `maxWaitMs`. After a lone commit it
 * does not wait at all.
 *
 * Batches are bounded (`maxBatch`), so one statement never carries an unbounded number of rows.
 */
export type BatchOutcome = ReadonlyArray<unknown | undefined>;

interface Waiter<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export const DEFAULT_MAX_BATCH = 256;
export const DEFAULT_MAX_WAIT_MS = 5;
const MAX_REMEMBERED = 10_000;

export interface GroupCommitOptions {
  readonly maxBatch?: number;
  /** Upper bound of the adaptive wait for a batch to fill (0: never wait). */
  readonly maxWaitMs?: number;
}

export class GroupCommitter<T> {
  private readonly queues = new Map<string, Array<Waiter<T>>>();
  private readonly running = new Set<string>();
  /** Per key: how many the last batch held and how long its commit took. */
  private readonly last = new Map<string, { size: number; ms: number; at: number }>();
  /** Per key: wakes a drain that is waiting for its batch to fill. */
  private readonly wake = new Map<string, () => void>();
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;

  /**
   * `commit(key, items)` writes every item in one transaction. It may return one entry per item:
   * an error for an item that failed on its own (the others committed), undefined for success.
   * A thrown error fails the whole batch.
   */
  constructor(
    private readonly commit: (key: string, items: T[]) => Promise<void | BatchOutcome>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  submit(key: string, item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(key, queue);
      if (!this.running.has(key)) void this.drain(key);
      else if (queue.length >= Math.min(this.last.get(key)?.size ?? 1, this.maxBatch)) this.wake.get(key)?.();
    });
  }

  private remember(key: string, batch: { size: number; ms: number; at: number }): void {
    // One small entry per recently busy key; a sweep keeps keys that went quiet from piling up.
    if (this.last.size >= MAX_REMEMBERED && !this.last.has(key)) this.last.clear();
    this.last.set(key, batch);
  }

  /**
   * How long to wait for the batch to fill up to the size of the last one (0: commit now). Not
   * async: a commit that does not wait must start in the same tick as its first caller.
   */
  private fillWait(key: string, queue: Array<Waiter<T>>): number {
    const last = this.last.get(key);
    if (!last || last.size <= 1 || queue.length >= Math.min(last.size, this.maxBatch)) return 0;
    // The last batch is only a forecast while its callers can still be on their way back.
    if (performance.now() - last.at > Math.max(last.ms, this.maxWaitMs) * 2) {
      this.last.delete(key);
      return 0;
    }
    return Math.min(this.maxWaitMs, last.ms / 2);
  }

  private async fill(key: string, waitMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.wake.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.wake.delete(key);
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    try {
      for (;;) {
        const queue = this.queues.get(key);
        if (!queue || queue.length === 0) break;
        const waitMs = this.fillWait(key, queue);
        if (waitMs > 0) await this.fill(key, waitMs);
        const batch = queue.splice(0, this.maxBatch);
        if (queue.length === 0) this.queues.delete(key);
        const started = performance.now();
        try {
          const outcome = await this.commit(
            key,
            batch.map((b) => b.item),
          );
          const now = performance.now();
          this.remember(key, { size: batch.length, ms: now - started, at: now });
          batch.forEach((b, i) => {
            const error = outcome?.[i];
            if (error === undefined) b.resolve();
            else b.reject(error);
          });
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.running.delete(key);
      this.queues.delete(key);
    }
  }
}
