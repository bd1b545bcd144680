import type { Kysely } from 'kysely';
import { type AuditEntry, appendAuditEvents, appendAuditEventsOfTenants } from '../audit/audit-log';
import { type BatchOutcome, GroupCommitter } from '../audit/group-commit';
import type { Actor } from '../auth/principal';
import type { Clock } from '../clock';
import type { DataKey, DataKeyService } from '../crypto/data-keys';
import { open, seal } from '../crypto/envelope';
import type { Database, SecretRow, SecretVersionRow } from '../db/database';
import type { TenantTransactions } from '../db/tenant-transaction';
import { isUniqueViolation } from '../db/errors';
import { AuditUnavailableError, NameTakenError, NotFoundError, SecretExpiredError, ValidationError, VersionConflictError } from '../errors';
import { newId } from '../ids';
import { checkPageArgs, type Page, type PageArgs, toPage } from '../pagination';
import { decodeSecretCursor, decodeVersionCursor, type Secret, type SecretVersionInfo, toSecret, toVersionInfo } from './model';
import { type SealedValue, SecretRepository } from './repository';
import { SecretLookups } from './lookups';
import {
  checkAllowedHosts,
  checkDescription,
  checkMetadata,
  checkName,
  checkOptionalInt,
  checkValue,
  DEFAULT_RECOVERY_WINDOW_DAYS,
  MAX_RECOVERY_WINDOW_DAYS,
  type Metadata,
} from './validation';

export type { Secret, SecretVersionInfo } from './model';
export { encodeSecretCursor, encodeVersionCursor } from './model';
export type { Page, PageArgs } from '../pagination';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_ROTATE_EVERY_DAYS = 3650;

export interface CreateSecretInput {
  name: unknown;
  value: unknown;
  description?: unknown;
  metadata?: unknown;
  rotateEveryDays?: unknown;
  expiresAt?: Date | null;
  allowedHosts?: unknown;
}

export interface UpdateSecretInput {
  name: unknown;
  value?: unknown;
  description?: unknown;
  metadata?: unknown;
  rotateEveryDays?: unknown;
  expiresAt?: Date | null;
  /** null or [] removes the binding. */
  allowedHosts?: unknown;
  expectedVersion?: unknown;
}

export interface DeleteSecretInput {
  name: unknown;
  recoveryWindowDays?: unknown;
  force?: boolean | null;
  expectedVersion?: unknown;
}

export interface RollbackSecretInput {
  name: unknown;
  version: unknown;
  expectedVersion?: unknown;
}

export interface DestroySecretVersionInput {
  name: unknown;
  version: unknown;
  expectedVersion?: unknown;
}

export interface SecretFilter {
  metadata?: unknown;
  namePrefix?: string | null;
  deleted?: boolean | null;
  dueForRotation?: boolean | null;
}

export interface SecretServiceDeps {
  readonly db: Kysely<Database>;
  /** Every write goes through a tenant transaction (lock order, retries). */
  readonly tenants: TenantTransactions;
  readonly dataKeys: DataKeyService;
  readonly clock: Clock;
  /** Versions kept per secret; older ones are destroyed (ciphertext erased, row kept). */
  readonly maxVersions: number;
  /** LOCKSMITH_MAX_PAGE_SIZE; the built-in default when not given. */
  readonly maxPageSize?: number;
}

/** The actor recorded for work the service does on its own (the purge job). */
const SYSTEM_ACTOR = 'system';

/**
 * Rules, crypto and audit for secrets. Every change and its audit record commit in one
 * transaction. Data keys are fetched before a transaction starts, so a slow key provider
 * never holds database locks. Values never leave this class except through reveal().
 */
export class SecretService {
  private readonly repo: SecretRepository;
  /** Concurrent get()s coalesced into one query per developer (see SecretLookups). */
  private readonly lookups: SecretLookups;
  /** Reveal records of one tenant that arrive together share a transaction (see GroupCommitter). */
  private readonly reveals: GroupCommitter<RevealRecord>;
  /** Creates of one tenant that arrive together share a transaction too (see commitCreates). */
  private readonly creates: GroupCommitter<CreateRecord>;
  /** The current version's sealed value of secrets get() loaded, for as long as the object lives. */
  private readonly sealedCurrent = new WeakMap<Secret, SealedValue>();

