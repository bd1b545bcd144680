/**
 * Key rotation (docs/encryption.md, Rotation), against real databases and real providers through
 * their loopback fakes:
 * - rotateDataKey: new writes use the new generation at once, old versions stay readable,
 *   audited, scope-checked;
 * - rewrap after a root-key rotation (a new local master key, a KMS alias moved to a new key, a
 *   new Vault key version): every data key ends under the newest root key, no value is
 *   re-encrypted, a second run does nothing, an interrupted run resumes; then the old root key
 *   is retired and everything still reads;
 * - a provider move local -> aws-kms -> vault-transit, each ending with an app that has only the
 *   new provider (the old one stopped);
 * - the re-encrypt job: every version ends under its developer's newest data key, values
 *   intact, concurrent writes during the job are not lost, retired data keys become droppable.
 */
import { loadKeyProvider } from '../../src/crypto/load-provider';
import type { RewrapProgress } from '../../src/ops/progress';
import { DATABASE_KINDS, type DatabaseKind } from '../support/databases';
import { createApiKey, createSecret, mutate, query, updateSecret } from '../support/integration';
import { startKeyProviderBackend, TEST_KEY_PROVIDER_KINDS, type TestKeyProviderKind } from '../support/key-provider-backends';
import { ciphertexts, dataKeyRows, expectAllReadable, populate, ROTATE_DATA_KEY } from '../support/key-rotation';
import { step } from '../support/steps';
import { type TestApp, useStarted, useTestApp, useTestDatabase, withTestApp } from '../support/test-app';

const DESTROY_VERSION = `mutation($input: DestroySecretVersionInput!) { r: destroySecretVersion(input: $input) {
  __typename ... on Error { code message } } }`;

describe.each(DATABASE_KINDS)('rotateDataKey on %s', (kind: DatabaseKind) => {
  const t = useTestApp(kind);

  it('new writes use the new generation at once; old versions stay readable; audited', async () => {
    const dev = await t.createDeveloper('rotating dev');
    await createSecret(t, dev.token, { name: 'before', value: 'value-written-before-rotation' });
    const [first] = (await dataKeyRows(t)).filter((k) => k.developer_id === dev.id);

    const r = await mutate(t, dev.token, ROTATE_DATA_KEY, {});
    expect(r.__typename).toBe('RotateDataKeyPayload');
    expect(r.dataKey).toMatchObject({ generation: 2, provider: t.app.provider.name });
    expect(r.dataKey.id).not.toBe(first!.id);

    await createSecret(t, dev.token, { name: 'after', value: 'value-written-after-rotation' });
    await updateSecret(t, dev.token, { name: 'before', value: 'value-before-v2' });
    const versions = await t.app.db
      .selectFrom('secret_versions')
      .select(['data_key_id', 'version', 'secret_id'])
      .where('developer_id', '=', dev.id)
      .orderBy('created_at')
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.data_key_id)).toEqual([first!.id, r.dataKey.id, r.dataKey.id]);

    const data = await query(t, dev.token, `{ a: secretVersion(name: "before", version: 1) { value } b: secret(name: "before") { value } c: secret(name: "after") { value } }`);
    expect(data).toEqual({
      a: { value: 'value-written-before-rotation' },
      b: { value: 'value-before-v2' },
      c: { value: 'value-written-after-rotation' },
    });

    const events = await t.app.db.selectFrom('audit_events').selectAll().where('developer_id', '=', dev.id).where('action', '=', 'datakey.rotate').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.detail!)).toEqual({ generation: 2, provider: t.app.provider.name });
    const verified = await query(t, dev.token, '{ verifyAuditLog { ok } }');
    expect(verified.verifyAuditLog.ok).toBe(true);
  });

  it('needs keys:manage; refused rotations change nothing', async () => {
    const dev = await t.createDeveloper('scoped dev');
    await createSecret(t, dev.token, { name: 'x', value: 'some-value-123' });
    const writer = await createApiKey(t, dev.token, { name: 'writer', scopes: ['secrets:read', 'secrets:write'] });
    const before = (await dataKeyRows(t)).filter((k) => k.developer_id === dev.id);
    const r = await mutate(t, writer.token, ROTATE_DATA_KEY, {});
    expect(r).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const admin = await t.graphql(t.adminToken, ROTATE_DATA_KEY);
    expect(admin.body.data?.r?.__typename).toBe('ForbiddenError');
    expect((await dataKeyRows(t)).filter((k) => k.developer_id === dev.id)).toEqual(before);
  });

  it('rotations racing writes of the same developer all complete (no deadlock on MySQL)', async () => {
    const dev = await t.createDeveloper('racing dev');
    await createSecret(t, dev.token, { name: 'racing', value: 'racing-value-0' });
    const results = await Promise.all([
      mutate(t, dev.token, ROTATE_DATA_KEY, {}),
      mutate(t, dev.token, ROTATE_DATA_KEY, {}),
      ...Array.from({ length: 6 }, (_, i) => createSecret(t, dev.token, { name: `racing_${i}`, value: `racing-value-${i + 1}` })),
    ]);
    expect(results.slice(0, 2).map((r) => r.__typename)).toEqual(['RotateDataKeyPayload', 'RotateDataKeyPayload']);
    const generations = (await dataKeyRows(t)).filter((k) => k.developer_id === dev.id).map((k) => k.generation);
    expect(generations.sort()).toEqual([1, 2, 3]);
    const verified = await query(t, dev.token, '{ verifyAuditLog { ok } }');
    expect(verified.verifyAuditLog.ok).toBe(true);
  });

  it('a first rotation with no data key yet makes generation 1', async () => {
    const dev = await t.createDeveloper('fresh dev');
    const r = await mutate(t, dev.token, ROTATE_DATA_KEY, {});
    expect(r.dataKey.generation).toBe(1);
    await createSecret(t, dev.token, { name: 'first', value: 'first-value-123' });
    const rows = (await dataKeyRows(t)).filter((k) => k.developer_id === dev.id);
    expect(rows.map((k) => k.id)).toEqual([r.dataKey.id]);
  });
});

