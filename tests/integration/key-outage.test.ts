/**
 * Key provider outage (docs/encryption.md, The data-key cache): with the loopback KMS / Vault stopped,
 * - reads of secrets whose data keys are cached keep working, and so do writes under a cached
 *   data key;
 * - a write that needs the provider (a new developer's first data key, a rotation) fails with the
 *   typed KeyServiceUnavailableError union member and changes nothing: no row, no audit event;
 * - /readyz answers 503 naming the key provider;
 * and once the fake is back everything recovers without a restart.
 */
import { DATABASE_KINDS, type DatabaseKind } from '../support/databases';
import { CREATE_SECRET, createSecret, leaksIn, mutate, query, reveal, updateSecret, useRecordedApp } from '../support/integration';
import { REMOTE_KEY_PROVIDER_KINDS } from '../support/key-provider-backends';
import { ROTATE_DATA_KEY } from '../support/key-rotation';
import { step } from '../support/steps';
import { useDeveloper } from '../support/test-app';

const cases = DATABASE_KINDS.flatMap((db) => REMOTE_KEY_PROVIDER_KINDS.map((p) => [db, p] as const));

describe.each(cases)('key provider outage on %s over %s', (kind: DatabaseKind, provider) => {
  const t = useRecordedApp(kind, {
    keyProvider: provider,
    // One fast attempt: an outage is a connection refused, reported at once.
    keyProviderOptions: { timeoutMs: 500, maxAttempts: 2 },
    // /readyz caches its result for a few seconds by default; this test watches it flip.
    env: { LOCKSMITH_READINESS_CACHE_MS: '0' },
  });
  const a = useDeveloper(t, 'cached dev');
  const b = useDeveloper(t, 'new dev');
  const backend = () => t.keyBackend!;

  const counts = async () => ({
    dataKeys: Number((await t.app.db.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    secrets: Number((await t.app.db.selectFrom('secrets').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    versions: Number((await t.app.db.selectFrom('secret_versions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    audit: Number((await t.app.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
  });
  const readyz = async () => {
    const { status, body } = await t.request('/readyz');
    return { status, body: body as { status: string; checks: Record<string, string> } };
  };

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) await createSecret(t, a.token, { name: `cached_${i}`, value: `cached-value-${i}-abcdef` });
  });
  // Writes of the outage that the recovery test reads back: it awaits them too, so it can run alone.
  const writtenDuringOutage = step(async () => {
    await updateSecret(t, a.token, { name: 'cached_0', value: 'cached-value-0-updated' });
    await createSecret(t, a.token, { name: 'cached_new', value: 'written-during-the-outage' });
  });

  it('is ready while the provider answers', async () => {
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ok', checks: { database: 'ok', keyProvider: 'ok' } } });
  });

  describe('with the provider stopped', () => {
    beforeAll(async () => {
      await backend().stop();
    });

    it('reads under cached data keys keep working', async () => {
      for (let i = 0; i < 5; i++) expect(await reveal(t, a.token, `cached_${i}`)).toBe(`cached-value-${i}-abcdef`);
      const page = await query(t, a.token, '{ secrets(first: 10) { edges { node { name value } } } }');
      expect(page.secrets.edges).toHaveLength(5);
    });

    it('writes under a cached data key keep working', async () => {
      await writtenDuringOutage();
      expect(await reveal(t, a.token, 'cached_new')).toBe('written-during-the-outage');
    });

    it("a new developer's first write is KeyServiceUnavailableError and changes nothing", async () => {
      const before = await counts();
      const r = await mutate(t, b.token, CREATE_SECRET, { name: 'needs_a_key', value: 'value-that-must-not-land' });
      expect(r).toMatchObject({ __typename: 'KeyServiceUnavailableError', code: 'KEY_SERVICE_UNAVAILABLE' });
      expect(r.message).toContain(provider);
      expect(await counts()).toEqual(before);
      expect(await query(t, b.token, '{ secret(name: "needs_a_key") { name } }')).toEqual({ secret: null });
    });

    it('a rotation is KeyServiceUnavailableError and changes nothing', async () => {
      const before = await counts();
      const r = await mutate(t, a.token, ROTATE_DATA_KEY, {});
      expect(r).toMatchObject({ __typename: 'KeyServiceUnavailableError', code: 'KEY_SERVICE_UNAVAILABLE' });
      expect(await counts()).toEqual(before);
      const events = await t.app.db.selectFrom('audit_events').select('action').where('action', '=', 'datakey.rotate').execute();
      expect(events).toEqual([]);
    });

    it('/readyz is 503 and names the key provider', async () => {
      expect(await readyz()).toEqual({ status: 503, body: { status: 'unavailable', checks: { database: 'ok', keyProvider: 'unavailable' } } });
    });

    it('a cold cache cannot read, with the typed error and no value anywhere', async () => {
      t.app.dataKeys.clear();
      const { body } = await t.graphql(a.token, '{ secret(name: "cached_1") { value } }');
      expect(body.errors?.[0]?.extensions?.code).toBe('KEY_SERVICE_UNAVAILABLE');
    });
  });

  describe('after the provider is back', () => {
    beforeAll(async () => {
      await backend().start();
    });

    it('recovers without a restart: ready, reads, first writes and rotations work', async () => {
      await writtenDuringOutage();
      expect((await readyz()).status).toBe(200);
      expect(await reveal(t, a.token, 'cached_1')).toBe('cached-value-1-abcdef');
      await createSecret(t, b.token, { name: 'needs_a_key', value: 'value-after-recovery' });
      expect(await reveal(t, b.token, 'needs_a_key')).toBe('value-after-recovery');
      const r = await mutate(t, a.token, ROTATE_DATA_KEY, {});
      expect(r).toMatchObject({ __typename: 'RotateDataKeyPayload', dataKey: { generation: 2, provider } });
      expect(await reveal(t, a.token, 'cached_0')).toBe('cached-value-0-updated');
    });

    it('logged no value or token', () => {
      expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
    });
  });
});
