import type { Kysely } from 'kysely';
import { type AuditEntry, appendAuditEvents } from '../audit/audit-log';
import type { Actor } from '../auth/principal';
import type { Clock } from '../clock';
import type { DataKeyService } from '../crypto/data-keys';
import { open, seal } from '../crypto/envelope';
import type { Database, SecretRow } from '../db/database';
import { NameTakenError, NotFoundError, ValidationError, VersionConflictError } from '../errors';
import { isUniqueViolation } from '../crypto/data-key-repository';
import { newId } from '../ids';
import { SecretRepository, type VersionSummary } from './repository';
import {
  checkDescription,
  checkMetadata,
  checkName,
  checkOptionalInt,
  checkPageSize,
  checkValue,
  DEFAULT_RECOVERY_WINDOW_DAYS,
  MAX_RECOVERY_WINDOW_DAYS,
  type Metadata,
} from './validation';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Retries of an unconditional update that lost a race; each retry re-reads the current version. */
const MAX_WRITE_ATTEMPTS = 5;

/** A secret as the API sees it: never holds the value. */
export interface Secret {
  readonly id: string;
  readonly developerId: string;
  readonly name: string;
  readonly description: string | null;
  readonly metadata: Metadata;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
  readonly purgeAt: Date | null;
  readonly rotateEveryDays: number | null;
  readonly expiresAt: Date | null;
  readonly lastRevealedAt: Date | null;
}

export interface SecretVersionInfo {
  readonly secretId: string;
  readonly developerId: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  readonly destroyed: boolean;
}

export interface CreateSecretInput {
  name: unknown;
  value: unknown;
  description?: unknown;
  metadata?: unknown;
  rotateEveryDays?: unknown;
  expiresAt?: Date | null;
}

export interface UpdateSecretInput {
  name: unknown;
  value?: unknown;
  description?: unknown;
  metadata?: unknown;
  expectedVersion?: unknown;
}

export interface DeleteSecretInput {
  name: unknown;
  recoveryWindowDays?: unknown;
  force?: boolean | null;
}

export interface SecretFilter {
  metadata?: unknown;
  namePrefix?: string | null;
  deleted?: boolean | null;
}

export interface Page<T> {
  readonly items: T[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

/** Relay pagination arguments, forwards (first/after) or backwards (last/before). */
export interface PageArgs {
  first?: unknown;
  after?: string | null;
  last?: unknown;
  before?: string | null;
}

export interface SecretServiceDeps {
  readonly db: Kysely<Database>;
  readonly dataKeys: DataKeyService;
  readonly clock: Clock;
}

/**
 * Rules, crypto and audit for secrets. Every change and its audit record commit in one
 * transaction; values are sealed before the transaction starts (no provider call holds a
 * database transaction open) and never leave this class except through reveal().
 */
export class SecretService {
  private readonly repo: SecretRepository;

  constructor(private readonly deps: SecretServiceDeps) {
    this.repo = new SecretRepository(deps.db);
  }

  async create(actor: Actor, input: CreateSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const plaintext = checkValue(input.value);
    const description = checkDescription(input.description);
    const metadata = checkMetadata(input.metadata);
    const rotateEveryDays = checkOptionalInt(input.rotateEveryDays, 'rotateEveryDays', 1, 3650);
    const expiresAt = input.expiresAt ? input.expiresAt.getTime() : null;

    const id = newId();
    const dataKey = await this.deps.dataKeys.current(actor.developerId);
    const ciphertext = seal(dataKey.key, plaintext, { developerId: actor.developerId, secretId: id, version: 1 });
    plaintext.fill(0);
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
      expires_at: expiresAt,
      value_changed_at: now,
      last_revealed_at: null,
    };
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const repo = this.repo.with(trx);
        await repo.insertSecret(row);
        await repo.insertVersion({
          secret_id: id,
          version: 1,
          developer_id: actor.developerId,
          data_key_id: dataKey.id,
          ciphertext,
          created_at: now,
          created_by: actor.actorId,
          destroyed_at: null,
        });
        await repo.replaceMetadata(actor.developerId, id, metadata);
        await this.audit(trx, actor, now, { action: 'secret.create', secretName: name, version: 1 });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new NameTakenError(name);
      throw error;
    }
    return toSecret(row);
  }