const rewrapCases = DATABASE_KINDS.flatMap((db) => TEST_KEY_PROVIDER_KINDS.map((p) => [db, p] as const));

describe.each(rewrapCases)('rewrap after a root key rotation on %s over %s', (kind: DatabaseKind, provider: TestKeyProviderKind) => {
  const db = useTestDatabase(kind);
  const root = useStarted(() => startKeyProviderBackend(provider));
  let population: Awaited<ReturnType<typeof populate>>;
  let late: Awaited<ReturnType<typeof populate>>;
  const withApp = (fn: (t: TestApp) => Promise<void>) => withTestApp(kind, { database: db, env: root.env }, fn);

  beforeAll(async () => {
    await withApp(async (t) => {
      population = await populate(t, 'early');
    });
  });

  // The next test stands on this one's work: it awaits the step, which runs once (tests/support/steps.ts).
  const rotatedAndRewrapped = step(async () => {
    const oldRef = root.currentKeyRef();
    await root.rotateRootKey();
    expect(root.currentKeyRef()).not.toBe(oldRef);
    await withApp(async (t) => {
      // Before the rewrap: old data keys still unwrap, new ones are under the new root key.
      await expectAllReadable(t, population);
      late = await populate(t, 'late', 1, 2);
      const rows = await dataKeyRows(t);
      const byDev = (id: string) => rows.filter((k) => k.developer_id === id);
      expect(byDev(late[0]!.id).every((k) => k.key_ref === root.currentKeyRef())).toBe(true);
      const stale = rows.filter((k) => k.key_ref !== root.currentKeyRef());
      expect(stale.length).toBe(4); // 3 early developers, one of them with 2 generations
      const sealed = await ciphertexts(t);

      // Interrupted after two rows.
      const controller = new AbortController();
      const seen: RewrapProgress[] = [];
      const interrupted = await t.app.ops.rewrapDataKeys({
        batchSize: 2,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push({ ...p });
          if (p.rewrapped === 2) controller.abort();
        },
      });
      expect(interrupted).toMatchObject({ aborted: true, rewrapped: 2, failed: 0, provider: t.app.provider.name });
      expect(seen[0]!.total).toBe(rows.length);
      expect((await dataKeyRows(t)).filter((k) => k.key_ref !== root.currentKeyRef())).toHaveLength(2);

      // Resumed: the rest, the rows already done are skipped.
      const resumed = await t.app.ops.rewrapDataKeys({ batchSize: 2 });
      expect(resumed).toMatchObject({ aborted: false, rewrapped: 2, current: rows.length - 2, failed: 0, raced: 0 });
      expect(resumed.from).toEqual({ [t.app.provider.name]: 2 });

      // Idempotent: nothing left to do.
      const again = await t.app.ops.rewrapDataKeys();
      expect(again).toMatchObject({ rewrapped: 0, current: rows.length, failed: 0 });

      const after = await dataKeyRows(t);
      expect(after.map((k) => k.key_ref)).toEqual(after.map(() => root.currentKeyRef()));
      expect(after.filter((k) => stale.some((s) => s.id === k.id)).every((k) => k.rewrapped_at !== null)).toBe(true);
      expect(after.map((k) => k.id)).toEqual(rows.map((k) => k.id));
      // Data keys were re-wrapped, not replaced: every sealed value is byte for byte as before.
      expect(await ciphertexts(t)).toEqual(sealed);
      await expectAllReadable(t, [...population, ...late]);
    });
  });

  it('moves every data key under the newest root key, resumably and idempotently, without touching a value', () => rotatedAndRewrapped());

  it('with the old root key retired, every value still reads (from a cold cache)', async () => {
    await rotatedAndRewrapped();
    await root.retireOldRootKeys();
    await withApp(async (t) => {
      const checked = await expectAllReadable(t, [...population, ...late]);
      expect(checked).toBe(3 * 3 * 2 + 2 * 2);
      expect(t.app.dataKeys.stats.providerCalls).toBeGreaterThanOrEqual(4);
    });
  });
});

