import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';

/** What authentication needs to know about a verified API key. */
export interface VerifiedKey {
  readonly id: string;
  readonly developerId: string;
  readonly scopes: string;
  readonly expiresAt: number | null;
  /** Last `last_used_at` this process wrote or read, for coalescing its writes. */
  lastUsedAt: number | null;
}

export interface VerifiedKeyCacheOptions {
  /** Keys held at most (LRU beyond that). */
  readonly maxEntries: number;
  /**
   * How long a verified key is trusted without reading its row again. This bounds how long a
   * revocation made on another node goes unnoticed here; revocations on this node evict at once.
   * 0 turns the cache off.
   */
  readonly ttlMs: number;
}

export const DEFAULT_VERIFIED_KEY_CACHE: VerifiedKeyCacheOptions = { maxEntries: 10_000, ttlMs: 5_000 };

/** The longest TTL accepted: other nodes must see a revocation within this. */
export const MAX_VERIFIED_KEY_TTL_MS = 5_000;

interface Entry {
  readonly key: VerifiedKey;
  readonly verifiedAt: number;
}

/**
 * Token hash -> verified key, so an authenticated request needs no database round trip. Only
 * keys that verified (known, not revoked, not expired) are held: unknown tokens are never
 * cached, so guessing cannot fill it. Expiry is checked on every hit against the key's own
 * `expires_at`, so an expired key stops working on the millisecond, not at the next refresh.
 * Concurrent misses for one token share one lookup.
 */
export class VerifiedKeyCache {
  private readonly entries: LRUCache<string, Entry> | null;
  private readonly inFlight = new Map<string, Promise<VerifiedKey | null>>();
  /** Bumped by every eviction, so a lookup that started before it does not re-insert stale data. */
  private generation = 0;
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly options: VerifiedKeyCacheOptions = DEFAULT_VERIFIED_KEY_CACHE,
  ) {
    if (options.ttlMs < 0 || options.ttlMs > MAX_VERIFIED_KEY_TTL_MS) {
      throw new RangeError(`verified-key cache TTL must be 0-${MAX_VERIFIED_KEY_TTL_MS} ms`);
    }
    this.entries = options.ttlMs > 0 && options.maxEntries > 0 ? new LRUCache({ max: options.maxEntries }) : null;
  }

  /**
   * The verified key for this token hash: from the cache while fresh, else from `load` (which
   * returns null for an unknown or revoked key). Null also when the key has expired at `now`.
   */
  async get(tokenHash: string, load: () => Promise<VerifiedKey | null>): Promise<VerifiedKey | null> {
    const now = this.clock.now();
    const cached = this.entries?.get(tokenHash);
    if (cached && now - cached.verifiedAt < this.options.ttlMs) {
      if (isExpired(cached.key, now)) {
        this.entries!.delete(tokenHash);
        return null;
      }
      this.stats.hits++;
      return cached.key;
    }
    this.stats.misses++;
    let pending = this.inFlight.get(tokenHash);
    if (!pending) {
      const generation = this.generation;
      const loading: Promise<VerifiedKey | null> = load().finally(() => {
        if (this.inFlight.get(tokenHash) === loading) this.inFlight.delete(tokenHash);
      });
      pending = loading;
      this.inFlight.set(tokenHash, pending);
      void pending.then(
        (key) => {
          if (!this.entries || generation !== this.generation) return;
          if (key) this.entries.set(tokenHash, { key, verifiedAt: now });
          else this.entries.delete(tokenHash);
        },
        () => undefined,
      );
    }
    const key = await pending;
    return key && !isExpired(key, this.clock.now()) ? key : null;
  }

  /** Forgets every key of a developer (after a revocation, which may cascade to child keys). */
  evictDeveloper(developerId: string): void {
    this.generation++;
    // A lookup already running may have read the row before the revocation: later callers must
    // not join it, and what it returns is not cached (the generation moved on).
    this.inFlight.clear();
    if (!this.entries) return;
    for (const [hash, entry] of this.entries.entries()) {
      if (entry.key.developerId === developerId) this.entries.delete(hash);
    }
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }
}

function isExpired(key: VerifiedKey, now: number): boolean {
  return key.expiresAt !== null && key.expiresAt <= now;
}
