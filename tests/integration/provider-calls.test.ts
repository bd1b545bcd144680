/**
 * Reads do not call the key provider (docs/encryption.md, The data-key cache): unwrapped data keys are cached, and
 * concurrent misses share one call. Value reveals of 100 secrets of one developer on a cold cache
 * (an app restarted on the data), over every provider and database, counted both at the loopback
 * KMS/Vault (requests that reached it) and by DataKeyService.stats.
 *
 * Every reveal commits its audit record, so a reveal costs a database transaction (1-3 ms): the
 * full 10,000 run once, on SQLite over a remote provider (LOCKSMITH_TEST_KEY_PROVIDER when that
 * is remote, else aws-kms); the other combinations read 500 times, which shows the same thing.
 */
import type { Actor } from '../../src/auth/principal';
import { DATABASE_KINDS, type DatabaseKind } from '../support/databases';
import { createSecret, query } from '../support/integration';
import { REMOTE_KEY_PROVIDER_KINDS, TEST_KEY_PROVIDER_KINDS, type TestKeyProviderKind, testKeyProvider } from '../support/key-provider-backends';
import { type TestApp, useTestDatabase, withTestApp } from '../support/test-app';

const SECRETS = 100;
const PARALLEL = 50;
const remote = (provider: TestKeyProviderKind) => REMOTE_KEY_PROVIDER_KINDS.includes(provider);
const FULL_RUN: readonly [DatabaseKind, TestKeyProviderKind] = ['sqlite', remote(testKeyProvider()) ? testKeyProvider() : REMOTE_KEY_PROVIDER_KINDS[0]!];

const cases = DATABASE_KINDS.flatMap((db) => TEST_KEY_PROVIDER_KINDS.map((provider) => [db, provider] as const));

describe.each(cases)('provider calls on %s over %s', (kind: DatabaseKind, provider: TestKeyProviderKind) => {
  const db = useTestDatabase(kind);
  let dev: { id: string; token: string };
  /** An app on the data, with a cold cache: the first one writes the secrets, each test starts its own. */
  const withApp = <R>(fn: (t: TestApp) => Promise<R>) => withTestApp(kind, { database: db, keyProvider: provider }, fn);

  beforeAll(async () => {
    await withApp(async (first) => {
      dev = await first.createDeveloper('reader');
      for (let i = 0; i < SECRETS; i++) await createSecret(first, dev.token, { name: `s_${i}`, value: `value-${i}-${'x'.repeat(i % 7)}` });
    });
  });

  const READS = kind === FULL_RUN[0] && provider === FULL_RUN[1] ? 10_000 : 500;

  it(`${READS} reveals of ${SECRETS} secrets on a cold cache: at most a handful of provider calls`, async () => {
    await withApp(async (t) => {
      expect(t.app.provider.name).toBe(provider);
      const backend = t.keyBackend!;
      const before = backend.requestCount();
      const stats = { ...t.app.dataKeys.stats };
      const actor: Actor = { developerId: dev.id, actorId: 'provider-calls-test', requestId: 'provider-calls-test' };
      const secrets = await Promise.all(Array.from({ length: SECRETS }, (_, i) => t.app.services.secrets.get(actor, `s_${i}`)));

      const started = performance.now();
      for (let done = 0; done < READS; done += PARALLEL) {
        const values = await Promise.all(
          Array.from({ length: PARALLEL }, (_, j) => {
            const i = (done + j) % SECRETS;
            return t.app.services.secrets.reveal(actor, secrets[i]!).then((v) => [i, v] as const);
          }),
        );
        for (const [i, v] of values) expect(v).toBe(`value-${i}-${'x'.repeat(i % 7)}`);
      }
      // A few through GraphQL as well: one page of 100 values, twice.
      for (let round = 0; round < 2; round++) {
        const data = await query(t, dev.token, '{ secrets(first: 100) { edges { node { name value } } } }');
        expect(data.secrets.edges).toHaveLength(SECRETS);
      }
      const ms = performance.now() - started;

      const calls = t.app.dataKeys.stats.providerCalls - stats.providerCalls;
      const requests = backend.requestCount() - before;
      // Every secret is under the developer's one data key: one unwrap for the whole run.
      expect(calls).toBe(1);
      if (remote(provider)) {
        // The unwrap, plus (Vault) one read of the key's metadata.
        expect(requests).toBeGreaterThanOrEqual(1);
        expect(requests).toBeLessThanOrEqual(3);
      }
      expect(t.app.dataKeys.stats.hits - stats.hits).toBeGreaterThanOrEqual(READS + 2 * SECRETS - PARALLEL);
      // eslint-disable-next-line no-console
      console.log(`${kind}/${provider}: ${READS + 2 * SECRETS} reveals in ${Math.round(ms)} ms; ${calls} provider call(s), ${requests} request(s) at the backend`);
    });
  }, 120_000);

  it('a burst of concurrent reveals on a cold cache makes exactly one unwrap at the backend', async () => {
    await withApp(async (t) => {
      const backend = t.keyBackend!;
      const before = {
        requests: backend.requestCount(),
        calls: t.app.dataKeys.stats.providerCalls,
        unwraps: backend.unwrapRequestCount(),
      };
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => query(t, dev.token, 'query($n: String!) { secret(name: $n) { value } }', { n: `s_${i}` })),
      );
      results.forEach((r, i) => expect(r.secret.value).toBe(`value-${i}-${'x'.repeat(i % 7)}`));
      expect(t.app.dataKeys.stats.providerCalls - before.calls).toBe(1);
      if (remote(provider)) {
        expect(backend.unwrapRequestCount() - before.unwraps).toBe(1);
        expect(backend.requestCount() - before.requests).toBeLessThanOrEqual(2);
      }
    });
  });
});
