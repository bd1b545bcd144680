/**
 * The verified-key cache on its own, with an injected clock and a counting loader: freshness
 * bound, expiry on every hit, eviction, single flight, bounds, and no caching of unknown tokens.
 */
import { type VerifiedKey, VerifiedKeyCache } from '../../../src/api-keys/verified-key-cache';
import { TestClock } from '../../support/integration';

function key(overrides: Partial<VerifiedKey> = {}): VerifiedKey {
  return { id: 'k1', developerId: 'd1', scopes: 'secrets:read', expiresAt: null, lastUsedAt: null, ...overrides };
}

function counting(result: () => VerifiedKey | null) {
  const loader = async () => {
    loader.calls++;
    return result();
  };
  loader.calls = 0;
  return loader;
}

describe('VerifiedKeyCache', () => {
  it('serves a verified key from memory until the TTL, then reads it again', async () => {
    const clock = new TestClock();
    const cache = new VerifiedKeyCache(clock, { maxEntries: 10, ttlMs: 5000 });
    let row: VerifiedKey | null = key();
    const load = counting(() => row);
    expect(await cache.get('h1', load)).toMatchObject({ id: 'k1' });
    clock.advance(4999);
    expect(await cache.get('h1', load)).toMatchObject({ id: 'k1' });
    expect(load.calls).toBe(1);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
    // Revoked elsewhere (the loader now finds nothing): noticed at the TTL, not later.
    row = null;
    clock.advance(1);
    expect(await cache.get('h1', load)).toBeNull();
    expect(load.calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('refuses an expired key on a cache hit, the moment it expires', async () => {
    const clock = new TestClock();
    const cache = new VerifiedKeyCache(clock, { maxEntries: 10, ttlMs: 5000 });
    const load = counting(() => key({ expiresAt: clock.now() + 1000 }));
    expect(await cache.get('h1', load)).not.toBeNull();
    clock.advance(999);
    expect(await cache.get('h1', load)).not.toBeNull();
    clock.advance(1);
    expect(await cache.get('h1', load)).toBeNull();
    expect(load.calls).toBe(1);
  });

  it('never caches an unknown token, so guesses neither fill it nor stick', async () => {
    const cache = new VerifiedKeyCache(new TestClock(), { maxEntries: 10, ttlMs: 5000 });
    const load = counting(() => null);
    for (let i = 0; i < 5; i++) expect(await cache.get('unknown', load)).toBeNull();
    expect(load.calls).toBe(5);
    expect(cache.size).toBe(0);
  });

  it('evicts every key of a developer at once, and only that developer', async () => {
    const cache = new VerifiedKeyCache(new TestClock(), { maxEntries: 10, ttlMs: 5000 });
    const a = counting(() => key({ id: 'a', developerId: 'd1' }));
    const b = counting(() => key({ id: 'b', developerId: 'd1' }));
    const c = counting(() => key({ id: 'c', developerId: 'd2' }));
    await cache.get('ha', a);
    await cache.get('hb', b);
    await cache.get('hc', c);
    cache.evictDeveloper('d1');
    expect(cache.size).toBe(1);
    await cache.get('ha', a);
    await cache.get('hc', c);
    expect([a.calls, c.calls]).toEqual([2, 1]);
  });

  it('shares one lookup among concurrent misses of a token', async () => {
    const cache = new VerifiedKeyCache(new TestClock(), { maxEntries: 10, ttlMs: 5000 });
    let release!: () => void;
    let calls = 0;
    const load = () => {
      calls++;
      return new Promise<VerifiedKey>((resolve) => (release = () => resolve(key())));
    };
    const all = Promise.all(Array.from({ length: 20 }, () => cache.get('h1', load)));
    release();
    expect((await all).every((k) => k?.id === 'k1')).toBe(true);
    expect(calls).toBe(1);
  });

  it('does not cache, nor hand to later callers, a lookup that started before an eviction', async () => {
    const cache = new VerifiedKeyCache(new TestClock(), { maxEntries: 10, ttlMs: 5000 });
    let release!: () => void;
    const stale = cache.get('h1', () => new Promise<VerifiedKey>((resolve) => (release = () => resolve(key()))));
    cache.evictDeveloper('d1'); // the key was revoked while its row was being read
    const fresh = counting(() => null);
    const after = cache.get('h1', fresh);
    release();
    await stale;
    expect(await after).toBeNull();
    expect(fresh.calls).toBe(1);
    expect(cache.size).toBe(0);
    expect(await cache.get('h1', fresh)).toBeNull();
    expect(fresh.calls).toBe(2);
  });

  it('is bounded: the least recently used key goes first', async () => {
    const cache = new VerifiedKeyCache(new TestClock(), { maxEntries: 2, ttlMs: 5000 });
    const loads = ['h1', 'h2', 'h3'].map((h) => counting(() => key({ id: h })));
    await cache.get('h1', loads[0]!);
    await cache.get('h2', loads[1]!);
    await cache.get('h1', loads[0]!);
    await cache.get('h3', loads[2]!);
    expect(cache.size).toBe(2);
    await cache.get('h1', loads[0]!);
    await cache.get('h2', loads[1]!);
    expect(loads.map((l) => l.calls)).toEqual([1, 2, 1]);
  });

  it('with a TTL of 0 reads every time, and refuses a TTL above 5 s', async () => {
    const cache = new VerifiedKeyCache(new TestClock(), { maxEntries: 10, ttlMs: 0 });
    const load = counting(() => key());
    await cache.get('h1', load);
    await cache.get('h1', load);
    expect(load.calls).toBe(2);
    expect(() => new VerifiedKeyCache(new TestClock(), { maxEntries: 10, ttlMs: 5001 })).toThrow(RangeError);
  });
});