  async update(actor: Actor, input: UpdateSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const plaintext = input.value === undefined || input.value === null ? null : checkValue(input.value);
    const description = input.description === undefined ? undefined : checkDescription(input.description);
    const metadata = input.metadata === undefined || input.metadata === null ? undefined : checkMetadata(input.metadata);
    const expectedVersion = checkOptionalInt(input.expectedVersion, 'expectedVersion', 1, Number.MAX_SAFE_INTEGER);
    if (plaintext === null && description === undefined && metadata === undefined) {
      throw new ValidationError('input', 'give at least one of value, description or metadata to change');
    }
    // Sealing needs the data key; fetch it before the transaction so a slow provider never holds locks.
    const dataKey = plaintext ? await this.deps.dataKeys.current(actor.developerId) : null;

    try {
      for (let attempt = 1; ; attempt++) {
        const current = await this.repo.findLiveByName(actor.developerId, name);
        if (!current) throw new NotFoundError(`no secret named "${name}"`);
        if (expectedVersion !== null && current.current_version !== expectedVersion) {
          throw new VersionConflictError(expectedVersion, current.current_version);
        }
        const applied = await this.deps.db.transaction().execute(async (trx) => {
          const repo = this.repo.with(trx);
          const now = this.deps.clock.now();
          const nextVersion = plaintext ? current.current_version + 1 : current.current_version;
          const changes: Partial<SecretRow> = { updated_at: now, current_version: nextVersion };
          if (description !== undefined) changes.description = description;
          if (metadata !== undefined) changes.metadata = JSON.stringify(metadata);
          if (plaintext) changes.value_changed_at = now;
          // The guarded UPDATE goes first: it takes the row lock, so a concurrent writer that read
          // the same version fails here instead of colliding on the version insert.
          if (!(await repo.updateSecretIfVersion(actor.developerId, current.id, current.current_version, changes))) return false;
          if (plaintext && dataKey) {
            const binding = { developerId: actor.developerId, secretId: current.id, version: nextVersion };
            await repo.insertVersion({
              secret_id: current.id,
              version: nextVersion,
              developer_id: actor.developerId,
              data_key_id: dataKey.id,
              ciphertext: seal(dataKey.key, plaintext, binding),
              created_at: now,
              created_by: actor.actorId,
              destroyed_at: null,
            });
          }
          if (metadata !== undefined) await repo.replaceMetadata(actor.developerId, current.id, metadata);
          await this.audit(trx, actor, now, {
            action: 'secret.update',
            secretName: name,
            version: nextVersion,
            detail: { fields: changedFields(plaintext !== null, description !== undefined, metadata !== undefined) },
          });
          return true;
        });
        if (applied) {
          const updated = await this.repo.findById(actor.developerId, current.id);
          return toSecret(updated!);
        }
        // Someone else moved the version between our read and our write.
        const now = await this.repo.findLiveByName(actor.developerId, name);
        if (!now) throw new NotFoundError(`no secret named "${name}"`);
        if (expectedVersion !== null) throw new VersionConflictError(expectedVersion, now.current_version);
        if (attempt >= MAX_WRITE_ATTEMPTS) throw new VersionConflictError(current.current_version, now.current_version);
      }
    } finally {
      plaintext?.fill(0);
    }
  }