  constructor(private readonly deps: SecretServiceDeps) {
    this.repo = new SecretRepository(deps.db);
    this.lookups = new SecretLookups(this.repo);
    // Two reveal commits of a tenant may run at once: the second opens its transaction and waits
    // on the chain head's lock while the first commits, so its first round trips overlap the
    // first one's commit. Creates stay at one: measured, a second concurrent batch only added
    // CPU per create (docs/performance.md).
    this.reveals = new GroupCommitter((developerId, records) => this.commitReveals(developerId, records), { concurrency: REVEAL_COMMITS_AT_ONCE });
    this.creates = new GroupCommitter((_all, records) => this.commitCreates(records), { maxBatch: CREATE_BATCH, concurrency: CREATE_COMMITS_AT_ONCE });
  }

  async create(actor: Actor, input: CreateSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const plaintext = checkValue(input.value);
    const description = checkDescription(input.description);
    const metadata = checkMetadata(input.metadata);
    const rotateEveryDays = checkOptionalInt(input.rotateEveryDays, 'rotateEveryDays', 1, MAX_ROTATE_EVERY_DAYS);
    const expiresAt = input.expiresAt ? input.expiresAt.getTime() : null;
    const allowedHosts = checkAllowedHosts(input.allowedHosts);
    // A secret that has already expired could never be read: refuse it like any other bad input.
    if (expiresAt !== null && expiresAt <= this.deps.clock.now()) throw new ValidationError('expiresAt', 'expiresAt must be in the future');

    const id = newId();
    const dataKey = await this.deps.dataKeys.current(actor.developerId);
    const now = this.deps.clock.now();
    const row: SecretRow = {
      id,
      developer_id: actor.developerId,
      name,
      live_name: name,
      description,
      metadata: JSON.stringify(metadata),
      current_version: 1,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      purge_at: null,
      rotate_every_days: rotateEveryDays,
      rotation_due_at: rotationDueAt(now, rotateEveryDays),
      expires_at: expiresAt,
      value_changed_at: now,
      last_revealed_at: null,
      allowed_hosts: allowedHostsColumn(allowedHosts),
    };
    let ciphertext: Buffer;
    try {
      ciphertext = seal(this.deps.dataKeys.keyObjectOf(dataKey.key), plaintext, { developerId: actor.developerId, secretId: id, version: 1 });
    } finally {
      plaintext.fill(0);
    }
    const version: SecretVersionRow = {
      secret_id: id,
      version: 1,
      developer_id: actor.developerId,
      data_key_id: dataKey.id,
      ciphertext,
      created_at: now,
      created_by: actor.actorId,
      destroyed_at: null,
    };
    try {
      await this.creates.submit(ALL_TENANTS, { actor, secret: row, version, metadata });
    } catch (error) {
      if (isUniqueViolation(error)) throw new NameTakenError(name);
      throw error;
    }
    return toSecret(row);
  }

