import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../db/database';

export interface AuditListQuery {
  readonly developerId: string;
  readonly actions?: readonly string[];
  readonly secretName?: string;
  readonly since?: number;
  readonly until?: number;
  /** Keyset cursor on seq: newest first, strictly older than it (or newer, backwards). */
  readonly cursor?: number;
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
    if (query.cursor !== undefined) q = q.where('seq', query.backwards ? '>' : '<', query.cursor);
    return q.orderBy('seq', query.backwards ? 'asc' : 'desc').limit(query.limit).execute();
  }

  /** Events in chain order, strictly after `afterSeq`, for verification in batches. */
  chainBatch(developerId: string, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
    return this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  head(developerId: string): Promise<{ audit_seq: number; audit_head: string } | undefined> {
    return this.db.selectFrom('developers').select(['audit_seq', 'audit_head']).where('id', '=', developerId).executeTakeFirst();
  }
}
