/**
 * Tenant isolation (docs/architecture.md: every query is scoped by developer id). For every query and mutation,
 * developer B can neither read, list, reveal, change nor learn the existence of developer A's
 * secrets: B's response about "A's secret" must be byte-for-byte the response about a name
 * nobody has (after replacing the name itself).
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
  normalized,
  query,
  RESTORE_SECRET,
  reveal,
  REVOKE_API_KEY,
  ROLLBACK_SECRET,
  TestClock,
  unknownGlobalIdLike,
  updateSecret,
  useRecordedApp,
} from '../support/integration';
import { useDeveloper } from '../support/test-app';

const A_NAME = 'iso_a_secret';
const A_DELETED = 'iso_a_deleted';
const NOBODY = 'iso_nobody_has';
const A_VALUE_1 = 'a-private-value-version-1';
const A_VALUE_2 = 'a-private-value-version-2';

describe.each(DATABASE_KINDS)('tenant isolation on %s', (kind) => {
  // A fixed clock: B's responses about two names must not differ by a timestamp.
  const t = useRecordedApp(kind, { clock: new TestClock() });
  const a = useDeveloper(t, 'tenant a');
  const b = useDeveloper(t, 'tenant b');
  let aSecret: any;
  let aKey: { id: string; token: string };

  beforeAll(async () => {
    aSecret = await createSecret(t, a.token, { name: A_NAME, value: A_VALUE_1, metadata: { owner: 'tenant-a-only', n: 1 } });
    await updateSecret(t, a.token, { name: A_NAME, value: A_VALUE_2 });
    await createSecret(t, a.token, { name: A_DELETED, value: 'a-deleted-private-value', metadata: { owner: 'tenant-a-only' } });
    await mutate(t, a.token, DELETE_SECRET, { name: A_DELETED });
    for (const name of ['iso_m1', 'iso_m2', 'iso_m3']) await createSecret(t, a.token, { name, value: `a-value-of-${name}` });
    aKey = await createApiKey(t, a.token, { name: 'a second key', scopes: ['secrets:read'] });
    await createSecret(t, b.token, { name: 'iso_b_secret', value: 'b-own-value-1', metadata: { owner: 'tenant-b' } });
  });

  /**
   * B's response about A's name equals B's response about a name nobody has, once each name is
   * replaced by a placeholder. Returns the body about A's name.
   */
  async function expectIndistinguishable(document: string, vars: (name: string) => Record<string, unknown>, aName = A_NAME) {
    const aboutA = await t.graphql(b.token, document, vars(aName));
    const aboutNobody = await t.graphql(b.token, document, vars(NOBODY));
    expect(aboutA.status).toBe(aboutNobody.status);
    expect(normalized(aboutA.body, { [aName]: '<NAME>' })).toBe(normalized(aboutNobody.body, { [NOBODY]: '<NAME>' }));
    const text = JSON.stringify(aboutA.body);
    for (const secret of [A_VALUE_1, A_VALUE_2, 'a-deleted-private-value', 'tenant-a-only']) expect(text).not.toContain(secret);
    return aboutA.body;
  }

  describe('queries', () => {
    it('secret(name)', async () => {
      const body = await expectIndistinguishable('query($n: String!) { secret(name: $n) { id name metadata version value } }', (n) => ({ n }));
      expect(body).toEqual({ data: { secret: null } });
    });

    it('secret(name) for A’s deleted secret', async () => {
      const body = await expectIndistinguishable('query($n: String!) { secret(name: $n) { id } }', (n) => ({ n }), A_DELETED);
      expect(body).toEqual({ data: { secret: null } });
    });

    it('secretVersion(name, version), current and old versions', async () => {
      for (const version of [1, 2]) {
        const body = await expectIndistinguishable(
          'query($n: String!, $v: Int!) { secretVersion(name: $n, version: $v) { version createdAt value } }',
          (n) => ({ n, v: version }),
        );
        expect(body).toEqual({ data: { secretVersion: null } });
      }
    });

    it('secretValue(name) and secretValue(name, version)', async () => {
      for (const version of [null, 1, 2]) {
        const body = await expectIndistinguishable('query($n: String!, $v: Int) { secretValue(name: $n, version: $v) }', (n) => ({ n, v: version }));
        expect(body).toEqual({ data: { secretValue: null } });
      }
    });

    it('auditEvents filtered by A’s secret name', async () => {
      const body = await expectIndistinguishable(
        'query($n: String!) { auditEvents(filter: { secretName: $n }) { edges { node { action secretName actor } } pageInfo { hasNextPage } } }',
        (n) => ({ n }),
      );
      expect(body.data.auditEvents.edges).toEqual([]);
    });

    it('secrets: by prefix, by metadata, deleted, and unfiltered', async () => {
      await expectIndistinguishable(
        'query($n: String!) { secrets(filter: { namePrefix: $n }) { edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }',
        (n) => ({ n }),
      );
      expect(await listNames(t, b.token, { namePrefix: 'iso_a' })).toEqual([]);
      expect(await listNames(t, b.token, { metadata: { owner: 'tenant-a-only' } })).toEqual([]);
      expect(await listNames(t, b.token, { metadata: { owner: 'tenant-a-only' }, deleted: true })).toEqual([]);
      expect(await listNames(t, b.token, { deleted: true })).toEqual([]);
      expect(await listNames(t, b.token)).toEqual(['iso_b_secret']);
      // And the other way round.
      expect(await listNames(t, a.token, { metadata: { owner: 'tenant-b' } })).toEqual([]);
      expect(await listNames(t, a.token)).not.toContain('iso_b_secret');
    });

    it('secrets: A’s cursors, used by B, page through B’s secrets only', async () => {
      const page = await query(t, a.token, '{ secrets(first: 1, filter: { namePrefix: "iso_m" }) { edges { cursor } pageInfo { endCursor } } }');
      const cursor = page.secrets.pageInfo.endCursor;
      for (const args of ['first: 50, after: $c', 'last: 50, before: $c']) {
        const data = await query(t, b.token, `query($c: String!) { secrets(${args}) { edges { node { id name value } } } }`, { c: cursor });
        for (const edge of data.secrets.edges) expect(edge.node).toEqual({ id: expect.any(String), name: 'iso_b_secret', value: 'b-own-value-1' });
      }
    });

    it('node(id) with A’s global id is the same as an unknown id', async () => {
      const document = 'query($id: ID!) { node(id: $id) { __typename id ... on Secret { name value versions { edges { node { value } } } } } }';
      const aboutA = await t.graphql(b.token, document, { id: aSecret.id });
      const unknownId = unknownGlobalIdLike(aSecret.id);
      const aboutNobody = await t.graphql(b.token, document, { id: unknownId });
      expect(aboutA.status).toBe(200);
      expect(aboutA.body).toEqual({ data: { node: null } });
      expect(aboutNobody.body).toEqual(aboutA.body);
      // A itself can.
      expect((await query(t, a.token, document, { id: aSecret.id })).node.name).toBe(A_NAME);
    });

    it('me and me.apiKeys show only B', async () => {
      const data = await query(t, b.token, '{ me { id name apiKeys { id name } } }');
      expect(data.me.id).toBe(b.id);
      expect(data.me.name).toBe('tenant b');
      expect(data.me.apiKeys.map((k: any) => k.id)).not.toContain(aKey.id);
      expect(data.me.apiKeys).toHaveLength(1);
    });
  });

  describe('mutations', () => {
    it('updateSecret (value, metadata, with and without expectedVersion)', async () => {
      for (const input of [
        { value: 'b-overwrites-a' },
        { metadata: { owner: 'b' } },
        { description: 'b was here' },
        { value: 'b-overwrites-a', expectedVersion: 2 },
        // A version check must not run before the ownership check: it would reveal A's version.
        { value: 'b-overwrites-a', expectedVersion: 1 },
      ]) {
        const body = await expectIndistinguishable(
          `mutation($input: UpdateSecretInput!) { r: updateSecret(input: $input) { __typename ... on Error { code message }
            ... on VersionConflictError { expectedVersion currentVersion } } }`,
          (name) => ({ input: { name, ...input } }),
        );
        expect(body.data.r.__typename).toBe('NotFoundError');
      }
    });

    it('deleteSecret (soft, with a window, forced, with a version check)', async () => {
      for (const input of [{}, { recoveryWindowDays: 30 }, { force: true }, { expectedVersion: 2 }, { expectedVersion: 1 }]) {
        const body = await expectIndistinguishable(DELETE_SECRET, (name) => ({ input: { name, ...input } }));
        expect(body.data.r.__typename).toBe('NotFoundError');
      }
    });

    it('restoreSecret of A’s deleted secret', async () => {
      const body = await expectIndistinguishable(RESTORE_SECRET, (name) => ({ input: { name } }), A_DELETED);
      expect(body.data.r.__typename).toBe('NotFoundError');
    });

    it('rollbackSecret (with and without expectedVersion)', async () => {
      for (const input of [{ version: 1 }, { version: 1, expectedVersion: 2 }, { version: 1, expectedVersion: 1 }, { version: 5 }]) {
        const body = await expectIndistinguishable(ROLLBACK_SECRET, (name) => ({ input: { name, ...input } }));
        expect(body.data.r.__typename).toBe('NotFoundError');
      }
    });

    it('destroySecretVersion of A’s old version', async () => {
      const body = await expectIndistinguishable(
        `mutation($input: DestroySecretVersionInput!) { r: destroySecretVersion(input: $input) { __typename ... on Error { code message } } }`,
        (name) => ({ input: { name, version: 1 } }),
      );
      expect(body.data.r.__typename).toBe('NotFoundError');
    });

    it('createSecret with A’s name is B’s own secret (no NameTakenError), and leaves A’s alone', async () => {
      const aboutA = await mutate(t, b.token, CREATE_SECRET, { name: A_NAME, value: 'b-value-same-name' });
      const aboutNobody = await mutate(t, b.token, CREATE_SECRET, { name: NOBODY, value: 'b-value-same-name' });
      expect(aboutA.__typename).toBe('CreateSecretPayload');
      const strip = (r: any, name: string) => normalized({ ...r, secret: { ...r.secret, id: '<ID>' } }, { [name]: '<NAME>' });
      expect(strip(aboutA, A_NAME)).toBe(strip(aboutNobody, NOBODY));
      expect(await reveal(t, b.token, A_NAME)).toBe('b-value-same-name');
      expect(await reveal(t, a.token, A_NAME)).toBe(A_VALUE_2);
      // B's writes to its own secret of that name stay on B's side.
      await updateSecret(t, b.token, { name: A_NAME, value: 'b-value-same-name-2' });
      expect((await mutate(t, b.token, DELETE_SECRET, { name: A_NAME, force: true })).__typename).toBe('DeleteSecretPayload');
      expect((await mutate(t, b.token, DELETE_SECRET, { name: NOBODY, force: true })).__typename).toBe('DeleteSecretPayload');
      expect(await reveal(t, a.token, A_NAME)).toBe(A_VALUE_2);
    });

    it('createApiKey by B makes a key of B’s; createDeveloper makes a tenant that sees nothing', async () => {
      const key = await createApiKey(t, b.token, { name: 'b second key' });
      expect(await query(t, key.token, '{ me { id } }')).toEqual({ me: { id: b.id } });
      expect(await listNames(t, key.token, { namePrefix: 'iso_' })).toEqual(['iso_b_secret']);
      const c = await t.createDeveloper('tenant c');
      expect(await listNames(t, c.token)).toEqual([]);
      expect(await reveal(t, c.token, A_NAME)).toBeNull();
    });

    it('rotateDataKey by B rotates B’s data key only', async () => {
      const keysOf = async (developerId: string) =>
        (await t.app.db.selectFrom('data_keys').select(['id', 'generation']).where('developer_id', '=', developerId).orderBy('generation').execute()).map(
          (k) => [k.id, Number(k.generation)],
        );
      const aBefore = await keysOf(a.id);
      const bBefore = await keysOf(b.id);
      const r = await mutate(t, b.token, 'mutation { r: rotateDataKey { __typename ... on RotateDataKeyPayload { dataKey { id generation } } } }', {});
      expect(r).toEqual({ __typename: 'RotateDataKeyPayload', dataKey: { id: expect.any(String), generation: bBefore.length + 1 } });
      expect(await keysOf(a.id)).toEqual(aBefore);
      expect(await keysOf(b.id)).toEqual([...bBefore, [r.dataKey.id, bBefore.length + 1]]);
      expect(await reveal(t, a.token, A_NAME)).toBe(A_VALUE_2);
    });

    it('revokeApiKey of A’s key is NotFoundError, like an unknown id, and A’s key keeps working', async () => {
      const unknownId = '01900000-0000-7000-8000-00000000abcd';
      const aboutA = await t.graphql(b.token, REVOKE_API_KEY, { input: { id: aKey.id } });
      const aboutNobody = await t.graphql(b.token, REVOKE_API_KEY, { input: { id: unknownId } });
      expect(aboutA.body.data.r.__typename).toBe('NotFoundError');
      expect(normalized(aboutA.body, { [aKey.id]: '<ID>' })).toBe(normalized(aboutNobody.body, { [unknownId]: '<ID>' }));
      expect(await listNames(t, aKey.token, { namePrefix: 'iso_a' })).toEqual([A_NAME]);
    });
  });

  it('after all of B’s attempts, A’s secrets are exactly as A left them', async () => {
    const data = await query(
      t,
      a.token,
      `{ secret(name: "${A_NAME}") { version metadata description value versions { edges { node { version value } } } } }`,
    );
    expect(data.secret).toEqual({
      version: 2,
      metadata: { owner: 'tenant-a-only', n: 1 },
      description: null,
      value: A_VALUE_2,
      versions: { edges: [{ node: { version: 2, value: A_VALUE_2 } }, { node: { version: 1, value: A_VALUE_1 } }] },
    });
    expect(await listNames(t, a.token, { deleted: true })).toEqual([A_DELETED]);
    expect((await mutate(t, a.token, RESTORE_SECRET, { name: A_DELETED })).__typename).toBe('RestoreSecretPayload');
    expect(await reveal(t, a.token, A_DELETED)).toBe('a-deleted-private-value');
  });

  it('B’s audit trail holds only B’s events', async () => {
    const data = await query(t, b.token, '{ auditEvents(first: 500) { edges { node { action secretName actor } } } verifyAuditLog { ok checkedEvents } }');
    const events = data.auditEvents.edges.map((e: any) => e.node);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect([A_DELETED, 'iso_m1', 'iso_m2', 'iso_m3']).not.toContain(event.secretName);
      expect(event.actor).not.toBe(aKey.id);
    }
    expect(data.verifyAuditLog).toEqual({ ok: true, checkedEvents: events.length });
  });

  it('each developer has its own data keys', async () => {
    const keys = await t.app.db.selectFrom('data_keys').select(['developer_id', 'id']).execute();
    const ofA = keys.filter((k) => k.developer_id === a.id).map((k) => k.id);
    const ofB = keys.filter((k) => k.developer_id === b.id).map((k) => k.id);
    expect(ofA.length).toBeGreaterThan(0);
    expect(ofB.length).toBeGreaterThan(0);
    expect(ofA.filter((id) => ofB.includes(id))).toEqual([]);
  });

  it('covers every query and mutation of the schema', async () => {
    // A new operation must get an isolation test above before it is added here.
    const covered = {
      // validateTask/runTask: cross-tenant cases live in tasks.test.ts ("cannot use another developer's secrets").
      Query: ['me', 'node', 'secret', 'secretValue', 'secretVersion', 'secrets', 'auditEvents', 'verifyAuditLog', 'validateTask'],
      Mutation: [
        'createSecret',
        'updateSecret',
        'deleteSecret',
        'restoreSecret',
        'rollbackSecret',
        'destroySecretVersion',
        'createApiKey',
        'revokeApiKey',
        'createDeveloper',
        'rotateDataKey',
        'runTask',
      ],
    };
    const data = await query(t, b.token, '{ q: __type(name: "Query") { fields { name } } m: __type(name: "Mutation") { fields { name } } }');
    expect({
      Query: data.q.fields.map((f: any) => f.name).filter((n: string) => !covered.Query.includes(n)),
      Mutation: data.m.fields.map((f: any) => f.name).filter((n: string) => !covered.Mutation.includes(n)),
    }).toEqual({ Query: [], Mutation: [] });
  });

  it('wrote no secret value or token to the log', () => {
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  });
});