  /**
   * Creates that arrive together share one transaction, across tenants: it locks each tenant's
   * chain head (in one order, see TenantTransactions.runMany), writes all the rows as multi-row
   * inserts, and appends each tenant's records to its own chain. When the shared transaction
   * fails for good (a name taken by a live secret, a deleted one in its recovery window or
   * another create of the batch; or anything else one create brings), the batch is redone one
   * create per transaction, so only the create at fault fails and no tenant's create fails
   * because of another's.
   */
  private async commitCreates(items: CreateRecord[]): Promise<BatchOutcome | void> {
    const write = (batch: CreateRecord[]) =>
      this.deps.tenants.runMany(
        batch.map((c) => c.secret.developer_id),
        async (trx) => {
          const repo = this.repo.with(trx);
          await repo.insertNewSecrets(batch);
          const now = this.deps.clock.now();
          const byTenant = Map.groupBy(batch, (c) => c.secret.developer_id);
          // As in AWS Secrets Manager, a deleted secret keeps its name until it is purged, so it
          // can always be restored (docs/api.md, Rules for secrets). One query for every tenant.
          const held = await repo.findDeletedByNamesOfTenants(new Map([...byTenant].map(([developerId, created]) => [developerId, created.map((c) => c.secret.name)])), now);
          if (held) throw heldByDeletedSecret(held.name, Number(held.purge_at));
          await appendAuditEventsOfTenants(
            trx,
            new Map(
              [...byTenant].map(([developerId, created]) => [
                developerId,
                created.map((c) => ({
                  action: 'secret.create' as const,
                  secretName: c.secret.name,
                  version: 1,
                  actor: c.actor.actorId,
                  requestId: c.actor.requestId,
                })),
              ]),
            ),
            now,
          );
        },
      );
    if (items.length === 1) return write(items);
    try {
      return await write(items);
    } catch {
      // Each create again on its own (retries included), so only the ones at fault fail.
    }
    const outcome: unknown[] = [];
    for (const item of items) outcome.push(await write([item]).then(() => undefined, (error: unknown) => error));
    return outcome;
  }

  async update(actor: Actor, input: UpdateSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const plaintext = input.value === undefined || input.value === null ? null : checkValue(input.value);
    const description = input.description === undefined ? undefined : checkDescription(input.description);
    const metadata = input.metadata === undefined || input.metadata === null ? undefined : checkMetadata(input.metadata);
    const rotateEveryDays =
      input.rotateEveryDays === undefined ? undefined : checkOptionalInt(input.rotateEveryDays, 'rotateEveryDays', 1, MAX_ROTATE_EVERY_DAYS);
    const expiresAt = input.expiresAt === undefined ? undefined : (input.expiresAt?.getTime() ?? null);
    const allowedHosts = input.allowedHosts === undefined ? undefined : checkAllowedHosts(input.allowedHosts);
    const expectedVersion = checkExpectedVersion(input.expectedVersion);
    if (
      plaintext === null &&
      description === undefined &&
      metadata === undefined &&
      rotateEveryDays === undefined &&
      expiresAt === undefined &&
      allowedHosts === undefined
    ) {
      throw new ValidationError('input', 'give at least one of value, description, metadata, rotateEveryDays, expiresAt or allowedHosts');
    }
    const fields = [
      plaintext && 'value',
      description !== undefined && 'description',
      metadata !== undefined && 'metadata',
      rotateEveryDays !== undefined && 'rotateEveryDays',
      expiresAt !== undefined && 'expiresAt',
      allowedHosts !== undefined && 'allowedHosts',
    ].filter((f): f is string => Boolean(f));
    const dataKey = plaintext ? await this.deps.dataKeys.current(actor.developerId) : null;
    try {
      return await this.lockedWrite(actor, name, expectedVersion, async (repo, trx, current, now) => {
        const version = plaintext ? current.current_version + 1 : current.current_version;
        const cadence = rotateEveryDays === undefined ? current.rotate_every_days : rotateEveryDays;
        const valueChangedAt = plaintext ? now : Number(current.value_changed_at);
        const changes: Partial<SecretRow> = {
          updated_at: now,
          current_version: version,
          value_changed_at: valueChangedAt,
          rotate_every_days: cadence,
          rotation_due_at: rotationDueAt(valueChangedAt, cadence),
        };
        if (description !== undefined) changes.description = description;
        if (metadata !== undefined) changes.metadata = JSON.stringify(metadata);
        if (expiresAt !== undefined) changes.expires_at = expiresAt;
        if (allowedHosts !== undefined) changes.allowed_hosts = allowedHostsColumn(allowedHosts);
        await repo.updateSecret(actor.developerId, current.id, changes);
        if (plaintext && dataKey) await this.insertVersion(repo, actor, dataKey, current.id, version, plaintext, now);
        if (metadata !== undefined) await repo.replaceMetadata(actor.developerId, current, metadata);
        await this.audit(trx, actor, now, { action: 'secret.update', secretName: name, version, detail: { fields } });
        return changes;
      });
    } finally {
      plaintext?.fill(0);
    }
  }

