/**
 * DataKeyService's cache and provider set, with an in-memory repository and counting providers:
 * single flight, the TTL / size / max-uses bounds, unwrapping by the provider a row names, and
 * the KeyObjects it hands out for opening values.
 */
import { randomBytes } from 'node:crypto';
import { LocalKeyProvider } from '../../../plugins/key-provider-local';
import type { DataKeyRepository } from '../../../src/crypto/data-key-repository';
import { DataKeyService } from '../../../src/crypto/data-keys';
import { open, seal } from '../../../src/crypto/envelope';
import { type KeyProvider, KeyProviderError } from '../../../src/crypto/key-provider';
import { KeyProviderSet } from '../../../src/crypto/key-provider-set';
import { loadConfig } from '../../../src/config';
import type { DataKeyRow } from '../../../src/db/database';
import { KeyServiceUnavailableError } from '../../../src/errors';
import { TestClock } from '../../support/test-clock';

/** A LocalKeyProvider under another name, counting calls, optionally "down". */
function counting(name: string): KeyProvider & { calls: Record<string, number>; down: boolean } {
  const inner = new LocalKeyProvider([{ id: `${name}-k1`, key: randomBytes(32) }]);
  const calls: Record<string, number> = {};
  const count = (op: string) => {
    calls[op] = (calls[op] ?? 0) + 1;
    if (provider.down) throw new KeyProviderError('PROVIDER_UNAVAILABLE', `${name} is down`);
  };
  const provider = {
    name,
    calls,
    down: false,
    async generateDataKey(ctx) {
      count('generate');
      return inner.generateDataKey(ctx);
    },
    async wrapDataKey(key, ctx) {
      count('wrap');
      return inner.wrapDataKey(key, ctx);
    },
    async unwrapDataKey(wrapped, ctx) {
      count('unwrap');
      // A little latency, so concurrent callers really overlap.
      await new Promise((r) => setTimeout(r, 5));
      return inner.unwrapDataKey(wrapped, ctx);
    },
    async rewrapDataKey(wrapped, ctx) {
      count('rewrap');
      return inner.rewrapDataKey(wrapped, ctx);
    },
    isCurrent: (wrapped) => inner.isCurrent(wrapped),
    async checkHealth() {
      count('health');
    },
  } as KeyProvider & { calls: Record<string, number>; down: boolean };
  return provider;
}

/** The subset of DataKeyRepository the service uses, over an array. */
function memoryRepository(rows: DataKeyRow[] = []): DataKeyRepository {
  const newest = (developerId: string) => rows.filter((r) => r.developer_id === developerId).sort((a, b) => b.generation - a.generation)[0];
  const repo = {
    async findNewest(developerId: string) {
      return newest(developerId);
    },
    async findNewestOfMany(developerIds: readonly string[]) {
      return new Map(developerIds.flatMap((id) => (newest(id) ? [[id, newest(id)!] as const] : [])));
    },
    async findById(developerId: string, id: string) {
      return rows.find((r) => r.developer_id === developerId && r.id === id);
    },
    async insert(row: DataKeyRow) {
      if (rows.some((r) => r.developer_id === row.developer_id && r.generation === row.generation)) return false;
      rows.push(row);
      return true;
    },
  };
  return repo as unknown as DataKeyRepository;
}

const clock = { now: () => Date.now() };
const DEV = 'dev-1';

