import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { isMysql } from '../db/dialect';
import { isUniqueViolation, TransactionConflict } from '../db/errors';
import { preparedQuery } from '../db/prepared';

/**
 * SQL for audit chain heads: one row per (tenant, writer node) with the sequence number and hash
 * of that chain's newest record. The rules live in audit-log.ts; docs/audit-chain.md has the design.
 */

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