describe.each(DATABASE_KINDS)('moving providers local -> aws-kms -> vault-transit on %s', (kind: DatabaseKind) => {
  const db = useTestDatabase(kind);
  const kms = useStarted(() => startKeyProviderBackend('aws-kms'));
  const vault = useStarted(() => startKeyProviderBackend('vault-transit'));
  const local = { LOCKSMITH_MASTER_KEYS: `mk-local:${Buffer.alloc(32, 7).toString('base64')}` };
  const everyone: Awaited<ReturnType<typeof populate>> = [];
  const withApp = (env: Record<string, string>, fn: (t: TestApp) => Promise<void>) => withTestApp(kind, { database: db, env }, fn);
  const providersOf = async (t: TestApp) => [...new Set((await dataKeyRows(t)).map((k) => k.provider))].sort();

  beforeAll(async () => {
    await withApp({ ...local, LOCKSMITH_KEY_PROVIDER: 'local' }, async (t) => {
      everyone.push(...(await populate(t, 'local')));
      expect(await providersOf(t)).toEqual(['local']);
    });
  });

  // Each move is a step the later tests stand on: they await it, and it runs once (tests/support/steps.ts).
  const movedToKms = step(async () => {
    await withApp({ ...local, ...kms.env, LOCKSMITH_KEY_PROVIDER: 'aws-kms', LOCKSMITH_PREVIOUS_KEY_PROVIDERS: 'local' }, async (t) => {
      expect(t.app.providers.names).toEqual(['aws-kms', 'local']);
      await expectAllReadable(t, everyone);
      // New developers' data keys go to the new primary at once.
      everyone.push(...(await populate(t, 'kmsera', 1, 2)));
      expect(await providersOf(t)).toEqual(['aws-kms', 'local']);
      const sealed = await ciphertexts(t);
      const total = (await dataKeyRows(t)).length;

      const summary = await t.app.ops.rewrapDataKeys({ to: t.app.providers.forName('aws-kms'), batchSize: 3 });
      expect(summary).toMatchObject({ provider: 'aws-kms', rewrapped: 4, current: total - 4, failed: 0, aborted: false });
      expect(summary.from).toEqual({ local: 4 });
      expect(await providersOf(t)).toEqual(['aws-kms']);
      expect(await ciphertexts(t)).toEqual(sealed);
      expect((await t.app.ops.rewrapDataKeys()).rewrapped).toBe(0);
    });
  });

  it('local -> aws-kms: rewrap --to aws-kms with local as a previous provider', () => movedToKms());

  it('an app with only aws-kms (no local keys at all) reads every value', async () => {
    await movedToKms();
    await withApp({ ...kms.env }, async (t) => {
      expect(t.app.providers.names).toEqual(['aws-kms']);
      await expectAllReadable(t, everyone);
    });
  });

  const movedToVault = step(async () => {
    await movedToKms();
    await withApp({ ...kms.env, ...vault.env, LOCKSMITH_KEY_PROVIDER: 'vault-transit', LOCKSMITH_PREVIOUS_KEY_PROVIDERS: 'aws-kms' }, async (t) => {
      everyone.push(...(await populate(t, 'vaultera', 1, 2)));
      const [dev] = everyone;
      const [name, values] = [...dev!.secrets][0]!;
      await updateSecret(t, dev!.token, { name, value: 'updated-during-the-move' });
      values.push('updated-during-the-move');
      expect(await providersOf(t)).toEqual(['aws-kms', 'vault-transit']);

      const summary = await t.app.ops.rewrapDataKeys({ batchSize: 2 });
      expect(summary).toMatchObject({ provider: 'vault-transit', failed: 0 });
      expect(summary.from).toEqual({ 'aws-kms': summary.rewrapped });
      expect(await providersOf(t)).toEqual(['vault-transit']);
      expect((await t.app.ops.rewrapDataKeys()).rewrapped).toBe(0);
    });
  });

  it('aws-kms -> vault-transit: the configured primary, with aws-kms as previous, then a plain rewrap', () => movedToVault());

  it('with KMS gone, an app with only vault-transit reads every value', async () => {
    await movedToVault();
    await kms.stop();
    try {
      await withApp({ ...vault.env }, async (t) => {
        await expectAllReadable(t, everyone);
        expect((await t.request('/readyz')).status).toBe(200);
      });
    } finally {
      await kms.start();
    }
  });

  it('a data key under a provider that is not configured fails the rewrap with a clear message, changing nothing', async () => {
    await movedToVault();
    await withApp({ ...local, LOCKSMITH_KEY_PROVIDER: 'local' }, async (t) => {
      const before = await dataKeyRows(t);
      const error = await t.app.ops.rewrapDataKeys().catch((e: unknown) => e as Error);
      expect(String((error as Error).message)).toMatch(/"vault-transit".*LOCKSMITH_PREVIOUS_KEY_PROVIDERS/);
      expect(await dataKeyRows(t)).toEqual(before);
    });
  });

  it('a target that cannot be reached fails before any row changes', async () => {
    await movedToVault();
    const target = await loadKeyProvider('aws-kms', { env: { ...kms.env, LOCKSMITH_KMS_TIMEOUT_MS: '200', LOCKSMITH_KMS_MAX_ATTEMPTS: '1' }, dataDir: db.dataDir, production: false });
    try {
      await withApp({ ...vault.env }, async (t) => {
        await kms.stop();
        try {
          const before = await dataKeyRows(t);
          const error = await t.app.ops.rewrapDataKeys({ to: target }).catch((e: unknown) => e as Error & { code?: string });
          expect(error).toMatchObject({ code: 'KEY_SERVICE_UNAVAILABLE' });
          expect(await dataKeyRows(t)).toEqual(before);
        } finally {
          await kms.start();
        }
      });
    } finally {
      await target.close?.();
    }
  });
});

