import { DATABASE_KINDS } from '../support/databases';
import { DAY_MS, TestClock } from '../support/integration';
import { openRaw } from '../support/raw-db';
import { useDeveloper, useTestApp } from '../support/test-app';

/** History and recovery (docs/api.md): versions, rollback, destroy, kept versions, recovery window, purge, rotation reminders. */
describe.each(DATABASE_KINDS)('history and recovery on %s', (kind) => {
  const clock = new TestClock();
  const t = useTestApp(kind, { clock, env: { LOCKSMITH_MAX_VERSIONS: '3' } });
  const dev = useDeveloper(t);
  const gql = (query: string, variables?: Record<string, unknown>) => t.graphql(dev.token, query, variables).then((r) => r.body);

  const create = (name: string, value: string, extra = '') =>
    gql(`mutation { createSecret(input: { name: "${name}", value: "${value}" ${extra} }) { __typename ... on Error { code message } } }`);
  const update = (name: string, value: string) =>
    gql(`mutation { updateSecret(input: { name: "${name}", value: "${value}" }) { __typename ... on UpdateSecretPayload { secret { version } } } }`);

  it('lists versions with who and when, reads an old value, and rolls back as a new version', async () => {
    expect((await create('hist', 'v-one')).data.createSecret.__typename).toBe('CreateSecretPayload');
    clock.advance(1000);
    await update('hist', 'v-two');
    const history = await gql(`{ secret(name: "hist") { version versions { edges { node { version createdAt createdBy destroyed } } } } }`);
    expect(history.data.secret.version).toBe(2);
    const versions = history.data.secret.versions.edges.map((e: any) => e.node);
    expect(versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(versions[0].createdAt).toBe(clock.iso());
    expect(versions[1].createdAt).toBe(clock.iso(-1000));
    expect(versions.every((v: any) => typeof v.createdBy === 'string' && v.createdBy.length > 0)).toBe(true);

    const old = await gql(`{ secretVersion(name: "hist", version: 1) { version value } }`);
    expect(old.data.secretVersion).toEqual({ version: 1, value: 'v-one' });

    const rolled = await gql(`mutation { rollbackSecret(input: { name: "hist", version: 1, expectedVersion: 2 }) {
      __typename ... on RollbackSecretPayload { secret { version value } } } }`);
    expect(rolled.data.rollbackSecret).toEqual({ __typename: 'RollbackSecretPayload', secret: { version: 3, value: 'v-one' } });

    const conflict = await gql(`mutation { rollbackSecret(input: { name: "hist", version: 2, expectedVersion: 2 }) {
      __typename ... on VersionConflictError { expectedVersion currentVersion } } }`);
    expect(conflict.data.rollbackSecret).toEqual({ __typename: 'VersionConflictError', expectedVersion: 2, currentVersion: 3 });

    const toCurrent = await gql(`mutation { rollbackSecret(input: { name: "hist", version: 3 }) { __typename ... on ValidationError { field } } }`);
    expect(toCurrent.data.rollbackSecret).toEqual({ __typename: 'ValidationError', field: 'version' });
  });

  it('keeps only the configured number of versions: older ones become tombstones without ciphertext', async () => {
    await create('kept', 'k1');
    for (const value of ['k2', 'k3', 'k4', 'k5']) await update('kept', value);
    const history = await gql(`{ secret(name: "kept") { versions { edges { node { version destroyed } } } } }`);
    expect(history.data.secret.versions.edges.map((e: any) => e.node)).toEqual([
      { version: 5, destroyed: false },
      { version: 4, destroyed: false },
      { version: 3, destroyed: false },
      { version: 2, destroyed: true },
      { version: 1, destroyed: true },
    ]);
    const gone = await t.graphql(dev.token, `{ secretVersion(name: "kept", version: 1) { value } }`);
    expect(gone.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(JSON.stringify(gone.body)).not.toContain('k1');

    const raw = await openRaw(t.db);
    try {
      const rows = await raw.all(
        'SELECT v.version, v.ciphertext FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = ? ORDER BY v.version',
        ['kept'],
      );
      expect(rows.map((r) => r.ciphertext === null)).toEqual([true, true, false, false, false]);
    } finally {
      await raw.close();
    }
    const rollbackToDestroyed = await gql(`mutation { rollbackSecret(input: { name: "kept", version: 1 }) { __typename ... on NotFoundError { message } } }`);
    expect(rollbackToDestroyed.data.rollbackSecret.__typename).toBe('NotFoundError');
  });

  it('destroys a single old version but never the current one', async () => {
    await create('destroy_me', 'd1');
    await update('destroy_me', 'd2');
    const current = await gql(`mutation { destroySecretVersion(input: { name: "destroy_me", version: 2 }) { __typename ... on ValidationError { field } } }`);
    expect(current.data.destroySecretVersion).toEqual({ __typename: 'ValidationError', field: 'version' });
    const destroyed = await gql(`mutation { destroySecretVersion(input: { name: "destroy_me", version: 1 }) {
      __typename ... on DestroySecretVersionPayload { version { version destroyed destroyedAt } } } }`);
    expect(destroyed.data.destroySecretVersion.version).toEqual({ version: 1, destroyed: true, destroyedAt: clock.iso() });
    const missing = await gql(`mutation { destroySecretVersion(input: { name: "destroy_me", version: 9 }) { __typename } }`);
    expect(missing.data.destroySecretVersion.__typename).toBe('NotFoundError');
    expect((await gql(`{ secret(name: "destroy_me") { value } }`)).data.secret.value).toBe('d2');
  });

  it('check-and-set on delete, restore and destroy', async () => {
    await create('cas_everywhere', 'c1');
    await update('cas_everywhere', 'c2');
    const staleDelete = await gql(`mutation { deleteSecret(input: { name: "cas_everywhere", expectedVersion: 1 }) { __typename ... on VersionConflictError { currentVersion } } }`);
    expect(staleDelete.data.deleteSecret).toEqual({ __typename: 'VersionConflictError', currentVersion: 2 });
    const staleDestroy = await gql(`mutation { destroySecretVersion(input: { name: "cas_everywhere", version: 1, expectedVersion: 1 }) { __typename } }`);
    expect(staleDestroy.data.destroySecretVersion.__typename).toBe('VersionConflictError');
    expect((await gql(`mutation { deleteSecret(input: { name: "cas_everywhere", expectedVersion: 2 }) { __typename } }`)).data.deleteSecret.__typename).toBe(
      'DeleteSecretPayload',
    );
    const staleRestore = await gql(`mutation { restoreSecret(input: { name: "cas_everywhere", expectedVersion: 1 }) { __typename } }`);
    expect(staleRestore.data.restoreSecret.__typename).toBe('VersionConflictError');
    const restored = await gql(`mutation { restoreSecret(input: { name: "cas_everywhere", expectedVersion: 2 }) { __typename ... on RestoreSecretPayload { secret { value } } } }`);
    expect(restored.data.restoreSecret).toEqual({ __typename: 'RestoreSecretPayload', secret: { value: 'c2' } });
    // Nothing the refused calls touched changed: version 1 is still readable.
    expect((await gql(`{ secretVersion(name: "cas_everywhere", version: 1) { value } }`)).data.secretVersion.value).toBe('c1');
  });

  it('hides deleted secrets, restores them within the window, and purges them after it', async () => {
    await create('recoverable', 'r-value');
    const deleted = await gql(`mutation { deleteSecret(input: { name: "recoverable", recoveryWindowDays: 2 }) {
      __typename ... on DeleteSecretPayload { secret { deletedAt purgeAt } } } }`);
    expect(deleted.data.deleteSecret.secret).toEqual({ deletedAt: clock.iso(), purgeAt: clock.iso(2 * DAY_MS) });
    expect((await gql(`{ secret(name: "recoverable") { name } }`)).data.secret).toBeNull();
    const listed = await gql(`{ secrets(filter: { deleted: true, namePrefix: "recov" }) { edges { node { name } } } }`);
    expect(listed.data.secrets.edges).toEqual([{ node: { name: 'recoverable' } }]);

    clock.advance(DAY_MS);
    const restored = await gql(`mutation { restoreSecret(input: { name: "recoverable" }) { __typename ... on RestoreSecretPayload { secret { value deletedAt } } } }`);
    expect(restored.data.restoreSecret.secret).toEqual({ value: 'r-value', deletedAt: null });

    await gql(`mutation { deleteSecret(input: { name: "recoverable", recoveryWindowDays: 1 }) { __typename } }`);
    expect(await t.app.services.secrets.purgeExpired()).toBe(0); // still inside the window
    clock.advance(DAY_MS + 1);
    expect(await t.app.services.secrets.purgeExpired()).toBe(1);
    const raw = await openRaw(t.db);
    try {
      expect(await raw.all('SELECT id FROM secrets WHERE name = ?', ['recoverable'])).toEqual([]);
    } finally {
      await raw.close();
    }
    const afterPurge = await gql(`mutation { restoreSecret(input: { name: "recoverable" }) { __typename } }`);
    expect(afterPurge.data.restoreSecret.__typename).toBe('NotFoundError');
    expect((await create('recoverable', 'new-life')).data.createSecret.__typename).toBe('CreateSecretPayload');
  });

  it('finds secrets due for rotation and refuses to reveal expired ones', async () => {
    await create('rotate_weekly', 'w1', ', rotateEveryDays: 7');
    await create('expiring', 'e1', `, expiresAt: "${clock.iso(3 * DAY_MS)}"`);
    await create('no_reminder', 'n1');
    const due = () => gql(`{ secrets(filter: { dueForRotation: true }) { edges { node { name rotationDueAt } } } }`).then((b) => b.data.secrets.edges.map((e: any) => e.node.name));
    expect(await due()).toEqual([]);
    clock.advance(4 * DAY_MS);
    expect(await due()).toEqual(['expiring']);
    const expired = await t.graphql(dev.token, `{ secret(name: "expiring") { value } }`);
    expect(expired.body.errors[0].extensions.code).toBe('SECRET_EXPIRED');
    expect(JSON.stringify(expired.body)).not.toContain('e1"');
    clock.advance(4 * DAY_MS);
    expect(await due()).toEqual(['expiring', 'rotate_weekly']);
    // Rotating the value resets the reminder.
    await update('rotate_weekly', 'w2');
    expect(await due()).toEqual(['expiring']);
    const revealed = await gql(`{ secret(name: "rotate_weekly") { value lastRevealedAt } }`);
    expect(revealed.data.secret.value).toBe('w2');
    const again = await gql(`{ secret(name: "rotate_weekly") { lastRevealedAt } }`);
    expect(again.data.secret.lastRevealedAt).toBe(clock.iso());
  });
});
