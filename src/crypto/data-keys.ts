import { createSecretKey, type KeyObject } from 'node:crypto';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';
import type { DataKeyRow } from '../db/database';
import { isRetryableConflict } from '../db/errors';
import { KeyServiceUnavailableError } from '../errors';
import { newId } from '../ids';
import type { DataKeyRepository } from './data-key-repository';
import { type EncryptionContext, type KeyProvider, KeyProviderError } from './key-provider';
import { KeyProviderSet } from './key-provider-set';

export interface DataKey {
  readonly id: string;
  /** AES-256 key. Use it synchronously after the await that returned it. */
  readonly key: Buffer;
}

export interface DataKeyCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /**
   * Times one unwrapped key is served (the serve that unwrapped it included) before it is
   * dropped and unwrapped again, as the AWS Encryption SDK caching CMM bounds messages per
   * cached key: however hot a key, the provider is asked again (a disabled key, a revoked grant
   * takes effect) after this many uses as well as after the TTL. Default: unlimited.
   */
  readonly maxUses?: number;
}

/**
 * Stores a new data key row together with whatever must commit with it (its audit record);
 * false when another writer took that generation first.
 */
export type DataKeyStore = (row: DataKeyRow) => Promise<boolean>;

interface CachedKey {
  readonly key: Buffer;
  uses: number;
}

export interface DataKeyStats {
  hits: number;
  misses: number;
  providerCalls: number;
}

/**
 * Per-developer data keys: generated and wrapped by the primary KeyProvider, stored wrapped,
 * cached unwrapped in a bounded cache (entries, TTL, uses per entry) so reads do not call the
 * provider. Concurrent misses for the same key share one provider call (single flight). A row is
 * unwrapped by the provider it names, so keys wrapped by a previous provider stay readable.
 *
 * Cached keys are not zeroed on eviction: a request may still hold the Buffer between an
 * await and its synchronous use, and sealing with a zeroed key would silently destroy data.
 */
export class DataKeyService {
  private readonly cache: LRUCache<string, CachedKey>;
  private readonly keyObjects = new WeakMap<Buffer, KeyObject>();
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private readonly maxUses: number;
  /** The newest data key row of each developer asked for, read together (see current()). */
  private readonly newest: DataLoader<string, DataKeyRow | undefined>;
  readonly providers: KeyProviderSet;
  readonly stats: DataKeyStats = { hits: 0, misses: 0, providerCalls: 0 };

