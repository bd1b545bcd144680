import type { Kysely } from 'kysely';
import { type AuditEntry, appendAuditEvents } from '../audit/audit-log';
import { type Actor, isScope, type Principal, SCOPES, type Scope } from '../auth/principal';
import { generateApiKeyToken, hashToken, tokenPrefix } from '../auth/tokens';
import { type Clock, dateFromMillis } from '../clock';
import type { ApiKeyRow, Database } from '../db/database';
import { isRetryableConflict } from '../db/errors';
import type { TenantTransactions } from '../db/tenant-transaction';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { ApiKeyRepository } from './repository';
import { DEFAULT_VERIFIED_KEY_CACHE, type VerifiedKey, VerifiedKeyCache, type VerifiedKeyCacheOptions } from './verified-key-cache';

export interface ApiKey {
  readonly id: string;
  readonly developerId: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: Scope[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  /** The key that minted this one (it expires no later and is revoked with it). */
  readonly parentId: string | null;
}

export interface CreatedApiKey {
  readonly apiKey: ApiKey;
  /** The only time the token exists outside the caller's hands: it is not stored. */
  readonly token: string;
}

export interface CreateApiKeyInput {
  name: unknown;
  scopes?: readonly string[] | null;
  expiresAt?: Date | null;
}

/** Writes to last_used_at are coalesced: one per key per minute is plenty and keeps reads cheap. */
const TOUCH_INTERVAL_MS = 60_000;
const KEY_NAME = /^[\w .:@/-]{1,128}$/;

export class ApiKeyService {
  private readonly repo: ApiKeyRepository;

  /** Verified keys by token hash: most requests authenticate without a database round trip. */
  private readonly verified: VerifiedKeyCache;

  constructor(private readonly deps: { db: Kysely<Database>; tenants: TenantTransactions; clock: Clock; cache?: VerifiedKeyCacheOptions }) {
    this.repo = new ApiKeyRepository(deps.db);
    this.verified = new VerifiedKeyCache(deps.clock, deps.cache ?? DEFAULT_VERIFIED_KEY_CACHE);
  }

  /** Cache hits and misses of authentication (metrics, tests). */
  get cacheStats(): { readonly hits: number; readonly misses: number } {
    return this.verified.stats;
  }

  /**
   * Creates a key for the actor's developer. A key can only grant scopes its creator holds,
   * so `keys:manage` cannot mint a more powerful key than itself.
   */
  async create(actor: Actor, creatorScopes: ReadonlySet<Scope> | 'all', input: CreateApiKeyInput): Promise<CreatedApiKey> {
    return this.deps.tenants.run(actor.developerId, (trx) => this.createIn(trx, actor, creatorScopes, input));
  }

  /** Same as create(), inside a caller's transaction (creating a developer with its first key). */
  async createIn(trx: Kysely<Database>, actor: Actor, creatorScopes: ReadonlySet<Scope> | 'all', input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!KEY_NAME.test(name)) {
      throw new ValidationError('name', 'name must be 1-128 letters, digits, spaces or . : @ / - _');
    }
    const scopes = checkScopes(input.scopes ?? [...SCOPES]);
    if (creatorScopes !== 'all') {
      const missing = scopes.filter((s) => !creatorScopes.has(s));
      if (missing.length > 0) throw new ForbiddenError(`cannot grant scopes you do not hold: ${missing.join(', ')}`);
    }
    const now = this.deps.clock.now();
    if (input.expiresAt && input.expiresAt.getTime() <= now) throw new ValidationError('expiresAt', 'expiresAt must be in the future');
    // A key minted by a key is its child: it expires no later than its parent (asking for
    // later, or for no expiry, gets the parent's) and is revoked with it.
    const parent = await this.repo.with(trx).findById(actor.developerId, actor.actorId);
    const requested = input.expiresAt ? input.expiresAt.getTime() : null;
    const expiresAt = parent?.expires_at != null && (requested === null || requested > parent.expires_at) ? Number(parent.expires_at) : requested;

    const token = generateApiKeyToken();
    const row: ApiKeyRow = {
      id: newId(),
      developer_id: actor.developerId,
      name,
      token_hash: hashToken(token),
      token_prefix: tokenPrefix(token),
      scopes: scopes.join(' '),
      created_at: now,
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
      parent_id: parent?.id ?? null,
    };
    await this.repo.with(trx).insert(row);
    await appendAuditEvents(
      trx,
      actor.developerId,
      [
        {
          action: 'apikey.create',
          actor: actor.actorId,
          requestId: actor.requestId,
          callerRequestId: actor.callerRequestId,
          detail: { apiKeyId: row.id, name, scopes, parentId: row.parent_id },
        },
      ],
      now,
    );
    return { apiKey: toApiKey(row), token };
  }