describe('DataKeyService cache', () => {
  it('a burst of concurrent misses for one key makes exactly one provider call', async () => {
    const provider = counting('p');
    const repo = memoryRepository();
    const writer = new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000 });
    const { id } = await writer.current(DEV);
    // A fresh service on the same rows: a restarted process with a cold cache.
    const service = new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000 });
    const keys = await Promise.all(Array.from({ length: 200 }, () => service.get(DEV, id)));
    expect(provider.calls.unwrap).toBe(1);
    expect(service.stats.providerCalls).toBe(1);
    expect(service.stats.misses + service.stats.hits).toBe(200);
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
    // And afterwards everything is a hit.
    await Promise.all(Array.from({ length: 100 }, () => service.get(DEV, id)));
    expect(provider.calls.unwrap).toBe(1);
  });

  /** A developer's data key (made by one service), and a second service that serves it at most 3 times per unwrap. */
  async function keyUsableThreeTimes() {
    const provider = counting('p');
    const repo = memoryRepository();
    await new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000 }).current(DEV);
    const service = new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000, maxUses: 3 });
    const { id } = (await repo.findNewest(DEV))!;
    return { provider, service, id };
  }

  it('serves a cached key at most maxUses times, then unwraps it again', async () => {
    const { provider, service, id } = await keyUsableThreeTimes();
    for (let i = 0; i < 10; i++) await service.get(DEV, id);
    // Uses 1-3 from the first unwrap, 4-6, 7-9, 10: four unwraps.
    expect(provider.calls.unwrap).toBe(4);
    expect(service.stats).toEqual({ hits: 6, misses: 4, providerCalls: 4 });
  });

  it('hands out a KeyObject made once per cached key, counted and bounded like get()', async () => {
    const { provider, service, id } = await keyUsableThreeTimes();
    const raw = await service.get(DEV, id); // use 1
    const binding = { developerId: DEV, secretId: 's', version: 1 };
    const sealed = seal(raw, Buffer.from('value'), binding);
    const first = await service.keyObject(DEV, id); // use 2
    expect(first.export().equals(raw)).toBe(true);
    expect(open(first, sealed, binding).toString()).toBe('value');
    expect(await service.keyObject(DEV, id)).toBe(first); // use 3: the same object
    const next = await service.keyObject(DEV, id); // used up: unwrapped again, a new object
    expect(next).not.toBe(first);
    expect(provider.calls.unwrap).toBe(2);
    expect(open(next, sealed, binding).toString()).toBe('value');
  });

  it('a generated key counts its first use too', async () => {
    const provider = counting('p');
    const service = new DataKeyService(provider, memoryRepository(), clock, { maxEntries: 10, ttlMs: 60_000, maxUses: 2 });
    const first = await service.current(DEV); // generate: use 1
    await service.get(DEV, first.id); // use 2
    expect(provider.calls.unwrap).toBeUndefined();
    await service.get(DEV, first.id); // used up: unwrap
    expect(provider.calls.unwrap).toBe(1);
  });

  it('drops keys after the TTL and beyond the size bound', async () => {
    const provider = counting('p');
    const repo = memoryRepository();
    const setup = new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000 });
    const a = await setup.current('dev-a');
    const b = await setup.current('dev-b');
    const time = new TestClock();
    const short = new DataKeyService(provider, repo, time, { maxEntries: 10, ttlMs: 30_000 });
    await short.get('dev-a', a.id);
    time.advance(29_999);
    await short.get('dev-a', a.id);
    expect(provider.calls.unwrap).toBe(1);
    time.advance(2);
    await short.get('dev-a', a.id);
    expect(provider.calls.unwrap).toBe(2);

    const small = new DataKeyService(provider, repo, clock, { maxEntries: 1, ttlMs: 60_000 });
    await small.get('dev-a', a.id);
    await small.get('dev-b', b.id); // evicts dev-a's key
    await small.get('dev-a', a.id);
    expect(provider.calls.unwrap).toBe(5);
  });

  it('a failed unwrap is not cached and the next call retries', async () => {
    const provider = counting('p');
    const repo = memoryRepository();
    const { id } = await new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000 }).current(DEV);
    const service = new DataKeyService(provider, repo, clock, { maxEntries: 10, ttlMs: 60_000 });
    provider.down = true;
    const failures = await Promise.allSettled(Array.from({ length: 20 }, () => service.get(DEV, id)));
    expect(failures.every((f) => f.status === 'rejected' && f.reason instanceof KeyServiceUnavailableError)).toBe(true);
    expect(provider.calls.unwrap).toBe(1);
    provider.down = false;
    await service.get(DEV, id);
    expect(provider.calls.unwrap).toBe(2);
  });
});

