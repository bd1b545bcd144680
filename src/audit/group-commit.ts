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
 * With `concurrency` above 1, that many batches of a key may be committing at once; they still
 * queue on the database (a tenant transaction locks its chain head first), but the next one is
 * already open and waiting when the previous one commits.
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
  /**
   * Commits of one key that may run at once (default 1). With more than one, the next batch's
   * transaction opens and queues on the database's lock while the previous one commits, instead
   * of waiting for it in this process: its first round trips overlap the other's commit.
   */
  readonly concurrency?: number;
}

export class GroupCommitter<T> {
  private readonly queues = new Map<string, Array<Waiter<T>>>();
  /** Per key: commits running now (at most `concurrency`). */
  private readonly inflight = new Map<string, number>();
  /** Per key: how many the last batch held and how long its commit took. */
  private readonly last = new Map<string, { size: number; ms: number; at: number }>();
  /** Per key: wakes a batch that is waiting to fill (present while one waits). */
  private readonly wake = new Map<string, () => void>();
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly concurrency: number;

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
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  submit(key: string, item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(key, queue);
      const waiting = this.wake.get(key);
      if (!waiting) this.pump(key);
      else if (queue.length >= Math.min(this.last.get(key)?.size ?? 1, this.maxBatch)) waiting();
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

  /** Starts batches of `key` while there is work and a free commit slot (one waits to fill at most). */
  private pump(key: string): void {
    for (;;) {
      const queue = this.queues.get(key);
      if (!queue || queue.length === 0 || this.wake.has(key) || (this.inflight.get(key) ?? 0) >= this.concurrency) return;
      const waitMs = this.fillWait(key, queue);
      if (waitMs <= 0) {
        this.start(key, queue);
        continue;
      }
      const timer = setTimeout(() => this.wake.get(key)?.(), waitMs);
      this.wake.set(key, () => {
        clearTimeout(timer);
        this.wake.delete(key);
        const now = this.queues.get(key);
        if (now && now.length > 0) this.start(key, now);
        this.pump(key);
      });
      return;
    }
  }

  private start(key: string, queue: Array<Waiter<T>>): void {
    const batch = queue.splice(0, this.maxBatch);
    if (queue.length === 0) this.queues.delete(key);
    this.inflight.set(key, (this.inflight.get(key) ?? 0) + 1);
    const started = performance.now();
    const settle = (outcome: void | BatchOutcome | undefined, failure?: { error: unknown }) => {
      const now = performance.now();
      const left = (this.inflight.get(key) ?? 1) - 1;
      if (left === 0) this.inflight.delete(key);
      else this.inflight.set(key, left);
      if (!failure) this.remember(key, { size: batch.length, ms: now - started, at: now });
      batch.forEach((b, i) => {
        const error = failure ? failure.error : outcome?.[i];
        if (error === undefined) b.resolve();
        else b.reject(error);
      });
      this.pump(key);
    };
    let running: Promise<void | BatchOutcome>;
    try {
      running = this.commit(
        key,
        batch.map((b) => b.item),
      );
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (outcome) => settle(outcome),
      (error: unknown) => settle(undefined, { error }),
    );
  }
}
