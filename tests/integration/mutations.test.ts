/**
 * Every mutation of docs/api.md over HTTP, success and typed-error paths: createSecret,
 * updateSecret (check-and-set), deleteSecret / restoreSecret (recovery window, force, name
 * reuse), rollbackSecret, createApiKey / revokeApiKey, createDeveloper.
 */
import { createHash } from 'node:crypto';
import { DATABASE_KINDS } from '../support/databases';
import {
  ALL_SCOPES,
  CREATE_API_KEY,
  CREATE_DEVELOPER,
  CREATE_SECRET,
  createApiKey,
  createSecret,
  DAY_MS,
  DELETE_SECRET,
  leaksIn,
  listNames,
  mutate,
  query,
  RESTORE_SECRET,
  reveal,
  REVOKE_API_KEY,
  ROLLBACK_SECRET,
  useRecordedApp,
  TestClock,
  UPDATE_SECRET,
  updateSecret,
} from '../support/integration';
import { useDeveloper } from '../support/test-app';
import { withRaw } from '../support/raw-db';

describe.each(DATABASE_KINDS)('mutations on %s', (kind) => {
  const clock = new TestClock();
  const t = useRecordedApp(kind, { clock });
  const dev = useDeveloper(t, 'mutations dev');

  const valueOf = (name: string) => reveal(t, dev.token, name);

  describe('createSecret', () => {
    it('creates version 1 and returns the secret without needing a second read', async () => {
      const r = await mutate(t, dev.token, CREATE_SECRET, {
        name: 'c_basic',
        value: 'c-basic-value-1',
        description: 'basic',
        metadata: { env: 'prod', weight: 2.5, on: false },
      });
      expect(r).toEqual({
        __typename: 'CreateSecretPayload',
        secret: {
          id: expect.any(String),
          name: 'c_basic',
          description: 'basic',
          metadata: { env: 'prod', weight: 2.5, on: false },
          version: 1,
          createdAt: clock.iso(),
          updatedAt: clock.iso(),
          deletedAt: null,
          purgeAt: null,
        },
      });
      expect(await valueOf('c_basic')).toBe('c-basic-value-1');
    });

    it('defaults: no description, empty metadata', async () => {
      const s = await createSecret(t, dev.token, { name: 'c_defaults', value: 'c-defaults-value' });
      expect(s).toMatchObject({ description: null, metadata: {}, version: 1 });
    });

    it('an expiresAt in the past is a ValidationError and creates nothing', async () => {
      for (const expiresAt of [clock.iso(-1000), clock.iso(0)]) {
        const r = await mutate(t, dev.token, CREATE_SECRET, { name: 'c_expired', value: 'c-expired-value', expiresAt });
        expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', field: 'expiresAt' });
      }
      expect(await listNames(t, dev.token, { namePrefix: 'c_expired' })).toEqual([]);
      expect((await mutate(t, dev.token, CREATE_SECRET, { name: 'c_expired', value: 'c-expired-value', expiresAt: clock.iso(1000) })).__typename).toBe(
        'CreateSecretPayload',
      );
    });

    it('a live name is taken: NameTakenError, and the existing secret is untouched', async () => {
      await createSecret(t, dev.token, { name: 'c_taken', value: 'c-taken-original' });
      const r = await mutate(t, dev.token, CREATE_SECRET, { name: 'c_taken', value: 'c-taken-intruder' });
      expect(r).toEqual({ __typename: 'NameTakenError', code: 'NAME_TAKEN', message: expect.any(String), name: 'c_taken' });
      expect(r.message).toContain('c_taken');
      expect(await valueOf('c_taken')).toBe('c-taken-original');
      expect(await query(t, dev.token, '{ secret(name: "c_taken") { version } }')).toEqual({ secret: { version: 1 } });
    });
  });

  describe('updateSecret', () => {
    beforeEach(() => clock.advance(60_000));

    it('a new value makes a new version; older versions keep their values', async () => {
      const created = await createSecret(t, dev.token, { name: 'u_value', value: 'u-value-v1', metadata: { a: 1 } });
      clock.advance(5000);
      const updated = await updateSecret(t, dev.token, { name: 'u_value', value: 'u-value-v2' });
      expect(updated).toEqual({ ...created, version: 2, updatedAt: clock.iso() });
      expect(await valueOf('u_value')).toBe('u-value-v2');
      const v1 = await query(t, dev.token, '{ secretVersion(name: "u_value", version: 1) { value } }');
      expect(v1.secretVersion.value).toBe('u-value-v1');
    });

    it('description and metadata change in place; metadata is replaced whole; null clears the description', async () => {
      await createSecret(t, dev.token, { name: 'u_meta', value: 'u-meta-value-1', description: 'old', metadata: { a: 1, b: 'x' } });
      const s1 = await updateSecret(t, dev.token, { name: 'u_meta', description: 'new' });
      expect(s1).toMatchObject({ description: 'new', metadata: { a: 1, b: 'x' }, version: 1, updatedAt: clock.iso() });
      const s2 = await updateSecret(t, dev.token, { name: 'u_meta', metadata: { c: true } });
      expect(s2).toMatchObject({ description: 'new', metadata: { c: true }, version: 1 });
      const s3 = await updateSecret(t, dev.token, { name: 'u_meta', description: null });
      expect(s3).toMatchObject({ description: null, metadata: { c: true }, version: 1 });
      const s4 = await updateSecret(t, dev.token, { name: 'u_meta', value: 'u-meta-value-2', description: 'both', metadata: { d: 4 } });
      expect(s4).toMatchObject({ description: 'both', metadata: { d: 4 }, version: 2 });
      expect(await valueOf('u_meta')).toBe('u-meta-value-2');
      expect(await listNames(t, dev.token, { metadata: { a: 1 }, namePrefix: 'u_meta' })).toEqual([]);
      expect(await listNames(t, dev.token, { metadata: { d: 4 }, namePrefix: 'u_meta' })).toEqual(['u_meta']);
    });

    it('expectedVersion: applies when it matches, VersionConflictError with both versions when it does not', async () => {
      await createSecret(t, dev.token, { name: 'u_cas', value: 'u-cas-value-v1' });
      const ok = await updateSecret(t, dev.token, { name: 'u_cas', value: 'u-cas-value-v2', expectedVersion: 1 });
      expect(ok.version).toBe(2);
      const stale = await mutate(t, dev.token, UPDATE_SECRET, { name: 'u_cas', value: 'u-cas-value-lost', expectedVersion: 1 });
      expect(stale).toEqual({
        __typename: 'VersionConflictError',
        code: 'VERSION_CONFLICT',
        message: expect.any(String),
        expectedVersion: 1,
        currentVersion: 2,
      });
      expect(stale.message).not.toContain('u-cas-value');
      const ahead = await mutate(t, dev.token, UPDATE_SECRET, { name: 'u_cas', description: 'd', expectedVersion: 3 });
      expect(ahead).toMatchObject({ __typename: 'VersionConflictError', expectedVersion: 3, currentVersion: 2 });
      // Nothing changed by the refused writes.
      expect(await valueOf('u_cas')).toBe('u-cas-value-v2');
      expect(await query(t, dev.token, '{ secret(name: "u_cas") { version description } }')).toEqual({
        secret: { version: 2, description: null },
      });
      expect(await query(t, dev.token, '{ secretVersion(name: "u_cas", version: 3) { version } }')).toEqual({ secretVersion: null });
    });

    it('concurrent check-and-set writers from the same version: exactly one wins', async () => {
      await createSecret(t, dev.token, { name: 'u_race', value: 'u-race-value-v1' });
      const results = await Promise.all(
        [1, 2, 3, 4].map((i) => mutate(t, dev.token, UPDATE_SECRET, { name: 'u_race', value: `u-race-writer-${i}`, expectedVersion: 1 })),
      );
      const winners = results.filter((r) => r.__typename === 'UpdateSecretPayload');
      const losers = results.filter((r) => r.__typename === 'VersionConflictError');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(3);
      for (const l of losers) expect(l).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
      const winnerIndex = results.indexOf(winners[0]) + 1;
      expect(await valueOf('u_race')).toBe(`u-race-writer-${winnerIndex}`);
    });

    it('unknown or deleted names: NotFoundError', async () => {
      const absent = await mutate(t, dev.token, UPDATE_SECRET, { name: 'u_absent', value: 'u-absent-value' });
      expect(absent).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: expect.any(String) });
      await createSecret(t, dev.token, { name: 'u_deleted', value: 'u-deleted-value' });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'u_deleted' });
      expect(await mutate(t, dev.token, UPDATE_SECRET, { name: 'u_deleted', value: 'u-deleted-value-2' })).toMatchObject({
        __typename: 'NotFoundError',
        code: 'NOT_FOUND',
      });
    });

    it('an update that changes nothing is a ValidationError', async () => {
      await createSecret(t, dev.token, { name: 'u_empty', value: 'u-empty-value' });
      expect(await mutate(t, dev.token, UPDATE_SECRET, { name: 'u_empty' })).toMatchObject({
        __typename: 'ValidationError',
        code: 'VALIDATION_FAILED',
      });
    });
  });

  describe('deleteSecret and restoreSecret', () => {
    it('soft delete hides the secret; deleted:true shows it; restore brings back value, versions and metadata', async () => {
      await createSecret(t, dev.token, { name: 'd_soft', value: 'd-soft-value-v1', metadata: { k: 'v' } });
      await updateSecret(t, dev.token, { name: 'd_soft', value: 'd-soft-value-v2' });
      const deletedAt = clock.ms;
      const del = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_soft' });
      expect(del).toMatchObject({
        __typename: 'DeleteSecretPayload',
        secret: { name: 'd_soft', version: 2, deletedAt: clock.iso(), purgeAt: new Date(deletedAt + 7 * DAY_MS).toISOString() },
      });
      expect(await query(t, dev.token, '{ secret(name: "d_soft") { id } }')).toEqual({ secret: null });
      expect(await listNames(t, dev.token, { namePrefix: 'd_soft' })).toEqual([]);
      expect(await listNames(t, dev.token, { namePrefix: 'd_soft', metadata: { k: 'v' } })).toEqual([]);
      expect(await listNames(t, dev.token, { namePrefix: 'd_soft', deleted: true })).toEqual(['d_soft']);
      // A deleted secret is not writable and cannot be deleted twice.
      expect(await mutate(t, dev.token, DELETE_SECRET, { name: 'd_soft' })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });

      clock.advance(DAY_MS);
      const restored = await mutate(t, dev.token, RESTORE_SECRET, { name: 'd_soft' });
      expect(restored).toMatchObject({
        __typename: 'RestoreSecretPayload',
        secret: { name: 'd_soft', version: 2, deletedAt: null, purgeAt: null, metadata: { k: 'v' } },
      });
      expect(await valueOf('d_soft')).toBe('d-soft-value-v2');
      expect((await query(t, dev.token, '{ secretVersion(name: "d_soft", version: 1) { value } }')).secretVersion.value).toBe(
        'd-soft-value-v1',
      );
      expect(await listNames(t, dev.token, { namePrefix: 'd_soft', metadata: { k: 'v' } })).toEqual(['d_soft']);
      expect(await listNames(t, dev.token, { namePrefix: 'd_soft', deleted: true })).toEqual([]);
    });

    it('recoveryWindowDays sets the purge time; out-of-range windows are refused and change nothing', async () => {
      await createSecret(t, dev.token, { name: 'd_window', value: 'd-window-value' });
      for (const days of [31, -1, 365]) {
        const r = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_window', recoveryWindowDays: days });
        expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', field: 'recoveryWindowDays' });
      }
      expect(await valueOf('d_window')).toBe('d-window-value');
      const r = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_window', recoveryWindowDays: 30 });
      expect(r.secret.purgeAt).toBe(clock.iso(30 * DAY_MS));
      await createSecret(t, dev.token, { name: 'd_window1', value: 'd-window1-value' });
      const r1 = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_window1', recoveryWindowDays: 1 });
      expect(r1.secret.purgeAt).toBe(clock.iso(DAY_MS));
    });

    it('after the recovery window has passed the secret can no longer be restored or listed', async () => {
      await createSecret(t, dev.token, { name: 'd_expired', value: 'd-expired-value' });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'd_expired', recoveryWindowDays: 2 });
      clock.advance(DAY_MS);
      expect(await listNames(t, dev.token, { namePrefix: 'd_expired', deleted: true })).toEqual(['d_expired']);
      clock.advance(DAY_MS + 1000);
      expect(await listNames(t, dev.token, { namePrefix: 'd_expired', deleted: true })).toEqual([]);
      expect(await mutate(t, dev.token, RESTORE_SECRET, { name: 'd_expired' })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      expect(await query(t, dev.token, '{ secret(name: "d_expired") { id } }')).toEqual({ secret: null });
    });

    it('force purges at once: no restore, no versions left in the database, and the name is free again', async () => {
      const old = await createSecret(t, dev.token, { name: 'd_force', value: 'd-force-value-v1' });
      await updateSecret(t, dev.token, { name: 'd_force', value: 'd-force-value-v2' });
      const r = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_force', force: true });
      expect(r).toMatchObject({ __typename: 'DeleteSecretPayload', secret: { name: 'd_force' } });
      expect(await listNames(t, dev.token, { namePrefix: 'd_force', deleted: true })).toEqual([]);
      expect(await mutate(t, dev.token, RESTORE_SECRET, { name: 'd_force' })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      const oldId = Buffer.from(old.id, 'base64').toString('utf8').split(':')[1];
      const left = await withRaw(t.db, async (raw) => ({
        secrets: await raw.all('SELECT id FROM secrets WHERE id = ?', [oldId]),
        versions: await raw.all('SELECT version FROM secret_versions WHERE secret_id = ?', [oldId]),
        metadata: await raw.all('SELECT meta_key FROM secret_metadata WHERE secret_id = ?', [oldId]),
      }));
      expect(left).toEqual({ secrets: [], versions: [], metadata: [] });

      const reused = await createSecret(t, dev.token, { name: 'd_force', value: 'd-force-reborn' });
      expect(reused.version).toBe(1);
      expect(reused.id).not.toBe(old.id);
      expect(await valueOf('d_force')).toBe('d-force-reborn');
      expect(await query(t, dev.token, '{ secretVersion(name: "d_force", version: 2) { version } }')).toEqual({ secretVersion: null });
    });

    it('force with a non-zero recovery window is contradictory: ValidationError, nothing deleted', async () => {
      await createSecret(t, dev.token, { name: 'd_contra', value: 'd-contra-value' });
      const r = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_contra', force: true, recoveryWindowDays: 7 });
      expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', field: 'force' });
      expect(await valueOf('d_contra')).toBe('d-contra-value');
    });

    it('a soft-deleted secret holds its name until it is purged (as in AWS Secrets Manager); the error says why', async () => {
      await createSecret(t, dev.token, { name: 'd_reuse', value: 'd-reuse-old-value' });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'd_reuse', recoveryWindowDays: 2 });
      const taken = await mutate(t, dev.token, CREATE_SECRET, { name: 'd_reuse', value: 'd-reuse-new-value' });
      expect(taken).toEqual({ __typename: 'NameTakenError', code: 'NAME_TAKEN', message: expect.any(String), name: 'd_reuse' });
      expect(taken.message).toContain('deleted secret');
      expect(taken.message).toContain(clock.iso(2 * DAY_MS));
      // Nothing was created, and the deleted secret can still be restored.
      expect(await listNames(t, dev.token, { namePrefix: 'd_reuse' })).toEqual([]);
      expect(await listNames(t, dev.token, { namePrefix: 'd_reuse', deleted: true })).toEqual(['d_reuse']);
      expect((await mutate(t, dev.token, RESTORE_SECRET, { name: 'd_reuse' })).__typename).toBe('RestoreSecretPayload');
      expect(await valueOf('d_reuse')).toBe('d-reuse-old-value');

      // Once its recovery window has ended (purged or not yet), the name is free.
      await mutate(t, dev.token, DELETE_SECRET, { name: 'd_reuse', recoveryWindowDays: 1 });
      clock.advance(DAY_MS + 1000);
      const reborn = await createSecret(t, dev.token, { name: 'd_reuse', value: 'd-reuse-new-value' });
      expect(reborn.version).toBe(1);
      expect(await valueOf('d_reuse')).toBe('d-reuse-new-value');
    });

    it('restoring while a live secret has the name is NameTakenError saying a live secret holds it', async () => {
      // Only data written before deleted secrets held their names can be in this state: make it by hand.
      await createSecret(t, dev.token, { name: 'd_clash', value: 'd-clash-old-value' });
      const deleted = await mutate(t, dev.token, DELETE_SECRET, { name: 'd_clash' });
      const oldId = Buffer.from(deleted.secret.id, 'base64').toString('utf8').split(':')[1];
      const setPurgeAt = (at: number) => withRaw(t.db, (raw) => raw.run('UPDATE secrets SET purge_at = ? WHERE id = ?', [at, oldId]));
      await setPurgeAt(clock.ms - 1);
      await createSecret(t, dev.token, { name: 'd_clash', value: 'd-clash-new-value' });
      await setPurgeAt(clock.ms + DAY_MS);
      const r = await mutate(t, dev.token, RESTORE_SECRET, { name: 'd_clash' });
      expect(r).toEqual({ __typename: 'NameTakenError', code: 'NAME_TAKEN', message: expect.any(String), name: 'd_clash' });
      expect(r.message).toMatch(/a live secret named "d_clash" exists; delete or rename it/);
      expect(await valueOf('d_clash')).toBe('d-clash-new-value');
      expect(await listNames(t, dev.token, { namePrefix: 'd_clash', deleted: true })).toEqual(['d_clash']);
    });

    it('node(id) answers a deleted secret inside its recovery window and null once purgeAt has passed, before the purge job runs', async () => {
      const created = await createSecret(t, dev.token, { name: 'd_node', value: 'd-node-value' });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'd_node', recoveryWindowDays: 1 });
      const node = (id: string) => query(t, dev.token, 'query($id: ID!) { node(id: $id) { id ... on Secret { name deletedAt } } }', { id });
      expect((await node(created.id)).node).toEqual({ id: created.id, name: 'd_node', deletedAt: clock.iso() });
      clock.advance(DAY_MS + 1000);
      expect(await node(created.id)).toEqual({ node: null });
    });

    it('restoring a name that was never deleted, or never existed, is NotFoundError', async () => {
      await createSecret(t, dev.token, { name: 'd_live', value: 'd-live-value' });
      for (const name of ['d_live', 'd_never']) {
        expect(await mutate(t, dev.token, RESTORE_SECRET, { name })).toEqual({
          __typename: 'NotFoundError',
          code: 'NOT_FOUND',
          message: expect.any(String),
        });
      }
      expect(await mutate(t, dev.token, DELETE_SECRET, { name: 'd_never' })).toMatchObject({ __typename: 'NotFoundError' });
    });
  });

  describe('rollbackSecret', () => {
    beforeAll(async () => {
      await createSecret(t, dev.token, { name: 'r_back', value: 'r-back-value-v1', metadata: { m: 1 } });
      await updateSecret(t, dev.token, { name: 'r_back', value: 'r-back-value-v2' });
    });

    it('makes an old version current as a new version; history is kept', async () => {
      clock.advance(1000);
      const r = await mutate(t, dev.token, ROLLBACK_SECRET, { name: 'r_back', version: 1, expectedVersion: 2 });
      expect(r).toMatchObject({ __typename: 'RollbackSecretPayload', secret: { name: 'r_back', version: 3, metadata: { m: 1 }, updatedAt: clock.iso() } });
      expect(await valueOf('r_back')).toBe('r-back-value-v1');
      const versions = await query(t, dev.token, '{ secret(name: "r_back") { versions { edges { node { version value } } } } }');
      expect(versions.secret.versions.edges.map((e: any) => e.node)).toEqual([
        { version: 3, value: 'r-back-value-v1' },
        { version: 2, value: 'r-back-value-v2' },
        { version: 1, value: 'r-back-value-v1' },
      ]);
    });

    it('check-and-set, unknown versions and unknown names are typed errors that change nothing', async () => {
      const stale = await mutate(t, dev.token, ROLLBACK_SECRET, { name: 'r_back', version: 2, expectedVersion: 2 });
      expect(stale).toEqual({ __typename: 'VersionConflictError', code: 'VERSION_CONFLICT', message: expect.any(String), expectedVersion: 2, currentVersion: 3 });
      for (const version of [4, 99]) {
        const r = await mutate(t, dev.token, ROLLBACK_SECRET, { name: 'r_back', version });
        expect(['NotFoundError', 'ValidationError']).toContain(r.__typename);
      }
      expect(await mutate(t, dev.token, ROLLBACK_SECRET, { name: 'r_nothing', version: 1 })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      expect(await query(t, dev.token, '{ secret(name: "r_back") { version value } }')).toEqual({ secret: { version: 3, value: 'r-back-value-v1' } });
    });
  });

  describe('API keys', () => {
    it('createApiKey shows an lsk_ token once; the key has exactly the requested scopes', async () => {
      const r = await mutate(t, dev.token, CREATE_API_KEY, { name: 'ci reader', scopes: ['secrets:read'] });
      expect(r).toEqual({
        __typename: 'CreateApiKeyPayload',
        apiKey: {
          id: expect.any(String),
          token: expect.stringMatching(/^lsk_[A-Za-z0-9_-]{20,}$/),
          apiKey: {
            id: r.apiKey.id,
            name: 'ci reader',
            prefix: expect.any(String),
            scopes: ['secrets:read'],
            createdAt: clock.iso(),
            expiresAt: null,
            revokedAt: null,
          },
        },
      });
      const { token } = r.apiKey;
      expect(token.startsWith(r.apiKey.apiKey.prefix)).toBe(true);
      expect(r.apiKey.apiKey.prefix.length).toBeLessThan(token.length / 2);
      // Listed afterwards without the token; the schema has no way to read it again.
      const me = await t.graphql(dev.token, '{ me { apiKeys { id name prefix scopes } } }');
      expect(me.body.data.me.apiKeys).toContainEqual({ id: r.apiKey.id, name: 'ci reader', prefix: r.apiKey.apiKey.prefix, scopes: ['secrets:read'] });
      expect(JSON.stringify(me.body)).not.toContain(token);
      const noToken = await t.graphql(dev.token, '{ me { apiKeys { token } } }');
      expect(noToken.body.data).toBeUndefined();
      expect(noToken.body.errors[0].message).toContain('Cannot query field "token" on type "ApiKey"');
      // Works, within its scopes.
      await createSecret(t, dev.token, { name: 'k_scoped', value: 'k-scoped-value' });
      expect(await listNames(t, token, { namePrefix: 'k_scoped' })).toEqual(['k_scoped']);
      const value = await t.graphql(token, '{ secret(name: "k_scoped") { value } }');
      expect(value.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(await mutate(t, token, CREATE_SECRET, { name: 'k_nope', value: 'k-nope-value' })).toMatchObject({
        __typename: 'ForbiddenError',
        code: 'FORBIDDEN',
      });
      // Only a hash of the token is stored.
      const rows = await withRaw(t.db, (raw) => raw.all('SELECT token_hash FROM api_keys WHERE id = ?', [r.apiKey.id]));
      expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    });

    it('scopes default to the caller’s; a key cannot grant scopes it does not hold', async () => {
      const all = await createApiKey(t, dev.token, { name: 'all by default' });
      expect([...all.scopes].sort()).toEqual([...ALL_SCOPES].sort());
      const manager = await createApiKey(t, dev.token, { name: 'manager', scopes: ['keys:manage', 'secrets:read'] });
      const child = await createApiKey(t, manager.token, { name: 'child' });
      expect([...child.scopes].sort()).toEqual(['keys:manage', 'secrets:read']);
      const escalate = await mutate(t, manager.token, CREATE_API_KEY, { name: 'escalate', scopes: ['secrets:read', 'secrets:reveal'] });
      expect(escalate).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: expect.any(String) });
      const narrower = await createApiKey(t, manager.token, { name: 'narrower', scopes: ['secrets:read'] });
      expect(narrower.scopes).toEqual(['secrets:read']);
    });

    it('bad scopes and names are ValidationErrors', async () => {
      for (const [input, field] of [
        [{ name: 'unknown scope', scopes: ['secrets:everything'] }, 'scopes'],
        [{ name: 'no scopes', scopes: [] }, 'scopes'],
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(129) }, 'name'],
      ] as const) {
        expect(await mutate(t, dev.token, CREATE_API_KEY, input)).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', field });
      }
    });

    it('expiresAt: must be in the future; the key stops working when it passes', async () => {
      const past = await mutate(t, dev.token, CREATE_API_KEY, { name: 'past', expiresAt: clock.iso(-1000) });
      expect(past).toMatchObject({ __typename: 'ValidationError', field: 'expiresAt' });
      const r = await mutate(t, dev.token, CREATE_API_KEY, { name: 'hour', scopes: ['secrets:read'], expiresAt: clock.iso(3600_000) });
      expect(r.apiKey.apiKey.expiresAt).toBe(clock.iso(3600_000));
      const token = r.apiKey.token;
      expect((await t.graphql(token, '{ me { id } }')).status).toBe(200);
      clock.advance(3600_000 - 1000);
      expect((await t.graphql(token, '{ me { id } }')).status).toBe(200);
      clock.advance(1000);
      const expired = await t.graphql(token, '{ me { id } }');
      expect(expired.status).toBe(401);
      expect(expired.body.data).toBeUndefined();
    });

    it('revokeApiKey: the key gets 401 at once; revoking needs keys:manage; unknown ids are NotFoundError', async () => {
      const victim = await createApiKey(t, dev.token, { name: 'victim', scopes: ['secrets:read'] });
      expect((await t.graphql(victim.token, '{ me { id } }')).status).toBe(200);
      const noManage = await mutate(t, victim.token, REVOKE_API_KEY, { id: victim.id });
      expect(noManage).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
      expect((await t.graphql(victim.token, '{ me { id } }')).status).toBe(200);

      const r = await mutate(t, dev.token, REVOKE_API_KEY, { id: victim.id });
      expect(r).toEqual({
        __typename: 'RevokeApiKeyPayload',
        apiKey: { id: victim.id, name: 'victim', prefix: expect.any(String), scopes: ['secrets:read'], revokedAt: clock.iso() },
      });
      const after = await t.graphql(victim.token, '{ secrets { edges { node { name } } } }');
      expect(after.status).toBe(401);
      expect(after.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const unknown = await mutate(t, dev.token, REVOKE_API_KEY, { id: '01900000-0000-7000-8000-000000000000' });
      expect(unknown).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: expect.any(String) });
      // The key that revoked still works.
      expect((await t.graphql(dev.token, '{ me { id } }')).status).toBe(200);
    });
  });

  describe('createDeveloper', () => {
    it('admin token: creates a developer with a first all-scope API key', async () => {
      const r = await mutate(t, t.adminToken, CREATE_DEVELOPER, { name: 'Second Dev' });
      expect(r).toEqual({
        __typename: 'CreateDeveloperPayload',
        developer: { id: expect.any(String), name: 'Second Dev', createdAt: clock.iso() },
        apiKey: { id: expect.any(String), token: expect.stringMatching(/^lsk_/), apiKey: { scopes: expect.any(Array) } },
      });
      expect([...r.apiKey.apiKey.scopes].sort()).toEqual([...ALL_SCOPES].sort());
      const me = await query(t, r.apiKey.token, '{ me { id name } }');
      expect(me.me).toEqual({ id: r.developer.id, name: 'Second Dev' });
      expect(await listNames(t, r.apiKey.token)).toEqual([]);
    });

    it('an API key, even with every scope, gets ForbiddenError', async () => {
      expect(await mutate(t, dev.token, CREATE_DEVELOPER, { name: 'sneaky' })).toEqual({
        __typename: 'ForbiddenError',
        code: 'FORBIDDEN',
        message: expect.any(String),
      });
    });

    it('a name another developer has is NameTakenError and creates nothing', async () => {
      expect((await mutate(t, t.adminToken, CREATE_DEVELOPER, { name: 'Unique Dev' })).__typename).toBe('CreateDeveloperPayload');
      const before = await withRaw(t.db, (raw) => raw.all('SELECT id FROM developers'));
      const again = await mutate(t, t.adminToken, CREATE_DEVELOPER, { name: 'Unique Dev' });
      expect(again).toEqual({ __typename: 'NameTakenError', code: 'NAME_TAKEN', message: 'a developer named "Unique Dev" already exists', name: 'Unique Dev' });
      expect(await withRaw(t.db, (raw) => raw.all('SELECT id FROM developers'))).toHaveLength(before.length);
      // Names compare exactly: another case is another name.
      expect((await mutate(t, t.adminToken, CREATE_DEVELOPER, { name: 'unique dev' })).__typename).toBe('CreateDeveloperPayload');
    });

    it('racing creations of one name: exactly one developer, the others NameTakenError', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => mutate(t, t.adminToken, CREATE_DEVELOPER, { name: 'Racing Dev' })));
      expect(results.map((r) => r.__typename).sort()).toEqual(['CreateDeveloperPayload', ...Array(4).fill('NameTakenError')]);
      expect(await withRaw(t.db, (raw) => raw.all('SELECT id FROM developers WHERE name = ?', ['Racing Dev']))).toHaveLength(1);
    });

    it('a bad name is a ValidationError', async () => {
      expect(await mutate(t, t.adminToken, CREATE_DEVELOPER, { name: '' })).toMatchObject({
        __typename: 'ValidationError',
        field: 'name',
      });
    });
  });

  it('wrote no secret value or token to the log', () => {
    expect(t.sensitive.size).toBeGreaterThan(20);
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  });
});
