import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../db/database';
import { type TenantContext, tenantContextOf } from '../db/tenant-transaction';
import { newId } from '../ids';
import { type ChainHead, insertAuditEvents, insertChainHead, moveChainHead } from './repository';

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
  | 'task.secret_denied'
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
  /** The caller's own X-Request-Id; stored beside requestId, outside the hash (format v1). */
  readonly callerRequestId?: string | null;
  /** Non-secret details only (names, scopes, counts). */
  readonly detail?: Record<string, string | number | boolean | null | string[]>;
}

/** Every chain starts from a fixed hash so its first record is verifiable too. */
export const GENESIS_HASH = '0'.repeat(64);

/** The chain of records written before per-node chains: hashed in the v1 format, which has no chain id. */
export const LEGACY_CHAIN = '';

/**
 * Appends audit records to this writer node's hash chain of the tenant: each record's hash covers
 * its predecessor's hash and its own fields, so editing, removing or reordering any record breaks
 * the chain from there on, and the chain head (audit_chains) catches removal of the newest ones.
 * Must run inside the tenant transaction of the change it records, so a change and its record
 * commit together or not at all; that transaction already holds the chain head's lock.
 */
export async function appendAuditEvents(
  trx: Kysely<Database>,
  developerId: string,
  entries: readonly AuditEntry[],
  at: number,
): Promise<void> {
  await appendAuditEventsOfTenants(trx, new Map([[developerId, entries]]), at);
}

/**
 * appendAuditEvents for several tenants of one transaction (a batch of creates across tenants):
 * each tenant's records go to its own chain, and all of them go into the database in one
 * multi-row insert instead of one per tenant.
 */
export async function appendAuditEventsOfTenants(
  trx: Kysely<Database>,
  entriesByTenant: ReadonlyMap<string, readonly AuditEntry[]>,
  at: number,
): Promise<void> {
  const all: AuditEventRow[] = [];
  const moved: Array<{ context: TenantContext; to: ChainHead; rows: AuditEventRow[] }> = [];
  for (const [developerId, entries] of entriesByTenant) {
    if (entries.length === 0) continue;
    const context = tenantContextOf(trx, developerId);
    const from = context.head;
    const { rows, to } = chainAuditRows(developerId, context.nodeId, from, entries, at);
    // The head first: two first writers of a chain collide on its key before writing anything else.
    if (from) await moveChainHead(trx, developerId, context.nodeId, from, to);
    else await insertChainHead(trx, developerId, context.nodeId, to);
    moved.push({ context, to, rows });
    all.push(...rows);
  }
  if (all.length === 0) return;
  await insertAuditEvents(trx, all);
  for (const { context, to, rows } of moved) {
    context.head = to;
    context.appended.push(...rows);
  }
}

/** The records of `entries` chained after `from` (the chain's genesis when undefined), and the head they lead to. */
function chainAuditRows(
  developerId: string,
  chainId: string,
  from: ChainHead | undefined,
  entries: readonly AuditEntry[],
  at: number,
): { rows: AuditEventRow[]; to: ChainHead } {
  let seq = from?.seq ?? 0;
  let prevHash = from?.hash ?? GENESIS_HASH;
  const rows: AuditEventRow[] = entries.map((entry) => {
    seq += 1;
    const row: AuditEventRow = {
      // Generated here, after the head lock: within a chain, id order is seq order.
      id: newId(),
      developer_id: developerId,
      chain_id: chainId,
      seq,
      action: entry.action,
      secret_name: entry.secretName ?? null,
      version: entry.version ?? null,
      actor: entry.actor ?? null,
      request_id: entry.requestId ?? null,
      caller_request_id: entry.callerRequestId ?? null,
      at,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      prev_hash: prevHash,
      hash: '',
    };
    row.hash = hashAuditRow(row);
    prevHash = row.hash;
    return row;
  });
  return { rows, to: { seq, hash: prevHash } };
}

/**
 * Hash of a record's content and its predecessor's hash. Field order is part of the format; v2
 * binds the chain id too, v1 is the format of the legacy chain.
 */
export function hashAuditRow(row: Omit<AuditEventRow, 'hash' | 'caller_request_id'>): string {
  const fields = [
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
  ];
  const canonical = row.chain_id === LEGACY_CHAIN ? ['locksmith-audit-v1', ...fields] : ['locksmith-audit-v2', row.chain_id, ...fields];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
