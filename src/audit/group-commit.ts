/**
 * Group commit for one tenant's audited work: callers that arrive while a commit is running
 * wait and share the next transaction, so N concurrent reveals (or creates) cost one commit (one
 * fsync) instead of N, and every caller still resumes only after its own work is durable. With
 * no contention it adds nothing: a lone caller commits at once. No timers, no delay: the wait
 * adapts itself, since a batch is whatever arrived during the previous commit.
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

export class GroupCommitter<T> {
  private readonly queues = new Map<string, Array<Waiter<T>>>();
  private readonly running = new Set<string>();

  /**
   * `commit(key, items)` writes every item in one transaction. It may return one entry per item:
   * an error for an item that failed on its own (the others committed), undefined for success.
   * A thrown error fails the whole batch.
   */
  constructor(
    private readonly commit: (key: string, items: T[]) => Promise<void | BatchOutcome>,
    private readonly maxBatch = DEFAULT_MAX_BATCH,
  ) {}

  submit(key: string, item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(key, queue);
      if (!this.running.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    try {
      for (;;) {
        const queue = this.queues.get(key);
        if (!queue || queue.length === 0) break;
        const batch = queue.splice(0, this.maxBatch);
        if (queue.length === 0) this.queues.delete(key);
        try {
          const outcome = await this.commit(
            key,
            batch.map((b) => b.item),
          );
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