describe('DataKeyService with a provider set', () => {
  it('generates with the primary and unwraps each row with the provider it names', async () => {
    const old = counting('old');
    const next = counting('next');
    const rows: DataKeyRow[] = [];
    const repo = memoryRepository(rows);
    const before = await new DataKeyService(old, repo, clock, { maxEntries: 10, ttlMs: 60_000 }).current(DEV);
    expect(rows[0]!.provider).toBe('old');

    const service = new DataKeyService(new KeyProviderSet(next, [old]), repo, clock, { maxEntries: 10, ttlMs: 60_000 });
    expect((await service.get(DEV, before.id)).equals(before.key)).toBe(true);
    expect(old.calls.unwrap).toBe(1);
    expect(next.calls.unwrap).toBeUndefined();

    const rotated = await service.rotate(DEV);
    expect(rotated.provider).toBe('next');
    expect(rows.find((r) => r.id === rotated.id)!.provider).toBe('next');
    expect(next.calls.generate).toBe(1);
  });

  it('a row of a provider that is not configured fails loudly, naming what to configure', async () => {
    const old = counting('old');
    const repo = memoryRepository();
    const { id } = await new DataKeyService(old, repo, clock, { maxEntries: 10, ttlMs: 60_000 }).current(DEV);
    const service = new DataKeyService(counting('next'), repo, clock, { maxEntries: 10, ttlMs: 60_000 });
    const error = await service.get(DEV, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).code).toBe('MISCONFIGURED');
    expect((error as Error).message).toMatch(/"old".*LOCKSMITH_PREVIOUS_KEY_PROVIDERS/);
  });

  it('refuses a set with one provider name twice', () => {
    expect(() => new KeyProviderSet(counting('a'), [counting('a')])).toThrow(/configured twice/);
  });

  it('withPrimary demotes the old primary and keeps one instance per name', () => {
    const a = counting('a');
    const b = counting('b');
    const c = counting('c');
    const set = new KeyProviderSet(a, [b]).withPrimary(c);
    expect(set.primary).toBe(c);
    expect(set.names).toEqual(['c', 'a', 'b']);
    const same = new KeyProviderSet(a, [b]).withPrimary(b);
    expect(same.names).toEqual(['b', 'a']);
  });
});

describe('configuration', () => {
  it('reads the previous providers and the max-uses bound', () => {
    const config = loadConfig({ LOCKSMITH_KEY_PROVIDER: 'vault-transit', LOCKSMITH_PREVIOUS_KEY_PROVIDERS: ' aws-kms, ./my-hsm ,' });
    expect(config.previousKeyProviders).toEqual(['aws-kms', './my-hsm']);
    expect(config.dataKeyCache.maxUses).toBe(1_000_000);
    expect(loadConfig({ LOCKSMITH_DATA_KEY_CACHE_MAX_USES: '5' }).dataKeyCache.maxUses).toBe(5);
    expect(loadConfig({}).previousKeyProviders).toEqual([]);
  });

  it('refuses the primary among the previous providers, and a bad max-uses', () => {
    expect(() => loadConfig({ LOCKSMITH_KEY_PROVIDER: 'aws-kms', LOCKSMITH_PREVIOUS_KEY_PROVIDERS: 'local,aws-kms' })).toThrow(
      /must not list LOCKSMITH_KEY_PROVIDER/,
    );
    expect(() => loadConfig({ LOCKSMITH_DATA_KEY_CACHE_MAX_USES: '0' })).toThrow(/LOCKSMITH_DATA_KEY_CACHE_MAX_USES/);
  });
});
