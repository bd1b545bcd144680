import { createHash } from 'node:crypto';
import { type Kysely, MysqlAdapter, sql } from 'kysely';
import type { AuditEventRow, Database } from '../db/database';
import { newId } from '../ids';

export type AuditAction =
  | 'secret.create'
  | 'secret.update'
  | 'secret.reveal'
  | 'secret.delete'
  | 'secret.restore'
  | 'secret.rollback'
  | 'secret.purge'
  | 'secret.destroy_version'
  | 'apikey.create'
  | 'apikey.revoke'
  | 'task.secret_use'
  | 'auth.denied'
  | 'developer.create'
  | 'datakey.rotate'
  | 'datakey.prune';

export interface AuditEntry {
  readonly action: AuditAction;
  readonly secretName?: string | null;
  readonly version?: number | null;
  readonly actor?: string | null;
  readonly requestId?: string | null;
  /** Non-secret details only (names, scopes, counts). */
  readonly detail?: Record<string, string | number | boolean | null | string[]>;
}

/** The chain starts from a fixed hash so the first event is verifiable too. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Runs `fn` in a transaction that first takes the developer row's write lock. Every change that
 * appends to a tenant's audit chain must run in one of these: the chain serialises a tenant's
 * audited writes anyway, and taking that lock *first* gives every such transaction the same lock
 * order. (Taken last, it deadlocks on MySQL: inserting a row with a foreign key to developers
 * holds a shared lock on the developer row, and two transactions then both wait to upgrade it.)
 */
export function auditedTransaction<T>(db: Kysely<Database>, developerId: string, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    // SQLite runs one transaction at a time on its single connection: nothing to lock.
    if (trx.getExecutor().adapter instanceof MysqlAdapter) {
      await trx.selectFrom('developers').select('id').where('id', '=', developerId).forUpdate().execute();
    }
    return fn(trx);
  });
}

/**
 * Appends audit events to a per-developer hash chain: each row's hash covers the previous
 * row's hash and the row's own fields, so editing or deleting any row breaks the chain from
 * that row on. Must run inside the same transaction as the change it records (an
 * auditedTransaction), so a change and its record commit together or not at all.
 */
export async function appendAuditEvents(
  trx: Kysely<Database>,
  developerId: string,
  entries: readonly AuditEntry[],
  at: number,
): Promise<void> {
  if (entries.length === 0) return;
  // The UPDATE takes the developer row's write lock first (MySQL) / the database write lock
  // (SQLite), so concurrent appenders of one tenant queue up instead of forking the chain.
  await trx
    .updateTable('developers')
    .set({ audit_seq: sql<number>`audit_seq + ${entries.length}` })
    .where('id', '=', developerId)
    .execute();
  const head = await trx
    .selectFrom('developers')
    .select(['audit_seq', 'audit_head'])
    .where('id', '=', developerId)
    .executeTakeFirstOrThrow();
  let seq = Number(head.audit_seq) - entries.length;
  let prevHash = head.audit_head;
  const rows: AuditEventRow[] = entries.map((entry) => {
    seq += 1;
    const row: AuditEventRow = {
      id: newId(),
      developer_id: developerId,
      seq,
      action: entry.action,
      secret_name: entry.secretName ?? null,
      version: entry.version ?? null,
      actor: entry.actor ?? null,
      request_id: entry.requestId ?? null,
      at,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      prev_hash: prevHash,
      hash: '',
    };
    row.hash = hashAuditRow(row);
    prevHash = row.hash;
    return row;
  });
  await trx.insertInto('audit_events').values(rows).execute();
  await trx.updateTable('developers').set({ audit_head: prevHash }).where('id', '=', developerId).execute();
}

/** Hash of a row's content and its predecessor's hash. Field order is part of the format. */
export function hashAuditRow(row: Omit<AuditEventRow, 'hash'>): string {
  const canonical = JSON.stringify([
    'locksmith-audit-v1',
    row.id,
    row.developer_id,
    Number(row.seq),
    row.action,
    row.secret_name,
    row.version,
    row.actor,
    row.request_id,
    Number(row.at),
    row.detail,
    row.prev_hash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
