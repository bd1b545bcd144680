import type { Kysely, Transaction } from 'kysely';
import { lockChainHead, type ChainHead } from '../audit/repository';
import type { AuditEventRow, Database } from './database';
import { isRetryableConflict } from './errors';

/**
 * The one way a tenant's data changes: every write of a tenant (and its audit records) runs in a
 * tenant transaction. It does two things every such write needs, so no caller can forget them:
 *
 * 1. **Lock order.** The first statement locks this writer node's audit chain head of the tenant
 *    (see docs/audit-chain.md). Every tenant write appends to that chain, so a tenant's writes on
 *    one node serialise there anyway; taking that lock *first* gives every such transaction the
 *    same lock order, so they queue instead of deadlocking. (Taken last, it deadlocks on MySQL:
 *    inserting a row with a foreign key holds a shared lock on the parent row, and two
 *    transactions then both wait to upgrade it.) Writes of one tenant on *different* nodes lock
 *    different chain heads, so they do not conflict on the audit log at all.
 *
 * 2. **Retry.** Deadlocks (1213), lock-wait timeouts (1205), Galera certification conflicts
 *    (which arrive as 1213) and a node that is still joining (1047) roll the whole transaction
 *    back; it runs again on a fresh transaction after a jittered, growing pause, a bounded
 *    number of times. A retried write is idempotent because nothing of a failed attempt
 *    survives: one secret, one version, one audit record. `fn` must therefore keep its side
 *    effects inside the transaction (or make them safe to repeat), and may run more than once.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** ~3 s of retrying in the worst case: well past a Galera certification storm, short of a client timeout. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 12, baseDelayMs: 5, maxDelayMs: 400 };

/** Audit records a transaction appended, handed to `onCommitted` once the transaction has committed. */
export type CommittedRecords = readonly AuditEventRow[];

export interface TenantTransactionOptions {
  /** The writer node: which of the tenant's audit chains this process appends to. */
  readonly nodeId: string;
  readonly retry?: RetryPolicy;
  /**
   * Called after each commit with the audit records it made durable, in commit order per chain
   * (an audit streaming sink hooks in here). Runs synchronously; it must not throw, and what it
   * throws is reported to `onHookError`, never to the writer, whose change is already durable.
   */
  readonly onCommitted?: (records: CommittedRecords) => void;
  readonly onHookError?: (error: unknown) => void;
  /** Told about each retry (logs, metrics). */
  readonly onRetry?: (attempt: number, error: unknown) => void;
  /** For tests: the pause between attempts and its jitter. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** What a tenant transaction knows about itself, for the audit log to append inside it. */
export interface TenantContext {
  readonly developerId: string;
  readonly nodeId: string;
  /** The chain head as locked at the start; the audit log moves it as it appends. */
  head: ChainHead | undefined;
  readonly appended: AuditEventRow[];
}

/** Per transaction: the context of each tenant it locked (one, or several for runMany). */
const contexts = new WeakMap<Kysely<Database>, ReadonlyMap<string, TenantContext>>();

/** The tenant transaction `trx` belongs to; throws when a write tries to audit outside one. */
export function tenantContextOf(trx: Kysely<Database>, developerId: string): TenantContext {
  const tenants = contexts.get(trx);
  if (!tenants) throw new Error('audit records must be appended inside a tenant transaction (TenantTransactions.run)');
  const context = tenants.get(developerId);
  if (!context) throw new Error('a tenant transaction appends audit records of its own tenant only');
  return context;
}

export interface TenantTransactionStats {
  /** Attempts run again after a retryable conflict. */
  retries: number;
  /** Transactions that still conflicted after the last attempt (the caller got the error). */
  exhausted: number;
}

export class TenantTransactions {
  readonly nodeId: string;
  readonly stats: TenantTransactionStats = { retries: 0, exhausted: 0 };
  private readonly retryPolicy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly db: Kysely<Database>,
    private readonly options: TenantTransactionOptions,
  ) {
    this.nodeId = options.nodeId;
    this.retryPolicy = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** Runs `fn` in a transaction of `developerId` (lock order and retries as described above). */
  run<T>(developerId: string, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.runMany([developerId], fn);
  }

  /**
   * One transaction for the writes of several tenants (group commit across tenants). Its first
   * statements lock each tenant's chain head in developer id order, the same order in every such
   * transaction, so two of them queue instead of deadlocking, and a one-tenant transaction (which
   * locks one head first) holds nothing a several-tenant one waits for while it locks heads.
   * Retried as a whole, like run(). `fn` may append audit records of each of these tenants.
   */
  runMany<T>(developerIds: readonly string[], fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const tenants = [...new Set(developerIds)].sort();
    return this.retrying(async () => {
      let locked: TenantContext[] = [];
      const result = await this.db.transaction().execute(async (trx) => {
        locked = [];
        for (const developerId of tenants) {
          const head = await lockChainHead(trx, developerId, this.nodeId);
          locked.push({ developerId, nodeId: this.nodeId, head, appended: [] });
        }
        contexts.set(trx, new Map(locked.map((c) => [c.developerId, c])));
        return fn(trx);
      });
      const appended = locked.flatMap((c) => c.appended);
      if (appended.length > 0) this.committed(appended);
      return result;
    });
  }

  /**
   * Runs `attempt` again while it fails with a retryable conflict, up to the policy's bound; for
   * single statements outside a transaction (autocommit), which lose the same races.
   */
  async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isRetryableConflict(error)) throw error;
        if (n >= this.retryPolicy.attempts) {
          this.stats.exhausted++;
          throw error;
        }
        this.stats.retries++;
        this.options.onRetry?.(n, error);
        // Full jitter: concurrent losers of one race spread out instead of colliding again.
        const ceiling = Math.min(this.retryPolicy.maxDelayMs, this.retryPolicy.baseDelayMs * 2 ** (n - 1));
        await this.sleep(Math.round(this.random() * ceiling));
      }
    }
  }

  private committed(records: CommittedRecords): void {
    try {
      this.options.onCommitted?.(records);
    } catch (error) {
      this.options.onHookError?.(error);
    }
  }
}
