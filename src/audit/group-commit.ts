/**
 * Group commit for one tenant's audit records: callers that arrive while a commit is running
 * wait and share the next transaction, so N concurrent reveals cost one commit (one fsync)
 * instead of N, and every caller still resumes only after its own record is durable. With no
 * contention it adds nothing: a lone caller commits at once. No timers, no delay.
 */
export class GroupCommitter<T> {
  private readonly queues = new Map<string, Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }>>();
  private readonly running = new Set<string>();

  /** `commit(key, items)` must write every item in one transaction. */
  constructor(private readonly commit: (key: string, items: T[]) => Promise<void>) {}

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
        const batch = this.queues.get(key);
        if (!batch || batch.length === 0) break;
        this.queues.delete(key);
        try {
          await this.commit(
            key,
            batch.map((b) => b.item),
          );
          for (const b of batch) b.resolve();
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
