/**
 * Restart durability: close the app and start a new one on the same database and data
 * directory (the generated local keyring included). Secrets, versions, metadata, deleted
 * secrets, API keys (with their scopes, revocation and expiry) and values all survive.
 */
import { DATABASE_KINDS } from '../support/databases';
import {
  CREATE_SECRET,
  createApiKey,
  createSecret,
  DELETE_SECRET,
  leaksIn,
  listNames,
  mutate,
  query,
  type Recorded,
  record,
  RESTORE_SECRET,
  reveal,
  REVOKE_API_KEY,
  TestClock,
  updateSecret,
} from '../support/integration';
import { withRaw } from '../support/raw-db';
import { step } from '../support/steps';
import { useTestDatabase, withTestApp } from '../support/test-app';

const BIG = '€'.repeat(21845) + 'a'; // 65536 bytes of UTF-8

describe.each(DATABASE_KINDS)('restart durability on %s', (kind) => {
  const clock = new TestClock();
  const sensitive = new Set<string>();
  const allLogs: string[] = [];
  const db = useTestDatabase(kind);
  let dev: { id: string; token: string };
  let reader: { id: string; token: string };
  let revoked: { id: string; token: string };
  let expiring: { id: string; token: string };

  /** An app on the data, as after a restart; its log lines are kept for the leak check at the end. */
  function withApp(fn: (t: Recorded) => Promise<void>) {
    return withTestApp(kind, { database: db, clock }, async (app) => {
      const t = record(app, sensitive);
      try {
        await fn(t);
      } finally {
        allLogs.push(...t.logs);
      }
    });
  }

  // Each run is a step the next stands on: a test awaits the runs before its own, which run once
  // (tests/support/steps.ts), so any test can run alone.
  const firstRun = step(async () => {
    await withApp(async (t) => {
      dev = await t.createDeveloper('durable dev');
      await createSecret(t, dev.token, { name: 'durable_a', value: 'durable-a-value-v1', description: 'kept', metadata: { env: 'prod', n: 1 } });
      await updateSecret(t, dev.token, { name: 'durable_a', value: 'durable-a-value-v2' });
      await createSecret(t, dev.token, { name: 'durable_big', value: BIG });
      await createSecret(t, dev.token, { name: 'durable_deleted', value: 'durable-deleted-value' });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'durable_deleted', recoveryWindowDays: 10 });
      reader = await createApiKey(t, dev.token, { name: 'reader', scopes: ['secrets:read'] });
      revoked = await createApiKey(t, dev.token, { name: 'revoked' });
      expiring = await createApiKey(t, dev.token, { name: 'expiring', scopes: ['secrets:read'], expiresAt: clock.iso(2 * 3600_000) });
      expect((await mutate(t, dev.token, REVOKE_API_KEY, { id: revoked.id })).__typename).toBe('RevokeApiKeyPayload');
    });
  });

  it('first run: writes secrets, versions, metadata, a deleted secret and API keys', () => firstRun());

  const secondRun = step(async () => {
    await firstRun();
    await withApp(async (t) => {
      expect(await query(t, dev.token, '{ me { id name } }')).toEqual({ me: { id: dev.id, name: 'durable dev' } });
      const a = await query(
        t,
        dev.token,
        '{ secret(name: "durable_a") { version description metadata value versions { edges { node { version value } } } } }',
      );
      expect(a.secret).toEqual({
        version: 2,
        description: 'kept',
        metadata: { env: 'prod', n: 1 },
        value: 'durable-a-value-v2',
        versions: { edges: [{ node: { version: 2, value: 'durable-a-value-v2' } }, { node: { version: 1, value: 'durable-a-value-v1' } }] },
      });
      expect(await reveal(t, dev.token, 'durable_big')).toBe(BIG);
      expect(await listNames(t, dev.token, { metadata: { env: 'prod', n: 1 } })).toEqual(['durable_a']);
      expect(await listNames(t, dev.token)).toEqual(['durable_a', 'durable_big']);
      expect(await listNames(t, dev.token, { deleted: true })).toEqual(['durable_deleted']);

      // API keys: the reader still reads names only, the revoked key is still refused, expiry still counts.
      expect(await listNames(t, reader.token)).toEqual(['durable_a', 'durable_big']);
      const noValue = await t.graphql(reader.token, '{ secret(name: "durable_a") { value } }');
      expect(noValue.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(await mutate(t, reader.token, CREATE_SECRET, { name: 'nope', value: 'reader-cannot-write' })).toMatchObject({
        __typename: 'ForbiddenError',
      });
      expect((await t.graphql(revoked.token, '{ me { id } }')).status).toBe(401);
      expect((await t.graphql(expiring.token, '{ me { id } }')).status).toBe(200);

      // The new process's admin token is the configured one; developers persist.
      const other = await t.createDeveloper('second run dev');
      expect(await listNames(t, other.token)).toEqual([]);

      // Writes go on where they left off, with the same data key.
      const keysBefore = await withRaw(db, (raw) => raw.all('SELECT id FROM data_keys WHERE developer_id = ?', [dev.id]));
      await updateSecret(t, dev.token, { name: 'durable_a', value: 'durable-a-value-v3' });
      await createSecret(t, dev.token, { name: 'durable_second', value: 'durable-second-value' });
      expect(await withRaw(db, (raw) => raw.all('SELECT id FROM data_keys WHERE developer_id = ?', [dev.id]))).toEqual(keysBefore);
      expect(keysBefore).toHaveLength(1);
    });
  });

  it('second run: everything is there, API keys behave as before, and writes continue', () => secondRun());

  const thirdRun = step(async () => {
    await secondRun();
    await withApp(async (t) => {
      expect(await query(t, dev.token, '{ secret(name: "durable_a") { version value } }')).toEqual({
        secret: { version: 3, value: 'durable-a-value-v3' },
      });
      expect(await reveal(t, dev.token, 'durable_second')).toBe('durable-second-value');
      expect((await query(t, dev.token, '{ secretVersion(name: "durable_a", version: 1) { value } }')).secretVersion.value).toBe(
        'durable-a-value-v1',
      );
      expect((await mutate(t, dev.token, RESTORE_SECRET, { name: 'durable_deleted' })).__typename).toBe('RestoreSecretPayload');
      expect(await reveal(t, dev.token, 'durable_deleted')).toBe('durable-deleted-value');
      clock.advance(2 * 3600_000);
      expect((await t.graphql(expiring.token, '{ me { id } }')).status).toBe(401);
      expect((await t.graphql(dev.token, '{ me { id } }')).status).toBe(200);
    });
  });

  it('third run: the second run’s writes survived; restore and expiry still work', () => thirdRun());

  it('no value or token in the logs of any run', async () => {
    await thirdRun();
    expect(allLogs.length).toBeGreaterThan(0);
    expect(sensitive.size).toBeGreaterThan(8);
    expect(leaksIn(allLogs.join('\n'), sensitive)).toEqual([]);
  });
});