  async delete(actor: Actor, input: DeleteSecretInput): Promise<Secret> {
    const name = checkName(input.name);
    const window =
      checkOptionalInt(input.recoveryWindowDays, 'recoveryWindowDays', 0, MAX_RECOVERY_WINDOW_DAYS) ?? DEFAULT_RECOVERY_WINDOW_DAYS;
    if (input.force && input.recoveryWindowDays !== undefined && input.recoveryWindowDays !== null && window !== 0) {
      throw new ValidationError('force', 'force deletes at once; do not combine it with a recovery window');
    }
    const purgeNow = input.force === true || window === 0;
    return this.deps.db.transaction().execute(async (trx) => {
      const repo = this.repo.with(trx);
      const current = await repo.findLiveByName(actor.developerId, name);
      if (!current) throw new NotFoundError(`no secret named "${name}"`);
      const now = this.deps.clock.now();
      if (purgeNow) {
        await repo.purge(actor.developerId, current.id);
        await this.audit(trx, actor, now, { action: 'secret.purge', secretName: name, version: current.current_version, detail: { forced: true } });
        return toSecret({ ...current, live_name: null, deleted_at: now, purge_at: now, updated_at: now });
      }
      const changes = { live_name: null, deleted_at: now, purge_at: now + window * DAY_MS, updated_at: now };
      await repo.updateSecret(actor.developerId, current.id, changes);
      await this.audit(trx, actor, now, {
        action: 'secret.delete',
        secretName: name,
        version: current.current_version,
        detail: { recoveryWindowDays: window },
      });
      return toSecret({ ...current, ...changes });
    });
  }

  async restore(actor: Actor, nameInput: unknown): Promise<Secret> {
    const name = checkName(nameInput);
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const repo = this.repo.with(trx);
        const deleted = await repo.findDeletedByName(actor.developerId, name);
        if (!deleted) throw new NotFoundError(`no deleted secret named "${name}" to restore`);
        if (await repo.findLiveByName(actor.developerId, name)) throw new NameTakenError(name);
        const now = this.deps.clock.now();
        const changes = { live_name: name, deleted_at: null, purge_at: null, updated_at: now };
        await repo.updateSecret(actor.developerId, deleted.id, changes);
        await this.audit(trx, actor, now, { action: 'secret.restore', secretName: name, version: deleted.current_version });
        return toSecret({ ...deleted, ...changes });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new NameTakenError(name);
      throw error;
    }
  }

  /** A live secret by name, or null (absent, deleted, or another tenant's: indistinguishable). */
  async get(actor: Pick<Actor, 'developerId'>, nameInput: unknown): Promise<Secret | null> {
    const name = checkName(nameInput);
    const row = await this.repo.findLiveByName(actor.developerId, name);
    return row ? toSecret(row) : null;
  }

  async getById(actor: Pick<Actor, 'developerId'>, id: string): Promise<Secret | null> {
    const row = await this.repo.findById(actor.developerId, id);
    return row ? toSecret(row) : null;
  }

  async list(actor: Pick<Actor, 'developerId'>, args: PageArgs & { filter?: SecretFilter | null }): Promise<Page<Secret>> {
    const window = checkPageArgs(args);
    const filter = args.filter ?? {};
    const metadata = filter.metadata === undefined || filter.metadata === null ? undefined : checkMetadata(filter.metadata, 'filter.metadata');
    if (filter.namePrefix !== undefined && filter.namePrefix !== null && filter.namePrefix.length > 128) {
      throw new ValidationError('filter.namePrefix', 'filter.namePrefix must be at most 128 characters');
    }
    const rows = await this.repo.list({
      developerId: actor.developerId,
      deleted: filter.deleted === true,
      namePrefix: filter.namePrefix ?? undefined,
      metadata,
      cursor: window.cursor ? decodeSecretCursor(window.cursor) : undefined,
      backwards: window.backwards,
      limit: window.limit + 1,
    });
    return toPage(rows.map(toSecret), window);
  }

  async listVersions(actor: Pick<Actor, 'developerId'>, secret: Secret, args: PageArgs): Promise<Page<SecretVersionInfo>> {
    const window = checkPageArgs(args);
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
   * Decrypts a version's value (the current one by default) and records the reveal in the same
   * transaction; the value is returned only once its audit record has committed.
   */
  async reveal(actor: Actor, secret: Secret, version = secret.version): Promise<string> {
    if (secret.developerId !== actor.developerId) throw new NotFoundError('secret not found');
    if (secret.deletedAt) throw new NotFoundError(`secret "${secret.name}" is deleted; restore it to read its value`);
    const row = await this.repo.findVersion(actor.developerId, secret.id, version);
    if (!row || !row.ciphertext) throw new NotFoundError(`secret "${secret.name}" has no readable version ${version}`);
    const key = await this.deps.dataKeys.get(actor.developerId, row.data_key_id);
    const plaintext = open(key, Buffer.from(row.ciphertext), { developerId: actor.developerId, secretId: secret.id, version });
    const value = plaintext.toString('utf8');
    plaintext.fill(0);
    await this.deps.db.transaction().execute(async (trx) => {
      const now = this.deps.clock.now();
      await this.repo.with(trx).updateSecret(actor.developerId, secret.id, { last_revealed_at: now });
      await this.audit(trx, actor, now, { action: 'secret.reveal', secretName: secret.name, version });
    });
    return value;
  }

  private audit(trx: Kysely<Database>, actor: Actor, at: number, entry: Omit<AuditEntry, 'actor' | 'requestId'>): Promise<void> {
    return appendAuditEvents(trx, actor.developerId, [{ ...entry, actor: actor.actorId, requestId: actor.requestId }], at);
  }
}

