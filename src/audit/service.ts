import type { Kysely } from 'kysely';
import type { Actor } from '../auth/principal';
import type { AuditEventRow, Database } from '../db/database';
import { ValidationError } from '../errors';
import { checkPageArgs, decodeCursor, encodeCursor, type Page, type PageArgs, toPage } from '../pagination';
import { appendAuditEvents, auditedTransaction, GENESIS_HASH, hashAuditRow } from './audit-log';
import type { Clock } from '../clock';
import { AuditRepository } from './repository';

export interface AuditEvent {
  readonly id: string;
  readonly seq: number;
  readonly action: string;
  readonly secretName: string | null;
  readonly version: number | null;
  readonly actor: string | null;
  readonly requestId: string | null;
  readonly at: Date;
  readonly detail: Record<string, unknown> | null;
}

export interface AuditFilter {
  actions?: readonly string[] | null;
  secretName?: string | null;
  since?: Date | null;
  until?: Date | null;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly checkedEvents: number;
  /** Sequence number of the first event that does not verify (or where one is missing). */
  readonly firstBrokenSeq: number | null;
  readonly reason: string | null;
}

const VERIFY_BATCH = 1000;

export class AuditService {
  private readonly repo: AuditRepository;

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {
    this.repo = new AuditRepository(deps.db);
  }

  /** Records that a request of this developer's key was refused (missing scope), once per request. */
  async recordDenied(actor: Actor, fields: readonly string[]): Promise<void> {
    await auditedTransaction(this.deps.db, actor.developerId, (trx) =>
      appendAuditEvents(
        trx,
        actor.developerId,
        [{ action: 'auth.denied', actor: actor.actorId, requestId: actor.requestId, detail: { fields: [...new Set(fields)] } }],
        this.deps.clock.now(),
      ),
    );
  }

  async list(actor: Pick<Actor, 'developerId'>, args: PageArgs & { filter?: AuditFilter | null }): Promise<Page<AuditEvent>> {
    const window = checkPageArgs(args);
    const filter = args.filter ?? {};
    if (filter.actions && filter.actions.length > 50) throw new ValidationError('filter.actions', 'at most 50 actions');
    const rows = await this.repo.list({
      developerId: actor.developerId,
      actions: filter.actions ?? undefined,
      secretName: filter.secretName ?? undefined,
      since: filter.since?.getTime(),
      until: filter.until?.getTime(),
      cursor: window.cursor ? (decodeCursor(window.cursor, 'a', ['number'])[0] as number) : undefined,
      backwards: window.backwards,
      limit: window.limit + 1,
    });
    return toPage(rows.map(toAuditEvent), window);
  }

  /**
   * Walks the tenant's chain from the first event: each row's hash must match its content and
   * its predecessor's hash, sequence numbers must be contiguous, and the last event must be the
   * head recorded on the developer row (which catches deleting the newest rows too).
   */
  async verify(actor: Pick<Actor, 'developerId'>): Promise<AuditVerification> {
    const head = await this.repo.head(actor.developerId);
    if (!head) return broken(0, 1, 'developer not found');
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const batch = await this.repo.chainBatch(actor.developerId, expectedSeq - 1, VERIFY_BATCH);
      for (const row of batch) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return broken(checked, expectedSeq, `event ${expectedSeq} is missing`);
        if (row.prev_hash !== prevHash) return broken(checked, seq, `event ${seq} does not link to event ${seq - 1}`);
        if (hashAuditRow(row) !== row.hash) return broken(checked, seq, `event ${seq} was modified`);
        prevHash = row.hash;
        expectedSeq++;
        checked++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    if (Number(head.audit_seq) !== expectedSeq - 1) {
      return broken(checked, expectedSeq, `events after ${expectedSeq - 1} are missing (the log head is ${head.audit_seq})`);
    }
    if (head.audit_head !== prevHash) return broken(checked, expectedSeq - 1, `event ${expectedSeq - 1} is not the recorded head`);
    return { ok: true, checkedEvents: checked, firstBrokenSeq: null, reason: null };
  }
}

function broken(checkedEvents: number, firstBrokenSeq: number, reason: string): AuditVerification {
  return { ok: false, checkedEvents, firstBrokenSeq, reason };
}

export const encodeAuditCursor = (event: AuditEvent) => encodeCursor('a', event.seq);

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    seq: Number(row.seq),
    action: row.action,
    secretName: row.secret_name,
    version: row.version,
    actor: row.actor,
    requestId: row.request_id,
    at: new Date(Number(row.at)),
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
  };
}
