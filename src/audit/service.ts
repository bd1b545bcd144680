import type { Kysely } from 'kysely';
import type { Actor } from '../auth/principal';
import type { AuditEventRow, Database } from '../db/database';
import type { TenantTransactions } from '../db/tenant-transaction';
import { ValidationError } from '../errors';
import { checkPageArgs, decodeCursor, encodeCursor, type Page, type PageArgs, toPage } from '../pagination';
import { appendAuditEvents, GENESIS_HASH, hashAuditRow } from './audit-log';
import type { Clock } from '../clock';
import { AuditRepository, type ChainHead, listChainHeads, readChainHead } from './repository';

export interface AuditEvent {
  readonly id: string;
  /** The writer node's chain the record belongs to ('' for records from before per-node chains). */
  readonly chain: string;
  readonly seq: number;
  readonly action: string;
  readonly secretName: string | null;
  readonly version: number | null;
  readonly actor: string | null;
  readonly requestId: string | null;
  readonly callerRequestId: string | null;
  readonly at: Date;
  readonly detail: Record<string, unknown> | null;
  readonly prevHash: string;
  readonly hash: string;
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
  /** How many chains (writer nodes) the tenant's log has. */
  readonly checkedChains: number;
  /** The chain of the first event that does not verify. */
  readonly firstBrokenChain: string | null;
  /** Sequence number (in that chain) of the first event that does not verify (or where one is missing). */
  readonly firstBrokenSeq: number | null;
  readonly reason: string | null;
}

const VERIFY_BATCH = 1000;

export class AuditService {
  private readonly repo: AuditRepository;

  constructor(private readonly deps: { db: Kysely<Database>; tenants: TenantTransactions; clock: Clock; maxPageSize?: number }) {
    this.repo = new AuditRepository(deps.db);
  }

  /** Records that a request of this developer's key was refused (missing scope), once per request. */
  async recordDenied(actor: Actor, fields: readonly string[]): Promise<void> {
    await this.deps.tenants.run(actor.developerId, (trx) =>
      appendAuditEvents(
        trx,
        actor.developerId,
        [{ action: 'auth.denied', actor: actor.actorId, requestId: actor.requestId, callerRequestId: actor.callerRequestId, detail: { fields: [...new Set(fields)] } }],
        this.deps.clock.now(),
      ),
    );
  }

  async list(actor: Pick<Actor, 'developerId'>, args: PageArgs & { filter?: AuditFilter | null }): Promise<Page<AuditEvent>> {
    const window = checkPageArgs(args, this.deps.maxPageSize);
    const filter = args.filter ?? {};
    if (filter.actions && filter.actions.length > 50) throw new ValidationError('filter.actions', 'at most 50 actions');
    const rows = await this.repo.list({
      developerId: actor.developerId,
      actions: filter.actions ?? undefined,
      secretName: filter.secretName ?? undefined,
      since: filter.since?.getTime(),
      until: filter.until?.getTime(),
      cursor: window.cursor ? (decodeCursor(window.cursor, 'e', ['string'])[0] as string) : undefined,
      backwards: window.backwards,
      limit: window.limit + 1,
    });
    return toPage(rows.map(toAuditEvent), window);
  }

  /**
   * Walks every chain of the tenant (one per writer node) from its first record: each record's
   * hash must match its content and its predecessor's hash, sequence numbers must run 1, 2, ...
   * without gaps, and the last record must be the chain's recorded head (which catches removal
   * of the newest records). Records with no head, or beyond their head, are tampering too.
   * Every node reads the same rows, so every node reaches the same verdict.
   */
  async verify(actor: Pick<Actor, 'developerId'>): Promise<AuditVerification> {
    const developerId = actor.developerId;
    if (!(await this.repo.developerExists(developerId))) return broken(0, 0, '', 1, 'developer not found');
    // Heads first: records appended while this runs lie beyond the heads read here.
    const heads = new Map((await listChainHeads(this.deps.db, developerId)).map((h) => [h.chainId, h as ChainHead]));
    for (const chainId of await this.repo.chainsWithRecords(developerId)) {
      if (!heads.has(chainId)) return broken(0, heads.size, chainId, 1, `chain ${label(chainId)} has records but no recorded head`);
    }
    let checked = 0;
    for (const [chainId, head] of [...heads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const result = await this.verifyChain(developerId, chainId, head);
      checked += result.checked;
      if (result.problem) return broken(checked, heads.size, chainId, result.problem.seq, result.problem.reason);
    }
    return { ok: true, checkedEvents: checked, checkedChains: heads.size, firstBrokenChain: null, firstBrokenSeq: null, reason: null };
  }

  private async verifyChain(
    developerId: string,
    chainId: string,
    head: ChainHead,
  ): Promise<{ checked: number; problem?: { seq: number; reason: string } }> {
    const name = label(chainId);
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const batch = await this.repo.chainBatch(developerId, chainId, expectedSeq - 1, head.seq, VERIFY_BATCH);
      for (const row of batch) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return { checked, problem: { seq: expectedSeq, reason: `event ${expectedSeq} of chain ${name} is missing` } };
        if (row.prev_hash !== prevHash) return { checked, problem: { seq, reason: `event ${seq} of chain ${name} does not link to event ${seq - 1}` } };
        if (hashAuditRow(row) !== row.hash) return { checked, problem: { seq, reason: `event ${seq} of chain ${name} was modified` } };
        prevHash = row.hash;
        expectedSeq++;
        checked++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    const last = expectedSeq - 1;
    if (last !== head.seq) {
      return { checked, problem: { seq: expectedSeq, reason: `events after ${last} of chain ${name} are missing (its head is ${head.seq})` } };
    }
    if (head.hash !== prevHash) return { checked, problem: { seq: last, reason: `event ${last} of chain ${name} is not the recorded head` } };
    // Records beyond the head: appended since the head was read, or planted. Read the head again.
    const maxSeq = await this.repo.maxSeq(developerId, chainId);
    if (maxSeq > head.seq) {
      const now = await readChainHead(this.deps.db, developerId, chainId);
      if (!now || now.seq < maxSeq) {
        return { checked, problem: { seq: head.seq + 1, reason: `event ${head.seq + 1} of chain ${name} lies beyond the recorded head` } };
      }
    }
    return { checked };
  }
}

function broken(checkedEvents: number, checkedChains: number, chain: string, firstBrokenSeq: number, reason: string): AuditVerification {
  return { ok: false, checkedEvents, checkedChains, firstBrokenChain: chain, firstBrokenSeq, reason };
}

function label(chainId: string): string {
  return chainId === '' ? '(legacy)' : `"${chainId}"`;
}

export const encodeAuditCursor = (event: AuditEvent) => encodeCursor('e', event.id);

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    chain: row.chain_id,
    seq: Number(row.seq),
    action: row.action,
    secretName: row.secret_name,
    version: row.version,
    actor: row.actor,
    requestId: row.request_id,
    callerRequestId: row.caller_request_id ?? null,
    at: new Date(Number(row.at)),
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
