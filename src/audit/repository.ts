import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../db/database';

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

/** SQL for the audit log. Appending lives in audit-log.ts (it must share the writer's transaction). */
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
