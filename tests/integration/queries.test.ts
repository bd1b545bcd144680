/**
 * Every query of docs/api.md over HTTP: me, secret, secrets (Relay pagination, filters),
 * Secret.versions, secretVersion and node, on SQLite and MariaDB.
 */
import { DATABASE_KINDS } from '../support/databases';
import {
  ALL_SCOPES,
  createSecret,
  DELETE_SECRET,
  leaksIn,
  listNames,
  mutate,
  query,
  useRecordedApp,
  TestClock,
  unknownGlobalIdLike,
  updateSecret,
} from '../support/integration';
import { useDeveloper } from '../support/test-app';

describe.each(DATABASE_KINDS)('queries on %s', (kind) => {
  const clock = new TestClock();
  const t = useRecordedApp(kind, { clock });
  const dev = useDeveloper(t, 'queries dev');

  it('me returns the calling developer and its API keys', async () => {
    const data = await query(t, dev.token, '{ me { id name createdAt apiKeys { name scopes revokedAt } } }');
    expect(data.me).toEqual({
      id: dev.id,
      name: 'queries dev',
      createdAt: clock.iso(),
      apiKeys: [{ name: 'default', scopes: expect.any(Array), revokedAt: null }],
    });
    expect([...data.me.apiKeys[0].scopes].sort()).toEqual([...ALL_SCOPES].sort());
  });

  it('secret(name) returns the live secret with all its fields, and null for an absent name', async () => {
    const created = await createSecret(t, dev.token, {
      name: 'q_single',
      value: 'q-single-value-1',
      description: 'one secret',
      metadata: { env: 'prod', n: 3, on: true },
    });
    const data = await query(
      t,
      dev.token,
      `{ secret(name: "q_single") { id name description metadata version createdAt updatedAt deletedAt purgeAt value } }`,
    );
    expect(data.secret).toEqual({
      id: created.id,
      name: 'q_single',
      description: 'one secret',
      metadata: { env: 'prod', n: 3, on: true },
      version: 1,
      createdAt: clock.iso(),
      updatedAt: clock.iso(),
      deletedAt: null,
      purgeAt: null,
      value: 'q-single-value-1',
    });
    expect(await query(t, dev.token, '{ secret(name: "q_absent") { id } }')).toEqual({ secret: null });
  });

  it('node(id) returns the secret by its global id', async () => {
    const created = await createSecret(t, dev.token, { name: 'q_node', value: 'q-node-value-1' });
    const data = await query(t, dev.token, 'query($id: ID!) { node(id: $id) { __typename id ... on Secret { name version value } } }', {
      id: created.id,
    });
    expect(data.node).toEqual({ __typename: 'Secret', id: created.id, name: 'q_node', version: 1, value: 'q-node-value-1' });
    const none = await query(t, dev.token, 'query($id: ID!) { node(id: $id) { id } }', { id: unknownGlobalIdLike(created.id) });
    expect(none).toEqual({ node: null });
  });

  describe('secrets: Relay pagination', () => {
    const names = ['pg_a', 'pg_b', 'pg_c', 'pg_d', 'pg_e', 'pg_f', 'pg_g'];
    beforeAll(async () => {
      // Created out of order: the listing order must not be insertion order.
      for (const name of ['pg_d', 'pg_a', 'pg_g', 'pg_c', 'pg_f', 'pg_b', 'pg_e']) {
        await createSecret(t, dev.token, { name, value: `value-of-${name}`, metadata: { group: 'pg' } });
      }
    });

    const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
      secrets(first: $first, after: $after, last: $last, before: $before, filter: { namePrefix: "pg_" }) {
        edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

    it('walks forwards with first/after over several pages, ordered by name, without gaps or repeats', async () => {
      const pages: string[][] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const { secrets }: any = await query(t, dev.token, PAGE, { first: 3, after });
        const edgeNames = secrets.edges.map((e: any) => e.node.name);
        pages.push(edgeNames);
        expect(secrets.pageInfo.startCursor).toBe(secrets.edges[0]?.cursor ?? null);
        expect(secrets.pageInfo.endCursor).toBe(secrets.edges.at(-1)?.cursor ?? null);
        if (i === 0) expect(secrets.pageInfo.hasPreviousPage).toBe(false);
        if (!secrets.pageInfo.hasNextPage) break;
        after = secrets.pageInfo.endCursor;
      }
      expect(pages).toEqual([
        ['pg_a', 'pg_b', 'pg_c'],
        ['pg_d', 'pg_e', 'pg_f'],
        ['pg_g'],
      ]);
    });

    it('a page that ends exactly at the last item says there is no next page', async () => {
      const first = await query(t, dev.token, PAGE, { first: 4 });
      const second = await query(t, dev.token, PAGE, { first: 3, after: first.secrets.pageInfo.endCursor });
      expect(second.secrets.edges.map((e: any) => e.node.name)).toEqual(['pg_e', 'pg_f', 'pg_g']);
      expect(second.secrets.pageInfo.hasNextPage).toBe(false);
      expect((await query(t, dev.token, PAGE, { first: 7 })).secrets.pageInfo.hasNextPage).toBe(false);
      expect((await query(t, dev.token, PAGE, { first: 6 })).secrets.pageInfo.hasNextPage).toBe(true);
    });

    it('walks backwards with last/before', async () => {
      const last = await query(t, dev.token, PAGE, { last: 3 });
      expect(last.secrets.edges.map((e: any) => e.node.name)).toEqual(['pg_e', 'pg_f', 'pg_g']);
      expect(last.secrets.pageInfo.hasPreviousPage).toBe(true);
      const before = await query(t, dev.token, PAGE, { last: 3, before: last.secrets.pageInfo.startCursor });
      expect(before.secrets.edges.map((e: any) => e.node.name)).toEqual(['pg_b', 'pg_c', 'pg_d']);
      const start = await query(t, dev.token, PAGE, { last: 3, before: before.secrets.pageInfo.startCursor });
      expect(start.secrets.edges.map((e: any) => e.node.name)).toEqual(['pg_a']);
      expect(start.secrets.pageInfo.hasPreviousPage).toBe(false);
    });

    it('a cursor stays valid while secrets are added and deleted around it', async () => {
      const first = await query(t, dev.token, PAGE, { first: 2 });
      expect(first.secrets.edges.map((e: any) => e.node.name)).toEqual(['pg_a', 'pg_b']);
      await createSecret(t, dev.token, { name: 'pg_aa', value: 'value-of-pg_aa' }); // sorts before the cursor
      await createSecret(t, dev.token, { name: 'pg_bb', value: 'value-of-pg_bb' }); // after it
      expect((await mutate(t, dev.token, DELETE_SECRET, { name: 'pg_c', force: true })).__typename).toBe('DeleteSecretPayload');
      const next = await query(t, dev.token, PAGE, { first: 3, after: first.secrets.pageInfo.endCursor });
      expect(next.secrets.edges.map((e: any) => e.node.name)).toEqual(['pg_bb', 'pg_d', 'pg_e']);
      // Put the fixture back for the other tests.
      await mutate(t, dev.token, DELETE_SECRET, { name: 'pg_aa', force: true });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'pg_bb', force: true });
      await createSecret(t, dev.token, { name: 'pg_c', value: 'value-of-pg_c', metadata: { group: 'pg' } });
    });

    it('without page arguments returns the first page (all 7 here); bad page arguments are validation errors', async () => {
      const all = await query(t, dev.token, '{ secrets(filter: { namePrefix: "pg_" }) { edges { node { name } } pageInfo { hasNextPage } } }');
      expect(all.secrets.edges.map((e: any) => e.node.name)).toEqual(names);
      expect(all.secrets.pageInfo.hasNextPage).toBe(false);
      for (const variables of [{ first: -1 }, { first: 100000 }, { after: 'not-a-cursor' }, { last: -1 }]) {
        const { status, body } = await t.graphql(dev.token, PAGE, variables);
        expect(status).toBe(200);
        expect(body.data).toBeNull();
        expect(body.errors).toHaveLength(1);
        expect(body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('secrets: filters', () => {
    beforeAll(async () => {
      await createSecret(t, dev.token, { name: 'f_one', value: 'f-one-value', metadata: { env: 'prod', tier: 1, active: true } });
      await createSecret(t, dev.token, { name: 'f_two', value: 'f-two-value', metadata: { env: 'prod', tier: '1', active: false } });
      await createSecret(t, dev.token, { name: 'f_three', value: 'f-three-value', metadata: { env: 'dev', tier: 1, active: true } });
      await createSecret(t, dev.token, { name: 'f_four', value: 'f-four-value' });
      await createSecret(t, dev.token, { name: 'F_upper', value: 'f-upper-value', metadata: { env: 'prod' } });
    });

    it('metadata filter matches every given key with exactly the given typed value', async () => {
      const f = (metadata: Record<string, unknown>) => listNames(t, dev.token, { namePrefix: 'f_', metadata });
      expect(await f({ env: 'prod' })).toEqual(['f_one', 'f_two']);
      expect(await f({ env: 'prod', tier: 1 })).toEqual(['f_one']);
      expect(await f({ env: 'prod', tier: 1, active: true })).toEqual(['f_one']);
      expect(await f({ env: 'prod', tier: 1, active: false })).toEqual([]);
      // Typed equality: "1" is not 1, "true" is not true.
      expect(await f({ tier: 1 })).toEqual(['f_one', 'f_three']);
      expect(await f({ tier: '1' })).toEqual(['f_two']);
      expect(await f({ tier: true })).toEqual([]);
      expect(await f({ active: true })).toEqual(['f_one', 'f_three']);
      expect(await f({ active: 'true' })).toEqual([]);
      expect(await f({ active: 1 })).toEqual([]);
      expect(await f({ env: 'PROD' })).toEqual([]);
      expect(await f({ nope: 'x' })).toEqual([]);
      expect(await f({})).toEqual(['f_four', 'f_one', 'f_three', 'f_two']);
      expect(await listNames(t, dev.token, { metadata: { env: 'prod' } })).toEqual(['F_upper', 'f_one', 'f_two', 'q_single']);
    });

    it('the metadata filter follows updates and ignores deleted secrets', async () => {
      await updateSecret(t, dev.token, { name: 'f_one', metadata: { env: 'staging', tier: 1 } });
      expect(await listNames(t, dev.token, { namePrefix: 'f_', metadata: { env: 'prod' } })).toEqual(['f_two']);
      expect(await listNames(t, dev.token, { namePrefix: 'f_', metadata: { env: 'staging' } })).toEqual(['f_one']);
      expect(await listNames(t, dev.token, { namePrefix: 'f_', metadata: { active: true } })).toEqual(['f_three']);
      await mutate(t, dev.token, DELETE_SECRET, { name: 'f_two' });
      expect(await listNames(t, dev.token, { namePrefix: 'f_', metadata: { env: 'prod' } })).toEqual([]);
      expect(await listNames(t, dev.token, { namePrefix: 'f_', metadata: { env: 'prod' }, deleted: true })).toEqual(['f_two']);
    });

    it('a nested or non-object metadata filter is a validation error', async () => {
      for (const metadata of [{ a: { b: 1 } }, { a: [1] }, { a: null }, [1, 2], 'env=prod']) {
        const { body } = await t.graphql(dev.token, 'query($m: JSON) { secrets(filter: { metadata: $m }) { edges { node { name } } } }', {
          m: metadata,
        });
        expect(body.data).toBeNull();
        expect(body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('namePrefix is a literal, case-sensitive prefix', async () => {
      await createSecret(t, dev.token, { name: 'db_password', value: 'db-password-v' });
      await createSecret(t, dev.token, { name: 'db_user', value: 'db-user-value' });
      await createSecret(t, dev.token, { name: 'dbx', value: 'dbx-value-01' });
      await createSecret(t, dev.token, { name: 'DB_admin', value: 'db-admin-value' });
      expect(await listNames(t, dev.token, { namePrefix: 'db_' })).toEqual(['db_password', 'db_user']);
      expect(await listNames(t, dev.token, { namePrefix: 'db' })).toEqual(['db_password', 'db_user', 'dbx']);
      expect(await listNames(t, dev.token, { namePrefix: 'DB' })).toEqual(['DB_admin']);
      expect(await listNames(t, dev.token, { namePrefix: 'db_user' })).toEqual(['db_user']);
      // LIKE wildcards have no meaning.
      expect(await listNames(t, dev.token, { namePrefix: 'd%' })).toEqual([]);
      expect(await listNames(t, dev.token, { namePrefix: 'd_' })).toEqual([]);
      expect(await listNames(t, dev.token, { namePrefix: 'zz' })).toEqual([]);
    });

    it('deleted: true lists only deleted secrets, with their deletion and purge times', async () => {
      await createSecret(t, dev.token, { name: 'del_list_a', value: 'del-list-a-value' });
      await createSecret(t, dev.token, { name: 'del_list_b', value: 'del-list-b-value' });
      const deletedAt = clock.iso();
      await mutate(t, dev.token, DELETE_SECRET, { name: 'del_list_a' });
      expect(await listNames(t, dev.token, { namePrefix: 'del_list_' })).toEqual(['del_list_b']);
      const data = await query(
        t,
        dev.token,
        '{ secrets(filter: { deleted: true, namePrefix: "del_list_" }) { edges { node { name deletedAt purgeAt version } } } }',
      );
      expect(data.secrets.edges).toEqual([
        { node: { name: 'del_list_a', deletedAt, purgeAt: clock.iso(7 * 24 * 3600 * 1000), version: 1 } },
      ]);
      expect(await listNames(t, dev.token, { namePrefix: 'del_list_', deleted: false })).toEqual(['del_list_b']);
    });
  });

  describe('versions', () => {
    beforeAll(async () => {
      await createSecret(t, dev.token, { name: 'hist', value: 'hist-value-v1' });
      for (let v = 2; v <= 5; v++) {
        clock.advance(1000);
        await updateSecret(t, dev.token, { name: 'hist', value: `hist-value-v${v}` });
      }
    });

    it('Secret.versions pages newest first with values', async () => {
      const PAGE = `query($after: String) { secret(name: "hist") { version versions(first: 2, after: $after) {
        edges { node { version value createdAt } } pageInfo { hasNextPage endCursor } } } }`;
      const seen: Array<{ version: number; value: string }> = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const data: any = await query(t, dev.token, PAGE, { after });
        expect(data.secret.version).toBe(5);
        pages++;
        for (const e of data.secret.versions.edges) seen.push({ version: e.node.version, value: e.node.value });
        if (!data.secret.versions.pageInfo.hasNextPage) break;
        after = data.secret.versions.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([5, 4, 3, 2, 1].map((v) => ({ version: v, value: `hist-value-v${v}` })));
    });

    it('secretVersion(name, version) returns that version and its value; null for unknown versions', async () => {
      for (const v of [1, 3, 5]) {
        const data = await query(t, dev.token, 'query($v: Int!) { secretVersion(name: "hist", version: $v) { version value } }', { v });
        expect(data.secretVersion).toEqual({ version: v, value: `hist-value-v${v}` });
      }
      for (const v of [0, 6, -1]) {
        expect(await query(t, dev.token, 'query($v: Int!) { secretVersion(name: "hist", version: $v) { version } }', { v })).toEqual({
          secretVersion: null,
        });
      }
      expect(await query(t, dev.token, '{ secretVersion(name: "no_such_secret", version: 1) { version } }')).toEqual({ secretVersion: null });
    });

    it('secretVersion of a deleted secret is null', async () => {
      await createSecret(t, dev.token, { name: 'hist_deleted', value: 'hist-deleted-v1' });
      await mutate(t, dev.token, DELETE_SECRET, { name: 'hist_deleted' });
      expect(await query(t, dev.token, '{ secretVersion(name: "hist_deleted", version: 1) { version } }')).toEqual({ secretVersion: null });
    });
  });

  it('wrote no secret value or token to the log', () => {
    expect(t.sensitive.size).toBeGreaterThan(20);
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  });
});
