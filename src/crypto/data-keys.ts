import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';
import type { DataKeyRow } from '../db/database';
import { KeyServiceUnavailableError } from '../errors';
import { newId } from '../ids';
import type { DataKeyRepository } from './data-key-repository';
import { type EncryptionContext, type KeyProvider, KeyProviderError } from './key-provider';

export interface DataKey {
  readonly id: string;
  /** AES-256 key. Use it synchronously after the await that returned it. */
  readonly key: Buffer;
}

export interface DataKeyCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export interface DataKeyStats {
  hits: number;
  misses: number;
  providerCalls: number;
}

/**
 * Per-developer data keys: generated and wrapped by the KeyProvider, stored wrapped, cached
 * unwrapped in a bounded TTL cache so reads do not call the provider. Concurrent misses for
 * the same key share one provider call (single flight).
 *
 * Cached keys are not zeroed on eviction: a request may still hold the Buffer between an
 * await and its synchronous use, and sealing with a zeroed key would silently destroy data.
 */
export class DataKeyService {
  private readonly cache: LRUCache<string, Buffer>;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  readonly stats: DataKeyStats = { hits: 0, misses: 0, providerCalls: 0 };

  constructor(
    private readonly provider: KeyProvider,
    private readonly repository: DataKeyRepository,
    private readonly clock: Clock,
    options: DataKeyCacheOptions,
  ) {
    this.cache = new LRUCache<string, Buffer>({ max: options.maxEntries, ttl: options.ttlMs, ttlAutopurge: false });
  }

  get providerName(): string {
    return this.provider.name;
  }

  /** The key new writes are sealed with; creates the developer's first data key on demand. */
  async current(developerId: string): Promise<DataKey> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const newest = await this.repository.findNewest(developerId);
      if (newest) return { id: newest.id, key: await this.unwrap(newest) };
      const created = await this.create(developerId, 1);
      if (created) return created;
      // Lost a race with a concurrent first write: read the winner's key.
    }
    throw new Error('could not establish a data key');
  }

  /** A specific data key (to open an older version). */
  async get(developerId: string, dataKeyId: string): Promise<Buffer> {
    const cached = this.cache.get(cacheKey(developerId, dataKeyId));
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    const row = await this.repository.findById(developerId, dataKeyId);
    if (!row) throw new Error(`data key ${dataKeyId} not found for its developer`);
    return this.unwrap(row);
  }

  /** Starts a new data key generation: new writes use it at once, old versions stay readable. */
  async rotate(developerId: string): Promise<DataKey> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const newest = await this.repository.findNewest(developerId);
      const created = await this.create(developerId, (newest?.generation ?? 0) + 1);
      if (created) return created;
    }
    throw new Error('could not rotate the data key under concurrent rotation');
  }

  private async create(developerId: string, generation: number): Promise<DataKey | undefined> {
    const id = newId();
    const context: EncryptionContext = { developerId, dataKeyId: id };
    const generated = await this.callProvider(() => this.provider.generateDataKey(context));
    const row: DataKeyRow = {
      id,
      developer_id: developerId,
      generation,
      provider: this.provider.name,
      key_ref: generated.wrapped.keyRef,
      wrapped: generated.wrapped.ciphertext,
      created_at: this.clock.now(),
      rewrapped_at: null,
    };
    if (!(await this.repository.insert(row))) return undefined;
    this.cache.set(cacheKey(developerId, id), generated.plaintext);
    return { id, key: generated.plaintext };
  }

  private unwrap(row: DataKeyRow): Promise<Buffer> {
    const key = cacheKey(row.developer_id, row.id);
    const cached = this.cache.get(key);
    if (cached) {
      this.stats.hits++;
      return Promise.resolve(cached);
    }
    this.stats.misses++;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = this.callProvider(() =>
      this.provider.unwrapDataKey(
        { keyRef: row.key_ref, ciphertext: Buffer.from(row.wrapped) },
        { developerId: row.developer_id, dataKeyId: row.id },
      ),
    )
      .then((plaintext) => {
        this.cache.set(key, plaintext);
        return plaintext;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async callProvider<T>(call: () => Promise<T>): Promise<T> {
    this.stats.providerCalls++;
    try {
      return await call();
    } catch (error) {
      if (error instanceof KeyProviderError && (error.code === 'PROVIDER_UNAVAILABLE' || error.code === 'PROVIDER_DENIED')) {
        throw new KeyServiceUnavailableError(`the key provider "${this.provider.name}" is unavailable; nothing was changed`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Drops every cached key (tests, and after a rewrap that changed providers). */
  clear(): void {
    this.cache.clear();
  }
}

function cacheKey(developerId: string, dataKeyId: string): string {
  return `${developerId}/${dataKeyId}`;
}