  constructor(
    providers: KeyProviderSet | KeyProvider,
    private readonly repository: DataKeyRepository,
    private readonly clock: Clock,
    options: DataKeyCacheOptions,
  ) {
    this.providers = providers instanceof KeyProviderSet ? providers : new KeyProviderSet(providers);
    // No cache: every current() reads the database, so a rotation committed before it began is
    // used at once, on every node. Batched per round of the event loop, as secret lookups are.
    this.newest = new DataLoader(async (ids) => {
      const rows = await repository.findNewestOfMany(ids);
      return ids.map((id) => rows.get(id));
    }, { cache: false, maxBatchSize: 64, batchScheduleFn: (run) => setImmediate(run) });
    this.maxUses = options.maxUses ?? Number.POSITIVE_INFINITY;
    // TTLs run on the service's clock (ttlResolution 0: read it on every check, never a stale copy).
    this.cache = new LRUCache<string, CachedKey>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      ttlAutopurge: false,
      ttlResolution: 0,
      perf: { now: () => clock.now() },
    });
  }

  get providerName(): string {
    return this.providers.primary.name;
  }

  /** The key new writes are sealed with; creates the developer's first data key on demand. */
  async current(developerId: string): Promise<DataKey> {
    for (let attempt = 0; attempt < 3; attempt++) {
      // Concurrent writes (of any developers) share one read of their newest keys; after a lost
      // race to create the first key, the winner's is read on its own.
      const newest = attempt === 0 ? await this.newest.load(developerId) : await this.repository.findNewest(developerId);
      if (newest) return { id: newest.id, key: await this.unwrap(newest) };
      const created = await this.create(developerId, 1);
      if (created) return created;
      // Lost a race with a concurrent first write: read the winner's key.
    }
    throw new Error('could not establish a data key');
  }

  /**
   * A specific data key as a KeyObject (for open/seal), made once per key this service handed
   * out: the Buffers it hands out are never changed, so a KeyObject made from one stays valid.
   * Weak: it goes when the cache drops the Buffer.
   */
  async keyObject(developerId: string, dataKeyId: string): Promise<KeyObject> {
    return this.keyObjectOf(await this.get(developerId, dataKeyId));
  }

  /** The KeyObject of a key this service handed out (`current()`'s, to seal new values), made once. */
  keyObjectOf(key: Buffer): KeyObject {
    let object = this.keyObjects.get(key);
    if (!object) this.keyObjects.set(key, (object = createSecretKey(key)));
    return object;
  }

  /** A specific data key (to open an older version). */
  async get(developerId: string, dataKeyId: string): Promise<Buffer> {
    const cached = this.fromCache(cacheKey(developerId, dataKeyId));
    if (cached) return cached;
    const row = await this.repository.findById(developerId, dataKeyId);
    if (!row) throw new Error(`data key ${dataKeyId} not found for its developer`);
    return this.unwrap(row);
  }

  /**
   * Starts a new data key generation: new writes use it at once, old versions stay readable.
   * `store` writes the new row with its audit record in one transaction, so either both are
   * stored or neither. The provider is called before anything is written: when it is
   * unreachable this fails with KeyServiceUnavailableError and changes nothing.
   */
  async rotate(developerId: string, store?: DataKeyStore): Promise<DataKey & { generation: number; provider: string }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const newest = await this.repository.findNewest(developerId);
      const generation = (newest?.generation ?? 0) + 1;
      const created = await this.create(developerId, generation, store);
      if (created) return { ...created, generation, provider: this.providers.primary.name };
    }
    throw new Error('could not rotate the data key under concurrent rotation');
  }

  private async create(developerId: string, generation: number, store: DataKeyStore = (row) => this.repository.insert(row)): Promise<DataKey | undefined> {
    const id = newId();
    const context: EncryptionContext = { developerId, dataKeyId: id };
    const primary = this.providers.primary;
    const generated = await this.callProvider(primary, () => primary.generateDataKey(context));
    const row: DataKeyRow = {
      id,
      developer_id: developerId,
      generation,
      provider: primary.name,
      key_ref: generated.wrapped.keyRef,
      wrapped: generated.wrapped.ciphertext,
      created_at: this.clock.now(),
      rewrapped_at: null,
    };
    let inserted: boolean;
    try {
      inserted = await store(row);
    } catch (error) {
      // Two nodes creating one generation at once: on Galera the loser sees a certification
      // conflict rather than a duplicate key. Either way the caller reads the winner's key.
      if (!isRetryableConflict(error)) throw error;
      inserted = false;
    }
    if (!inserted) return undefined;
    this.cache.set(cacheKey(developerId, id), { key: generated.plaintext, uses: 1 });
    return { id, key: generated.plaintext };
  }

  /** A cached key if it may still be served; counts the hit, or drops a key that is used up. */
  private fromCache(key: string): Buffer | undefined {
    const cached = this.cache.get(key);
    if (!cached) return undefined;
    if (cached.uses >= this.maxUses) {
      this.cache.delete(key);
      return undefined;
    }
    cached.uses++;
    this.stats.hits++;
    return cached.key;
  }

  private unwrap(row: DataKeyRow): Promise<Buffer> {
    const key = cacheKey(row.developer_id, row.id);
    const cached = this.fromCache(key);
    if (cached) return Promise.resolve(cached);
    this.stats.misses++;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = (async () => {
      const provider = this.providers.forName(row.provider);
      const plaintext = await this.callProvider(provider, () =>
        provider.unwrapDataKey(
          { keyRef: row.key_ref, ciphertext: Buffer.from(row.wrapped) },
          { developerId: row.developer_id, dataKeyId: row.id },
        ),
      );
      this.cache.set(key, { key: plaintext, uses: 1 });
      return plaintext;
    })().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async callProvider<T>(provider: KeyProvider, call: () => Promise<T>): Promise<T> {
    this.stats.providerCalls++;
    try {
      return await call();
    } catch (error) {
      throw asKeyServiceError(error, provider.name);
    }
  }

  /**
   * Drops one cached key (a data key that was pruned: nothing references it any more). Like any
   * eviction it does not zero the Buffer; it only stops this process from serving the key.
   */
  forget(developerId: string, dataKeyId: string): void {
    this.cache.delete(cacheKey(developerId, dataKeyId));
  }

  /** Drops every cached key: a cold cache, as after a restart (tests, operators' tools). */
  clear(): void {
    this.cache.clear();
  }
}

/** Unreachable or refusing providers become the typed, retryable KeyServiceUnavailableError. */
export function asKeyServiceError(error: unknown, providerName: string): unknown {
  if (error instanceof KeyProviderError && (error.code === 'PROVIDER_UNAVAILABLE' || error.code === 'PROVIDER_DENIED')) {
    return new KeyServiceUnavailableError(`the key provider "${providerName}" is unavailable; nothing was changed`, { cause: error });
  }
  return error;
}

function cacheKey(developerId: string, dataKeyId: string): string {
  return `${developerId}/${dataKeyId}`;
}