describe.each(DATABASE_KINDS)('re-encrypting old versions on %s', (kind: DatabaseKind) => {
  const t = useTestApp(kind);

  it('re-seals every live version under the newest data key; concurrent writes and destroys are not lost', async () => {
    const dev = await t.createDeveloper('reencrypt dev');
    const bystander = await t.createDeveloper('bystander');
    await createSecret(t, bystander.token, { name: 'untouched', value: 'bystander-value-1' });
    const expected = new Map<string, string[]>();
    const write = async (name: string, value: string) => {
      if (expected.has(name)) await updateSecret(t, dev.token, { name, value });
      else await createSecret(t, dev.token, { name, value });
      expected.set(name, [...(expected.get(name) ?? []), value]);
    };
    for (let i = 0; i < 6; i++) await write(`s${i}`, `s${i}-gen1-value`);
    await mutate(t, dev.token, ROTATE_DATA_KEY, {});
    for (let i = 0; i < 6; i++) await write(`s${i}`, `s${i}-gen2-value`);
    await mutate(t, dev.token, ROTATE_DATA_KEY, {});
    for (let i = 0; i < 3; i++) await write(`s${i}`, `s${i}-gen3-value`);
    // Destroyed before the job: stays a tombstone, is not counted.
    expect((await mutate(t, dev.token, DESTROY_VERSION, { name: 's5', version: 1 })).__typename).toBe('DestroySecretVersionPayload');

    const keys = (await dataKeyRows(t)).filter((k) => k.developer_id === dev.id).sort((a, b) => a.generation - b.generation);
    expect(keys.map((k) => k.generation)).toEqual([1, 2, 3]);
    const newest = keys[2]!;
    const retired = await t.app.db
      .selectFrom('secret_versions as v')
      .innerJoin('secrets as s', 's.id', 'v.secret_id')
      .select(['s.name', 'v.version', 'v.secret_id'])
      .where('v.developer_id', '=', dev.id)
      .where('v.data_key_id', '!=', newest.id)
      .where('v.ciphertext', 'is not', null)
      .orderBy('v.secret_id')
      .orderBy('v.version')
      .execute();
    expect(retired).toHaveLength(11); // generation 1: 6 versions, one destroyed; generation 2: 6
    // The job's last row that is not a current version (those cannot be destroyed), destroyed
    // while the job holds its page: it must stay destroyed.
    const last = [...retired].reverse().find((v) => v.version < expected.get(v.name)!.length)!;

    let concurrent: Promise<unknown> | undefined;
    // The job's next data key lookup waits for the concurrent writes, so they land while the job
    // still holds the page it read before them: a real interleaving, made deterministic.
    const get = t.app.dataKeys.get.bind(t.app.dataKeys);
    const spy = jest.spyOn(t.app.dataKeys, 'get').mockImplementation(async (...args) => {
      await concurrent;
      return get(...args);
    });
    const summary = await t.app.ops.reencryptSecretVersions({
      batchSize: 100,
      onProgress: (p) => {
        if (p.scanned !== 1) return;
        concurrent = (async () => {
          expect((await mutate(t, dev.token, DESTROY_VERSION, { name: last.name, version: last.version })).__typename).toBe(
            'DestroySecretVersionPayload',
          );
          await write('s4', 's4-written-during-the-job');
        })();
      },
    });
    await concurrent;
    spy.mockRestore();
    // Also writes racing the job from outside, on every secret.
    await Promise.all([t.app.ops.reencryptSecretVersions(), ...[0, 1, 2].map((i) => write(`s${i}`, `s${i}-racing-value`))]);

    expect(summary).toMatchObject({ aborted: false, failed: 0, total: retired.length, scanned: retired.length });
    expect(summary.reencrypted + summary.raced).toBe(retired.length);
    expect(summary.raced).toBeGreaterThanOrEqual(1);
    expect(summary.reencrypted).toBeGreaterThanOrEqual(retired.length - 1);

    const versions = await t.app.db.selectFrom('secret_versions').selectAll().where('developer_id', '=', dev.id).execute();
    const live = versions.filter((v) => v.ciphertext !== null);
    expect(live.every((v) => v.data_key_id === newest.id)).toBe(true);
    const tombstones = versions.filter((v) => v.ciphertext === null).map((v) => `${v.secret_id}/${v.version}`);
    expect(tombstones).toContain(`${last.secret_id}/${last.version}`);
    expect(tombstones).toHaveLength(2);

    // Every value that was not destroyed reads as written, the concurrent writes included.
    for (const [name, values] of expected) {
      for (let v = 1; v <= values.length; v++) {
        if ((name === 's5' && v === 1) || (name === last.name && v === last.version)) continue;
        const data = await query(t, dev.token, 'query($n: String!, $v: Int!) { secretVersion(name: $n, version: $v) { value } }', { n: name, v });
        expect([name, v, data.secretVersion.value]).toEqual([name, v, values[v - 1]]);
      }
    }
    const again = await t.app.ops.reencryptSecretVersions({ developerId: dev.id });
    expect(again).toMatchObject({ total: 0, scanned: 0, reencrypted: 0, unreferencedDataKeys: 2, developers: 1 });

    // The retired data keys are no longer needed: drop them, restart cold, everything reads.
    await t.app.db.deleteFrom('data_keys').where('developer_id', '=', dev.id).where('generation', '<', 3).execute();
    t.app.dataKeys.clear();
    const current = await query(t, dev.token, '{ s0: secret(name: "s0") { value } s4: secret(name: "s4") { value } }');
    expect(current).toEqual({ s0: { value: 's0-racing-value' }, s4: { value: 's4-written-during-the-job' } });
    const bystanderData = await query(t, bystander.token, '{ secret(name: "untouched") { value } }');
    expect(bystanderData.secret.value).toBe('bystander-value-1');
  });

  it('an unknown developer is a NotFoundError', async () => {
    await expect(t.app.ops.reencryptSecretVersions({ developerId: '01890000-0000-7000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe.each(DATABASE_KINDS)('damaged rows during the jobs on %s', (kind: DatabaseKind) => {
  const db = useTestDatabase(kind);
  const K1 = `mk-one:${Buffer.alloc(32, 1).toString('base64')}`;
  const K2 = `mk-two:${Buffer.alloc(32, 2).toString('base64')}`;

  it('a data key that does not unwrap is counted, logged by id and left alone; the others are rewrapped', async () => {
    const population = await withTestApp(kind, { database: db, env: { LOCKSMITH_MASTER_KEYS: K1 } }, (first) => populate(first, 'dmg', 3, 1));
    await withTestApp(kind, { database: db, env: { LOCKSMITH_MASTER_KEYS: `${K1},${K2}` } }, async (t) => {
      const rows = await dataKeyRows(t);
      const victim = rows.find((k) => k.developer_id === population[1]!.id)!;
      const damaged = Buffer.from(victim.wrapped);
      damaged[damaged.length - 1]! ^= 0xff;
      await t.app.db.updateTable('data_keys').set({ wrapped: damaged }).where('id', '=', victim.id).execute();

      const summary = await t.app.ops.rewrapDataKeys();
      expect(summary).toMatchObject({ rewrapped: rows.length - 1, failed: 1, aborted: false });
      const after = await dataKeyRows(t);
      expect(after.find((k) => k.id === victim.id)).toMatchObject({ key_ref: 'mk-one', rewrapped_at: null });
      expect(after.filter((k) => k.id !== victim.id).every((k) => k.key_ref === 'mk-two')).toBe(true);
      const warning = t.logs.find((l) => l.includes('could not be rewrapped'));
      expect(warning).toContain(victim.id);
      expect(t.logs.join('\n')).not.toContain(damaged.toString('base64'));
      expect((await t.app.ops.rewrapDataKeys()).failed).toBe(1);

      // A version that does not open is counted and left as it is by the re-encrypt job.
      await t.app.db.updateTable('data_keys').set({ wrapped: Buffer.from(victim.wrapped) }).where('id', '=', victim.id).execute();
      const dev = population[0]!;
      expect((await mutate(t, dev.token, ROTATE_DATA_KEY, {})).__typename).toBe('RotateDataKeyPayload');
      const [version] = await t.app.db.selectFrom('secret_versions').selectAll().where('developer_id', '=', dev.id).where('version', '=', 1).execute();
      const broken = Buffer.from(version!.ciphertext!);
      broken[20]! ^= 0x01;
      await t.app.db.updateTable('secret_versions').set({ ciphertext: broken }).where('secret_id', '=', version!.secret_id).where('version', '=', 1).execute();
      const reencrypted = await t.app.ops.reencryptSecretVersions({ developerId: dev.id });
      expect(reencrypted).toMatchObject({ failed: 1, aborted: false });
      const [still] = await t.app.db.selectFrom('secret_versions').selectAll().where('secret_id', '=', version!.secret_id).where('version', '=', 1).execute();
      expect(Buffer.from(still!.ciphertext!).equals(broken)).toBe(true);
      expect(still!.data_key_id).toBe(version!.data_key_id);
    });
  });
});