  async revoke(actor: Actor, id: unknown): Promise<ApiKey> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw new ValidationError('id', 'id must be an API key id');
    try {
      return await this.revokeIn(actor, id);
    } finally {
      // Evicted after the commit (and on failure too, harmlessly): a request that reads the
      // row after this point sees the revocation. Other nodes notice within the cache TTL.
      this.verified.evictDeveloper(actor.developerId);
    }
  }

  private revokeIn(actor: Actor, id: string): Promise<ApiKey> {
    return this.deps.tenants.run(actor.developerId, async (trx) => {
      const repo = this.repo.with(trx);
      const existing = await repo.findById(actor.developerId, id);
      if (!existing) throw new NotFoundError(`no API key with id "${id}"`);
      const now = this.deps.clock.now();
      const entries: AuditEntry[] = [];
      const revokeOne = async (key: ApiKeyRow, cascadeFrom: string | null) => {
        if (!(await repo.revoke(actor.developerId, key.id, now))) return false;
        entries.push({
          action: 'apikey.revoke',
          actor: actor.actorId,
          requestId: actor.requestId,
          callerRequestId: actor.callerRequestId,
          detail: cascadeFrom ? { apiKeyId: key.id, name: key.name, revokedWith: cascadeFrom } : { apiKeyId: key.id, name: key.name },
        });
        return true;
      };
      if (existing.revoked_at === null) await revokeOne(existing, null);
      // Descendants go with it, generation by generation, each revocation audited. Children of
      // an already revoked key are swept too (keys minted before lineage was enforced).
      let frontier = [existing.id];
      const seen = new Set(frontier);
      while (frontier.length > 0) {
        const children = (await repo.liveChildren(actor.developerId, frontier)).filter((c) => !seen.has(c.id));
        for (const child of children) {
          seen.add(child.id);
          await revokeOne(child, id);
        }
        frontier = children.map((c) => c.id);
      }
      await appendAuditEvents(trx, actor.developerId, entries, now);
      return toApiKey({ ...existing, revoked_at: existing.revoked_at ?? now });
    });
  }

  async list(developerId: string): Promise<ApiKey[]> {
    return (await this.repo.list(developerId)).map(toApiKey);
  }

  /**
   * Resolves a bearer token to a principal; null for unknown, revoked or expired keys. A key
   * verified in the last few seconds is served from memory (see VerifiedKeyCache); `last_used_at`
   * is written at most once per key per TOUCH_INTERVAL_MS.
   */
  async authenticate(token: string): Promise<Principal | null> {
    const tokenHash = hashToken(token);
    const key = await this.verified.get(tokenHash, () => this.verify(tokenHash));
    if (!key) return null;
    const now = this.deps.clock.now();
    if (key.lastUsedAt === null || now - key.lastUsedAt > TOUCH_INTERVAL_MS) {
      key.lastUsedAt = now; // before the write: concurrent requests do not all touch
      try {
        await this.repo.touch(key.id, now);
      } catch (error) {
        // Several nodes touching one key at once conflict (Galera certification); one of them
        // recorded the use, which is all last_used_at promises. Never fail a request over it.
        if (!isRetryableConflict(error)) throw error;
      }
    }
    return { kind: 'developer', developerId: key.developerId, actorId: key.id, scopes: parseScopes(key.scopes) };
  }

  private async verify(tokenHash: string): Promise<VerifiedKey | null> {
    const row = await this.repo.findByTokenHash(tokenHash);
    if (!row || row.revoked_at !== null) return null;
    return {
      id: row.id,
      developerId: row.developer_id,
      scopes: row.scopes,
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    };
  }
}

function parseScopes(scopes: string): Set<Scope> {
  return new Set(scopes.split(' ').filter(isScope));
}

function checkScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length === 0) throw new ValidationError('scopes', 'give at least one scope');
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    throw new ValidationError('scopes', `unknown scopes: ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
  }
  return [...new Set(scopes as Scope[])];
}


function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    developerId: row.developer_id,
    name: row.name,
    prefix: row.token_prefix,
    scopes: row.scopes.split(' ').filter(isScope),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: dateFromMillis(row.expires_at),
    revokedAt: dateFromMillis(row.revoked_at),
    lastUsedAt: dateFromMillis(row.last_used_at),
    parentId: row.parent_id ?? null,
  };
}
