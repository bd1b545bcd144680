import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../db/database';
import { isMysql } from '../db/dialect';
import { isUniqueViolation, TransactionConflict } from '../db/errors';
import { insertRows, preparedQuery } from '../db/prepared';

/**
 * All SQL of the audit log: its records (audit_events) and its chain heads (audit_chains, one row
 * per tenant and writer node with the sequence number and hash of that chain's newest record).
 * Reads go through AuditRepository; writes are functions of the writer's transaction, since a
 * record commits with the change it records (the rules: audit-log.ts, tenant-transaction.ts;
 * the design: docs/audit-chain.md).
 */

export interface AuditListQuery {
  readonly developerId: string;
  readonly actions?: readonly string[];
  readonly secretName?: string;
  readonly since?: number;
  readonly until?: number;
  /** Keyset cursor on id (UUIDv7, time-ordered): newest first, strictly older than it (or newer, backwards). */
  readonly cursor?: string;
  readonly backwards: boolean;
  readonly limit: number;
}

/** Reads of the audit log. */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(query: AuditListQuery): Promise<AuditEventRow[]> {
    let q = this.db.selectFrom('audit_events').selectAll().where('developer_id', '=', query.developerId);
    if (query.actions && query.actions.length > 0) q = q.where('action', 'in', [...query.actions]);
    if (query.secretName) q = q.where('secret_name', '=', query.secretName);
    if (query.since !== undefined) q = q.where('at', '>=', query.since);
    if (query.until !== undefined) q = q.where('at', '<', query.until);
    if (query.cursor !== undefined) q = q.where('id', query.backwards ? '>' : '<', query.cursor);
    return q.orderBy('id', query.backwards ? 'asc' : 'desc').limit(query.limit).execute();
  }

  /** One chain's records in chain order, after `afterSeq` up to `throughSeq`, for verification in batches. */
  chainBatch(developerId: string, chainId: string, afterSeq: number, throughSeq: number, limit: number): Promise<AuditEventRow[]> {
    return this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('chain_id', '=', chainId)
      .where('seq', '>', afterSeq)
      .where('seq', '<=', throughSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  /** Every chain that has records, whether or not it has a head (a missing head is tampering). */
  async chainsWithRecords(developerId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('audit_events').select('chain_id').distinct().where('developer_id', '=', developerId).execute();
    return rows.map((r) => r.chain_id);
  }

  /** The highest sequence number stored in a chain (0 when none). */
  async maxSeq(developerId: string, chainId: string): Promise<number> {
    const row = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('developer_id', '=', developerId)
      .where('chain_id', '=', chainId)
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async developerExists(developerId: string): Promise<boolean> {
    return (await this.db.selectFrom('developers').select('id').where('id', '=', developerId).executeTakeFirst()) !== undefined;
  }
}

/**
 * Multi-row INSERTs are cut into chunks this size: 13 placeholders a row stays far below SQLite's
 * 32,766 and MySQL's 65,535 bound parameters (and max_allowed_packet), however big a group commit.
 */
export const AUDIT_INSERT_CHUNK = 500;

/** Inserts finished records (hashed and chained by audit-log.ts) in the writer's transaction. */
export async function insertAuditEvents(trx: Kysely<Database>, rows: readonly AuditEventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += AUDIT_INSERT_CHUNK) {
    await insertRows(trx, 'audit_events', rows.slice(i, i + AUDIT_INSERT_CHUNK));
  }
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export interface StoredChainHead extends ChainHead {
  readonly chainId: string;
}

/**
 * This writer's chain head of the tenant, write-locked until commit on MySQL (the first statement
 * of every tenant transaction, see tenant-transaction.ts). SQLite runs one transaction at a time.
 * Undefined when this node has not written for the tenant yet.
 */
// Compiled once per dialect: these run in every tenant transaction (every audited write).
const selectHeadForUpdate = preparedQuery((trx: Kysely<Database>, developerId: string, chainId: string) =>
  trx
    .selectFrom('audit_chains')
    .select(['seq', 'head'])
    .where('developer_id', '=', developerId)
    .where('chain_id', '=', chainId)
    .$if(isMysql(trx), (q) => q.forUpdate()),
);

const updateHead = preparedQuery((trx: Kysely<Database>, developerId: string, chainId: string, fromSeq: number, toSeq: number, toHash: string) =>
  trx
    .updateTable('audit_chains')
    .set({ seq: toSeq, head: toHash })
    .where('developer_id', '=', developerId)
    .where('chain_id', '=', chainId)
    .where('seq', '=', fromSeq),
);

export async function lockChainHead(trx: Kysely<Database>, developerId: string, chainId: string): Promise<ChainHead | undefined> {
  const row = (await selectHeadForUpdate(trx, developerId, chainId)).rows[0];
  return row ? { seq: Number(row.seq), hash: row.head } : undefined;
}

/** Opens a chain. A concurrent opener of the same chain wins; this transaction then runs again. */
export async function insertChainHead(trx: Kysely<Database>, developerId: string, chainId: string, head: ChainHead): Promise<void> {
  try {
    await trx.insertInto('audit_chains').values({ developer_id: developerId, chain_id: chainId, seq: head.seq, head: head.hash }).execute();
  } catch (error) {
    // Not a NameTaken or any other caller's unique violation: the chain row itself raced.
    if (isUniqueViolation(error)) throw new TransactionConflict('audit chain opened concurrently', { cause: error });
    throw error;
  }
}

export async function moveChainHead(trx: Kysely<Database>, developerId: string, chainId: string, from: ChainHead, to: ChainHead): Promise<void> {
  const result = await updateHead(trx, developerId, chainId, from.seq, to.seq, to.hash);
  // The head is locked for this transaction, so this only fails if that rule was broken.
  if (Number(result.numAffectedRows) !== 1) throw new TransactionConflict('audit chain head moved under a locked transaction');
}

export async function listChainHeads(db: Kysely<Database>, developerId: string): Promise<StoredChainHead[]> {
  const rows = await db
    .selectFrom('audit_chains')
    .select(['chain_id', 'seq', 'head'])
    .where('developer_id', '=', developerId)
    .orderBy('chain_id')
    .execute();
  return rows.map((r) => ({ chainId: r.chain_id, seq: Number(r.seq), hash: r.head }));
}

export async function readChainHead(db: Kysely<Database>, developerId: string, chainId: string): Promise<ChainHead | undefined> {
  const row = await db
    .selectFrom('audit_chains')
    .select(['seq', 'head'])
    .where('developer_id', '=', developerId)
    .where('chain_id', '=', chainId)
    .executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.head } : undefined;
}