interface PageWindow {
  readonly limit: number;
  readonly cursor: string | null | undefined;
  readonly backwards: boolean;
}

function checkPageArgs(args: PageArgs): PageWindow {
  const backwards = (args.last !== undefined && args.last !== null) || Boolean(args.before);
  if (backwards && ((args.first !== undefined && args.first !== null) || args.after)) {
    throw new ValidationError('first', 'page forwards (first/after) or backwards (last/before), not both');
  }
  return backwards
    ? { limit: checkPageSize(args.last, 'last'), cursor: args.before, backwards }
    : { limit: checkPageSize(args.first, 'first'), cursor: args.after, backwards };
}

/** Rows were fetched with one extra to learn whether another page exists beyond them. */
function toPage<T>(rows: T[], window: PageWindow): Page<T> {
  const more = rows.length > window.limit;
  const items = rows.slice(0, window.limit);
  if (window.backwards) items.reverse();
  return {
    items,
    hasNextPage: window.backwards ? Boolean(window.cursor) : more,
    hasPreviousPage: window.backwards ? more : Boolean(window.cursor),
  };
}

function changedFields(value: boolean, description: boolean, metadata: boolean): string[] {
  return [value && 'value', description && 'description', metadata && 'metadata'].filter((f): f is string => Boolean(f));
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(Number(ms));
}

export function toSecret(row: SecretRow): Secret {
  return {
    id: row.id,
    developerId: row.developer_id,
    name: row.name,
    description: row.description,
    metadata: JSON.parse(row.metadata) as Metadata,
    version: row.current_version,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    deletedAt: toDate(row.deleted_at),
    purgeAt: toDate(row.purge_at),
    rotateEveryDays: row.rotate_every_days,
    expiresAt: toDate(row.expires_at),
    lastRevealedAt: toDate(row.last_revealed_at),
  };
}

function toVersionInfo(secret: Secret, row: VersionSummary): SecretVersionInfo {
  return {
    secretId: secret.id,
    developerId: secret.developerId,
    version: row.version,
    createdAt: new Date(Number(row.created_at)),
    createdBy: row.created_by,
    destroyed: row.destroyed_at !== null,
  };
}

/** Opaque cursors: base64url JSON. Bad cursors are a validation error, not a crash. */
export function encodeSecretCursor(secret: Pick<Secret, 'name' | 'id'>): string {
  return Buffer.from(JSON.stringify(['s', secret.name, secret.id])).toString('base64url');
}

function decodeSecretCursor(cursor: string): { name: string; id: string } {
  const parsed = decodeCursor(cursor);
  if (parsed[0] !== 's' || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string') {
    throw new ValidationError('after', 'after is not a cursor from this list');
  }
  return { name: parsed[1], id: parsed[2] };
}

export function encodeVersionCursor(version: number): string {
  return Buffer.from(JSON.stringify(['v', version])).toString('base64url');
}

function decodeVersionCursor(cursor: string): number {
  const parsed = decodeCursor(cursor);
  if (parsed[0] !== 'v' || !Number.isInteger(parsed[1])) throw new ValidationError('after', 'after is not a cursor from this list');
  return parsed[1] as number;
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw new ValidationError('after', 'after is not a valid cursor');
}