  /** Makes an old version's value current again, as a new version (history is never rewritten). */
  async rollback(actor: Actor, input: RollbackSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const target = checkOptionalInt(input.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    if (target === null) throw new ValidationError('version', 'version is required');
    const expectedVersion = checkExpectedVersion(input.expectedVersion);
    const dataKey = await this.deps.dataKeys.current(actor.developerId);
    // Warm the old version's data key outside the transaction: a provider call must not hold a row lock.
    const live = await this.repo.findLiveByName(actor.developerId, name);
    const target0 = live && (await this.repo.findVersion(actor.developerId, live.id, target));
    if (target0?.ciphertext) await this.deps.dataKeys.get(actor.developerId, target0.data_key_id);
    return this.lockedWrite(actor, name, expectedVersion, async (repo, trx, current, now) => {
      if (target >= current.current_version) {
        throw new ValidationError('version', `version must be older than the current version ${current.current_version}`);
      }
      const old = await repo.findVersion(actor.developerId, current.id, target);
      if (!old) throw new NotFoundError(`secret "${name}" has no version ${target}`);
      if (!old.ciphertext) throw new NotFoundError(`version ${target} of secret "${name}" was destroyed`);
      const oldKey = await this.deps.dataKeys.get(actor.developerId, old.data_key_id);
      const plaintext = open(oldKey, Buffer.from(old.ciphertext), { developerId: actor.developerId, secretId: current.id, version: target });
      try {
        const version = current.current_version + 1;
        const changes = {
          updated_at: now,
          current_version: version,
          value_changed_at: now,
          rotation_due_at: rotationDueAt(now, current.rotate_every_days),
        };
        await repo.updateSecret(actor.developerId, current.id, changes);
        await this.insertVersion(repo, actor, dataKey, current.id, version, plaintext, now);
        await this.audit(trx, actor, now, { action: 'secret.rollback', secretName: name, version, detail: { fromVersion: target } });
        return changes;
      } finally {
        plaintext.fill(0);
      }
    });
  }

  /** Erases one old version's ciphertext for good; the current version cannot be destroyed. */
  async destroyVersion(actor: Actor, input: DestroySecretVersionInput): Promise<SecretVersionInfo> {
    const name = checkName(input.name);
    const version = checkOptionalInt(input.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    if (version === null) throw new ValidationError('version', 'version is required');
    const expectedVersion = checkExpectedVersion(input.expectedVersion);
    return this.deps.tenants.run(actor.developerId, async (trx) => {
      const repo = this.repo.with(trx);
      const current = await lockLiveSecret(repo, actor.developerId, name, expectedVersion);
      if (version === current.current_version) {
        throw new ValidationError('version', 'the current version cannot be destroyed; update or roll back first');
      }
      const now = this.deps.clock.now();
      if (!(await repo.destroyVersion(actor.developerId, current.id, version, now))) {
        const existing = await repo.findVersion(actor.developerId, current.id, version);
        if (!existing) throw new NotFoundError(`secret "${name}" has no version ${version}`);
        return toVersionInfo(toSecret(current), existing); // already destroyed: idempotent
      }
      await this.audit(trx, actor, now, { action: 'secret.destroy_version', secretName: name, version });
      const row = await repo.findVersion(actor.developerId, current.id, version);
      return toVersionInfo(toSecret(current), row!);
    });
  }

  async delete(actor: Actor, input: DeleteSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const window =
      checkOptionalInt(input.recoveryWindowDays, 'recoveryWindowDays', 0, MAX_RECOVERY_WINDOW_DAYS) ?? DEFAULT_RECOVERY_WINDOW_DAYS;
    if (input.force && input.recoveryWindowDays !== undefined && input.recoveryWindowDays !== null && window !== 0) {
      throw new ValidationError('force', 'force deletes at once; do not combine it with a recovery window');
    }
    const expectedVersion = checkExpectedVersion(input.expectedVersion);
    const purgeNow = input.force === true || window === 0;
    return this.lockedWrite(actor, name, expectedVersion, async (repo, trx, current, now) => {
      if (purgeNow) {
        await repo.purge(actor.developerId, current.id);
        await this.audit(trx, actor, now, { action: 'secret.purge', secretName: name, version: current.current_version, detail: { forced: true } });
        return { live_name: null, deleted_at: now, purge_at: now, updated_at: now };
      }
      const changes = { live_name: null, deleted_at: now, purge_at: now + window * DAY_MS, updated_at: now };
      await repo.updateSecret(actor.developerId, current.id, changes);
      await this.audit(trx, actor, now, {
        action: 'secret.delete',
        secretName: name,
        version: current.current_version,
        detail: { recoveryWindowDays: window },
      });
      return changes;
    });
  }

  /** `expectedVersion`: check-and-set against the deleted secret's current version. */
  async restore(actor: Actor, nameInput: unknown, expectedVersionInput?: unknown): Promise<Secret> {
    const name = checkName(nameInput);
    const expectedVersion = checkExpectedVersion(expectedVersionInput);
    try {
      return await this.deps.tenants.run(actor.developerId, async (trx) => {
        const repo = this.repo.with(trx);
        const now = this.deps.clock.now();
        const deleted = await repo.findDeletedByName(actor.developerId, name, now, true);
        if (!deleted) throw new NotFoundError(`no deleted secret named "${name}" to restore`);
        if (expectedVersion !== null && deleted.current_version !== expectedVersion) {
          throw new VersionConflictError(expectedVersion, deleted.current_version);
        }
        if (await repo.findLiveByName(actor.developerId, name)) throw heldByLiveSecret(name);
        const changes = { live_name: name, deleted_at: null, purge_at: null, updated_at: now };
        await repo.updateSecret(actor.developerId, deleted.id, changes);
        await this.audit(trx, actor, now, { action: 'secret.restore', secretName: name, version: deleted.current_version });
        return toSecret({ ...deleted, ...changes });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw heldByLiveSecret(name);
      throw error;
    }
  }

  /**
   * Erases deleted secrets whose recovery window has ended, across all tenants, each in its own
   * transaction with its audit record. Run at start-up and on a timer. Returns how many.
   */
  async purgeExpired(batchSize = 100): Promise<number> {
    let purged = 0;
    for (;;) {
      const due = await this.repo.findPurgeable(this.deps.clock.now(), batchSize);
      for (const secret of due) {
        // Every node runs this job: the one whose transaction purges the secret records it, once.
        const done = await this.deps.tenants.run(secret.developer_id, async (trx) => {
          const now = this.deps.clock.now();
          if (!(await this.repo.with(trx).purgeIfDue(secret.developer_id, secret.id, now))) return false;
          await appendAuditEvents(
            trx,
            secret.developer_id,
            [{ action: 'secret.purge', secretName: secret.name, actor: SYSTEM_ACTOR, detail: { reason: 'recovery window ended' } }],
            now,
          );
          return true;
        });
        if (done) purged++;
      }
      if (due.length < batchSize) return purged;
    }
  }

  /** A live secret by name, or null (absent, deleted, or another tenant's: indistinguishable). */
  async get(actor: Pick<Actor, 'developerId'>, nameInput: unknown): Promise<Secret | null> {
    const name = checkName(nameInput);
    const found = await this.lookups.find(actor.developerId, name);
    if (!found) return null;
    const secret = toSecret(found.secret);
    // Kept with the object the resolvers hand back to reveal(): no second query for the value.
    if (found.sealed) this.sealedCurrent.set(secret, found.sealed);
    return secret;
  }

  /**
   * A secret by id: live, or deleted and still inside its recovery window (so a client can
   * refetch what `secrets(filter: { deleted: true })` listed). Past its purge time a secret is
   * gone, whether or not the purge job has erased its rows yet.
   */
  async getById(actor: Pick<Actor, 'developerId'>, id: string): Promise<Secret | null> {
    const row = await this.repo.findById(actor.developerId, id);
    if (!row || (row.purge_at !== null && Number(row.purge_at) <= this.deps.clock.now())) return null;
    return toSecret(row);
  }

  async list(actor: Pick<Actor, 'developerId'>, args: PageArgs & { filter?: SecretFilter | null }): Promise<Page<Secret>> {
    const window = checkPageArgs(args, this.deps.maxPageSize);
    const filter = args.filter ?? {};
    const metadata = filter.metadata === undefined || filter.metadata === null ? undefined : checkMetadata(filter.metadata, 'filter.metadata');
    if (filter.namePrefix !== undefined && filter.namePrefix !== null && filter.namePrefix.length > 128) {
      throw new ValidationError('filter.namePrefix', 'filter.namePrefix must be at most 128 characters');
    }
    const now = this.deps.clock.now();
    const rows = await this.repo.list({
      developerId: actor.developerId,
      deleted: filter.deleted === true,
      now,
      namePrefix: filter.namePrefix ?? undefined,
      metadata,
      dueAt: filter.dueForRotation ? now : undefined,
      cursor: window.cursor ? decodeSecretCursor(window.cursor) : undefined,
      backwards: window.backwards,
      limit: window.limit + 1,
    });
    return toPage(rows.map(toSecret), window);
  }

  async listVersions(actor: Pick<Actor, 'developerId'>, secret: Secret, args: PageArgs): Promise<Page<SecretVersionInfo>> {
    const window = checkPageArgs(args, this.deps.maxPageSize);
    const cursor = window.cursor ? decodeVersionCursor(window.cursor) : undefined;
    const rows = await this.repo.listVersions(actor.developerId, secret.id, window.limit + 1, cursor, window.backwards);
    return toPage(
      rows.map((row) => toVersionInfo(secret, row)),
      window,
    );
  }

  async findVersion(actor: Pick<Actor, 'developerId'>, secret: Secret, version: number): Promise<SecretVersionInfo | null> {
    const row = await this.repo.findVersion(actor.developerId, secret.id, version);
    return row ? toVersionInfo(secret, row) : null;
  }

  /**
   * Decrypts a version's value (the current one by default) outside any transaction (a cache
   * hit needs no I/O; a miss unwraps through the provider without holding a database lock),
   * then hands the `secret.reveal` record to the tenant's group commit, which shares one
   * transaction among the reveals that arrive together. The value is returned only once its
   * record has committed; if the commit fails the caller gets the error, not the value
   * (docs/architecture.md, the request path of a reveal).
   */
  async reveal(actor: Actor, secret: Secret, version = secret.version): Promise<string> {
    const value = await this.decrypt(actor, secret, version);
    try {
      await this.reveals.submit(actor.developerId, {
        actor,
        secretId: secret.id,
        secretName: secret.name,
        version,
        lastRevealedAt: secret.lastRevealedAt?.getTime() ?? null,
      });
    } catch (error) {
      // The group commit already retried conflicts (tenant transaction); this record could not
      // be made durable, so the value is not handed out.
      throw new AuditUnavailableError('the reveal could not be recorded in the audit log; nothing was revealed', { cause: error });
    }
    return value;
  }

  private async commitReveals(developerId: string, records: RevealRecord[]): Promise<void> {
    // A tenant transaction: retried on conflicts as a whole, so each record lands exactly once.
    await this.deps.tenants.run(developerId, async (trx) => {
      const now = this.deps.clock.now();
      // last_revealed_at is kept to the second: a hot secret's row is not rewritten (and locked)
      // by every batch. The audit records keep every reveal's exact time.
      const stale = records.filter((r) => r.lastRevealedAt === null || now - r.lastRevealedAt >= REVEALED_AT_RESOLUTION_MS);
      await this.repo.with(trx).markRevealed(developerId, [...new Set(stale.map((r) => r.secretId))], now);
      await appendAuditEvents(
        trx,
        developerId,
        records.map((r) => ({
          action: 'secret.reveal' as const,
          secretName: r.secretName,
          version: r.version,
          actor: r.actor.actorId,
          requestId: r.actor.requestId,
          callerRequestId: r.actor.callerRequestId,
        })),
        now,
      );
    });
  }

  /** Which of these names are live secrets of the actor's developer (for task validation). */
  async existingNames(actor: Pick<Actor, 'developerId'>, names: readonly string[]): Promise<Set<string>> {
    const rows = await this.repo.findLiveByNames(actor.developerId, [...new Set(names)]);
    return new Set(rows.map((r) => r.name));
  }

  /**
   * Current values of exactly these secrets for a task run, audited as one `task.secret_use`
   * event per secret in a single transaction before any value is handed out. A missing or
   * expired secret fails the whole call, so a run never starts half-provisioned.
   */
  async revealForTask(actor: Actor, names: readonly string[]): Promise<Map<string, { value: string; allowedHosts: readonly string[] }>> {
    const unique = [...new Set(names)];
    const rows = await this.repo.findLiveByNames(actor.developerId, unique);
    const byName = new Map(rows.map((r) => [r.name, toSecret(r)]));
    const missing = unique.filter((n) => !byName.has(n));
    if (missing.length > 0) throw new NotFoundError(`no secret named ${missing.map((n) => `"${n}"`).join(', ')}`);
    const values = new Map<string, { value: string; allowedHosts: readonly string[] }>();
    for (const name of unique) {
      const secret = byName.get(name)!;
      values.set(name, { value: await this.decrypt(actor, secret, secret.version), allowedHosts: secret.allowedHosts });
    }
    await this.deps.tenants.run(actor.developerId, async (trx) => {
      const now = this.deps.clock.now();
      await this.repo.with(trx).markRevealed(actor.developerId, [...byName.values()].map((s) => s.id), now);
      await appendAuditEvents(
        trx,
        actor.developerId,
        [...byName.values()].map((s) => ({ action: 'task.secret_use' as const, secretName: s.name, version: s.version, actor: actor.actorId, requestId: actor.requestId, callerRequestId: actor.callerRequestId })),
        now,
      );
    });
    return values;
  }

  /** Audits a task run refused for sending a secret to a host outside its allowedHosts. */
  async auditTaskDenial(actor: Actor, secretName: string, host: string): Promise<void> {
    await this.deps.tenants.run(actor.developerId, (trx) =>
      appendAuditEvents(
        trx,
        actor.developerId,
        [{ action: 'task.secret_denied', secretName, actor: actor.actorId, requestId: actor.requestId, detail: { host } }],
        this.deps.clock.now(),
      ),
    );
  }

  private async decrypt(actor: Actor, secret: Secret, version: number): Promise<string> {
    if (secret.developerId !== actor.developerId) throw new NotFoundError('secret not found');
    if (secret.deletedAt) throw new NotFoundError(`secret "${secret.name}" is deleted; restore it to read its value`);
    if (secret.expiresAt && secret.expiresAt.getTime() <= this.deps.clock.now()) {
      throw new SecretExpiredError(secret.name, secret.expiresAt);
    }
    const cached = this.sealedCurrent.get(secret);
    const row = cached?.version === version ? cached : await this.repo.findVersion(actor.developerId, secret.id, version);
    if (!row) throw new NotFoundError(`secret "${secret.name}" has no version ${version}`);
    if (!row.ciphertext) throw new NotFoundError(`version ${version} of secret "${secret.name}" was destroyed`);
    const key = await this.deps.dataKeys.keyObject(actor.developerId, row.data_key_id);
    const plaintext = open(key, Buffer.from(row.ciphertext), { developerId: actor.developerId, secretId: secret.id, version });
    const value = plaintext.toString('utf8');
    plaintext.fill(0);
    return value;
  }

  /**
   * Runs a write against the live secret `name` with its row locked for the transaction, so
   * concurrent writers queue up: with an expectedVersion all but the first get a typed
   * conflict; without one each write lands as its own version and none is lost.
   */
  private async lockedWrite(
    actor: Actor,
    name: string,
    expectedVersion: number | null,
    apply: (repo: SecretRepository, trx: Kysely<Database>, current: SecretRow, now: number) => Promise<Partial<SecretRow>>,
  ): Promise<Secret> {
    return this.deps.tenants.run(actor.developerId, async (trx) => {
      const repo = this.repo.with(trx);
      const current = await lockLiveSecret(repo, actor.developerId, name, expectedVersion);
      // The secret as this write left it (a later writer may already have moved it on).
      return toSecret({ ...current, ...(await apply(repo, trx, current, this.deps.clock.now())) });
    });
  }

  /** Seals and stores a version, then destroys versions that fall out of the kept window. */
  private async insertVersion(
    repo: SecretRepository,
    actor: Actor,
    dataKey: DataKey,
    secretId: string,
    version: number,
    plaintext: Buffer,
    now: number,
  ): Promise<void> {
    const ciphertext = seal(this.deps.dataKeys.keyObjectOf(dataKey.key), plaintext, { developerId: actor.developerId, secretId, version });
    await repo.insertVersion({
      secret_id: secretId,
      version,
      developer_id: actor.developerId,
      data_key_id: dataKey.id,
      ciphertext,
      created_at: now,
      created_by: actor.actorId,
      destroyed_at: null,
    });
    if (version > this.deps.maxVersions) {
      await repo.destroyVersionsThrough(actor.developerId, secretId, version - this.deps.maxVersions, now);
    }
  }

  private audit(trx: Kysely<Database>, actor: Actor, at: number, entry: Omit<AuditEntry, 'actor' | 'requestId'>): Promise<void> {
    return appendAuditEvents(trx, actor.developerId, [{ ...entry, actor: actor.actorId, requestId: actor.requestId, callerRequestId: actor.callerRequestId }], at);
  }
}

interface CreateRecord {
  readonly actor: Actor;
  readonly secret: SecretRow;
  readonly version: SecretVersionRow;
  readonly metadata: Metadata;
}

/** Creates per transaction at most: with up to 50 metadata keys each, a few thousand index rows. */
const CREATE_BATCH = 64;
/** The group-commit key of creates: one queue for every tenant (commitCreates). */
const ALL_TENANTS = '*';
/**
 * Create transactions in flight at once. One: all tenants' creates share one queue, so the batch
 * that waits while one commits gathers every create that arrives meanwhile.
 */
const CREATE_COMMITS_AT_ONCE = 1;

interface RevealRecord {
  readonly actor: Actor;
  readonly secretId: string;
  readonly secretName: string;
  readonly version: number;
  /** As the reveal read it (epoch ms), to skip rewriting a time that is already current. */
  readonly lastRevealedAt: number | null;
}

/** Reveal batches of one tenant that may be committing at once (see the constructor). */
const REVEAL_COMMITS_AT_ONCE = 2;

/** How stale `last_revealed_at` may be before a reveal writes it again. */
const REVEALED_AT_RESOLUTION_MS = 1000;

/** The live secret `name`, row-locked for the transaction, at `expectedVersion` when one is given. */
async function lockLiveSecret(repo: SecretRepository, developerId: string, name: string, expectedVersion: number | null): Promise<SecretRow> {
  const current = await repo.findLiveByName(developerId, name, true);
  if (!current) throw new NotFoundError(`no secret named "${name}"`);
  if (expectedVersion !== null && current.current_version !== expectedVersion) {
    throw new VersionConflictError(expectedVersion, current.current_version);
  }
  return current;
}

function checkExpectedVersion(value: unknown): number | null {
  return checkOptionalInt(value, 'expectedVersion', 1, Number.MAX_SAFE_INTEGER);
}

const allowedHostsColumn = (hosts: readonly string[]): string | null => (hosts.length === 0 ? null : JSON.stringify(hosts));

function rotationDueAt(valueChangedAt: number, rotateEveryDays: number | null): number | null {
  return rotateEveryDays === null ? null : valueChangedAt + rotateEveryDays * DAY_MS;
}

/** restoreSecret while a live secret has the name (possible for secrets deleted before names were held). */
function heldByLiveSecret(name: string): NameTakenError {
  return new NameTakenError(name, `a live secret named "${name}" exists; delete or rename it before restoring the deleted one`);
}

function heldByDeletedSecret(name: string, purgeAt: number): NameTakenError {
  return new NameTakenError(
    name,
    `a deleted secret named "${name}" holds the name until it is purged at ${new Date(purgeAt).toISOString()}; ` +
      'restore it, or restore it and delete it with force to reuse the name now',
  );
}
