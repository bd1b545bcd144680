import { sql } from 'kysely';
import type { Db } from './connect';

export interface ProbeOptions {
  /** How long one answer is reused: a load balancer polling every node stays one query a second. */
  readonly ttlMs: number;
  /** A probe slower than this counts as a failure (a database that hangs is not ready). */
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export const DEFAULT_PROBE: ProbeOptions = { ttlMs: 1000, timeoutMs: 2000 };

/**
 * A cheap readiness probe of the database for /readyz: `SELECT 1` with a short timeout, its
 * answer cached for ttlMs and shared by concurrent callers. On a Galera node that lost its
 * cluster (non-primary) or is still joining, the query fails with 1047, so the node reports
 * unready within ttl + timeout and ready again, without a restart, once the query succeeds.
 */
export function createDatabaseProbe(db: Db, options: ProbeOptions = DEFAULT_PROBE): () => Promise<void> {
  const now = options.now ?? Date.now;
  let last: { at: number; error: unknown } | undefined;
  let inFlight: Promise<void> | undefined;
  const probe = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`SELECT 1`.execute(db),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`database did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
        }),
      ]);
      last = { at: now(), error: undefined };
    } catch (error) {
      last = { at: now(), error };
    } finally {
      clearTimeout(timer);
      inFlight = undefined;
    }
  };
  return async () => {
    if (!last || now() - last.at >= options.ttlMs) {
      inFlight ??= probe();
      await inFlight;
    }
    if (last?.error) throw last.error;
  };
}
