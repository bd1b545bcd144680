/**
 * Authentication from the verified-key cache, with two app instances ("nodes") on one database,
 * each with its own clock: a revocation is honoured at once on the node that made it and within
 * the cache TTL on the other, expiry is honoured on a cache hit, repeated requests do not read
 * the key again, and last_used_at writes stay coalesced.
 */
import { DATABASE_KINDS } from '../support/databases';
import { createApiKey, mutate, REVOKE_API_KEY, TestClock } from '../support/integration';
import { type TestApp, useDeveloper, useTestApp } from '../support/test-app';

const TTL_MS = 5000;
const ME = '{ me { id } }';

describe.each(DATABASE_KINDS)('verified-key cache on %s', (kind) => {
  const start = Date.now();
  const clockA = new TestClock(start);
  const clockB = new TestClock(start);
  const a = useTestApp(kind, { clock: clockA });
  const b = useTestApp(kind, () => ({ database: a.db, clock: clockB }));
  const dev = useDeveloper(a, 'cache dev');

  const status = async (t: TestApp, token: string) => (await t.graphql(token, ME)).status;

  it('serves repeated requests without reading the key again', async () => {
    const key = await createApiKey(a, dev.token, { name: 'hot', scopes: ['secrets:read'] });
    const before = { ...b.app.services.apiKeys.cacheStats };
    for (let i = 0; i < 10; i++) expect(await status(b, key.token)).toBe(200);
    const after = b.app.services.apiKeys.cacheStats;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(9);
  });

  it('honours a revocation at once on its own node and within the TTL on every other', async () => {
    const key = await createApiKey(a, dev.token, { name: 'revoked', scopes: ['secrets:read'] });
    expect(await status(a, key.token)).toBe(200);
    expect(await status(b, key.token)).toBe(200);
    expect((await mutate(a, dev.token, REVOKE_API_KEY, { id: key.id })).__typename).toBe('RevokeApiKeyPayload');
    expect(await status(a, key.token)).toBe(401);
    clockB.advance(TTL_MS);
    expect(await status(b, key.token)).toBe(401);
    clockA.advance(TTL_MS);
  });

  it('refuses an expired key even while it is cached', async () => {
    const key = await createApiKey(a, dev.token, { name: 'short', scopes: ['secrets:read'], expiresAt: clockA.iso(2000) });
    expect(await status(b, key.token)).toBe(200);
    const misses = b.app.services.apiKeys.cacheStats.misses;
    clockB.advance(1000);
    expect(await status(b, key.token)).toBe(200);
    clockB.advance(1000);
    expect(await status(b, key.token)).toBe(401);
    expect(b.app.services.apiKeys.cacheStats.misses).toBe(misses); // refused from the cache, no lookup
    clockA.advance(2000);
  });

  it('writes last_used_at at most once a minute per key however many requests it serves', async () => {
    const key = await createApiKey(a, dev.token, { name: 'touched', scopes: ['secrets:read'] });
    const lastUsed = async () => {
      const { body } = await a.graphql(dev.token, '{ me { apiKeys { id lastUsedAt } } }');
      return body.data.me.apiKeys.find((k: { id: string }) => k.id === key.id).lastUsedAt;
    };
    expect(await lastUsed()).toBeNull();
    const first = clockA.iso();
    for (let i = 0; i < 5; i++) expect(await status(a, key.token)).toBe(200);
    expect(await lastUsed()).toBe(first);
    clockA.advance(30_000); // past the cache TTL (the row is read again), inside the touch interval
    for (let i = 0; i < 5; i++) expect(await status(a, key.token)).toBe(200);
    expect(await lastUsed()).toBe(first);
    clockA.advance(31_000);
    expect(await status(a, key.token)).toBe(200);
    expect(await lastUsed()).toBe(clockA.iso());
  });
});
