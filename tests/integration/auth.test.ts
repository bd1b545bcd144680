/**
 * Authentication and authorization over HTTP (docs/api.md, Endpoints and authentication, Scopes): 401 for every kind of bad
 * bearer token, scopes enforced per field and per mutation, the admin token limited to
 * developer management, and every error type as a typed union member with code and message.
 */
import { DATABASE_KINDS } from '../support/databases';
import {
  CREATE_API_KEY,
  CREATE_DEVELOPER,
  CREATE_SECRET,
  createApiKey,
  createSecret,
  DELETE_SECRET,
  leaksIn,
  listNames,
  mutate,
  RESTORE_SECRET,
  REVOKE_API_KEY,
  useRecordedApp,
  TestClock,
  UPDATE_SECRET,
} from '../support/integration';
import { useDeveloper } from '../support/test-app';

describe.each(DATABASE_KINDS)('auth on %s', (kind) => {
  const clock = new TestClock();
  const t = useRecordedApp(kind, { clock });
  const dev = useDeveloper(t, 'auth dev');

  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'auth_secret', value: 'auth-secret-value-1' });
  });

  /** POST /graphql with an arbitrary Authorization header (or none). */
  async function raw(authorization: string | undefined, queryText: string, variables?: Record<string, unknown>) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    const response = await t.app.yoga.fetch('http://locksmith.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: queryText, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }

  function expect401(r: { status: number; headers: Headers; body: any }) {
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  }

  describe('unauthenticated requests get HTTP 401', () => {
    const READ = '{ secret(name: "auth_secret") { name value } }';

    it.each([
      ['no Authorization header', undefined],
      ['an empty bearer', 'Bearer '],
      ['a garbage token', 'Bearer not-a-token'],
      ['an unknown lsk_ token', 'Bearer lsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['a non-Bearer scheme', 'Basic dXNlcjpwYXNz'],
      ['a token of 10 kB', `Bearer lsk_${'a'.repeat(10_000)}`],
    ])('%s', async (_label, authorization) => {
      const r = await raw(authorization, READ);
      expect401(r);
      expect(JSON.stringify(r.body)).not.toContain('auth-secret-value-1');
    });

    it('an API key whose bearer token is sent with a different case or extra characters', async () => {
      expect401(await raw(`Bearer ${dev.token}x`, READ));
      expect401(await raw(`Bearer ${dev.token.toUpperCase()}`, READ));
      expect((await raw(`Bearer ${dev.token}`, READ)).status).toBe(200);
    });

    it('mutations too, even with invalid input, and nothing is written', async () => {
      expect401(await raw(undefined, CREATE_SECRET, { input: { name: 'unauth_secret', value: 'unauth-secret-value' } }));
      // Bad input must not be judged (and echoed) before the caller is known.
      expect401(await raw(undefined, CREATE_SECRET, { input: { name: '1 bad name', value: '' } }));
      expect401(await raw('Bearer nope', DELETE_SECRET, { input: { name: 'auth_secret', force: true } }));
      expect(await listNames(t, dev.token)).toEqual(['auth_secret']);
    });

    it('revoked and expired keys get exactly the response of an unknown token', async () => {
      const revoked = await createApiKey(t, dev.token, { name: 'to revoke', scopes: ['secrets:read'] });
      const expiring = await createApiKey(t, dev.token, { name: 'to expire', scopes: ['secrets:read'], expiresAt: clock.iso(60_000) });
      const READ_NAME = '{ secret(name: "auth_secret") { name } }';
      expect((await raw(`Bearer ${revoked.token}`, READ_NAME)).status).toBe(200);
      expect((await raw(`Bearer ${expiring.token}`, READ_NAME)).status).toBe(200);
      expect((await mutate(t, dev.token, REVOKE_API_KEY, { id: revoked.id })).__typename).toBe('RevokeApiKeyPayload');
      clock.advance(60_000);
      const responses = await Promise.all(
        [revoked.token, expiring.token, 'lsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'].map((token) => raw(`Bearer ${token}`, READ)),
      );
      for (const r of responses) expect401(r);
      expect(responses[0]!.body).toEqual(responses[2]!.body);
      expect(responses[1]!.body).toEqual(responses[2]!.body);
    });
  });

  describe('scopes', () => {
    const keys: Record<string, string> = {};
    beforeAll(async () => {
      for (const scope of ['secrets:read', 'secrets:reveal', 'secrets:write', 'keys:manage', 'tasks:run']) {
        keys[scope] = (await createApiKey(t, dev.token, { name: `only ${scope}`, scopes: [scope] })).token;
      }
      keys['read+reveal'] = (await createApiKey(t, dev.token, { name: 'read and reveal', scopes: ['secrets:read', 'secrets:reveal'] })).token;
    });

    function expectForbiddenTopLevel(body: any) {
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(typeof body.errors[0].message).toBe('string');
    }

    it('secrets:read lists names and metadata; an operation selecting `value` is refused as a whole', async () => {
      const key = keys['secrets:read']!;
      expect(await listNames(t, key)).toEqual(['auth_secret']);
      const { status, body } = await t.graphql(key, '{ secret(name: "auth_secret") { name value } }');
      expect(status).toBe(403);
      expectForbiddenTopLevel(body);
      expect(body.errors[0].extensions.deniedFields).toEqual(['Secret.value']);
      expect(body.data).toBeUndefined();
      expect(JSON.stringify(body)).not.toContain('auth-secret-value-1');
      const version = await t.graphql(key, '{ secretVersion(name: "auth_secret", version: 1) { version value } }');
      expectForbiddenTopLevel(version.body);
      expect(JSON.stringify(version.body)).not.toContain('auth-secret-value-1');
      const valueOnly = await t.graphql(key, '{ secretValue(name: "auth_secret") }');
      expectForbiddenTopLevel(valueOnly.body);
      expect(JSON.stringify(valueOnly.body)).not.toContain('auth-secret-value-1');
      const listed = await t.graphql(key, '{ secrets { edges { node { name value } } } }');
      expect(listed.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(JSON.stringify(listed.body)).not.toContain('auth-secret-value-1');
    });

    it('secrets:read + secrets:reveal reads values', async () => {
      const r = await t.graphql(keys['read+reveal']!, '{ secret(name: "auth_secret") { value } }');
      expect(r.body).toEqual({ data: { secret: { value: 'auth-secret-value-1' } } });
    });

    it('without secrets:read nothing is listed or read', async () => {
      for (const scope of ['secrets:reveal', 'secrets:write', 'keys:manage', 'tasks:run']) {
        for (const q of ['{ secret(name: "auth_secret") { name } }', '{ secrets { edges { node { name } } } }']) {
          const { body } = await t.graphql(keys[scope]!, q);
          expectForbiddenTopLevel(body);
          // `secret` is nullable, `secrets` is not (so its null bubbles up to data).
          expect([null, { secret: null }]).toContainEqual(body.data);
        }
      }
    });

    it('every secret mutation without secrets:write is a ForbiddenError member and changes nothing', async () => {
      for (const scope of ['secrets:read', 'secrets:reveal', 'keys:manage', 'read+reveal']) {
        const key = keys[scope]!;
        const results = [
          await mutate(t, key, CREATE_SECRET, { name: 'forbidden_new', value: 'forbidden-new-value' }),
          await mutate(t, key, UPDATE_SECRET, { name: 'auth_secret', value: 'forbidden-update-value' }),
          await mutate(t, key, DELETE_SECRET, { name: 'auth_secret', force: true }),
          await mutate(t, key, RESTORE_SECRET, { name: 'auth_secret' }),
        ];
        for (const r of results) expect(r).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: expect.any(String) });
      }
      expect(await listNames(t, dev.token)).toEqual(['auth_secret']);
      const check = await t.graphql(dev.token, '{ secret(name: "auth_secret") { version value } }');
      expect(check.body.data.secret).toEqual({ version: 1, value: 'auth-secret-value-1' });
    });

    it('secrets:write alone can write', async () => {
      const key = keys['secrets:write']!;
      const created = await mutate(t, key, CREATE_SECRET, { name: 'write_only', value: 'write-only-value' });
      expect(created.__typename).toBe('CreateSecretPayload');
      expect((await mutate(t, key, UPDATE_SECRET, { name: 'write_only', value: 'write-only-value-2' })).__typename).toBe('UpdateSecretPayload');
      expect((await mutate(t, key, DELETE_SECRET, { name: 'write_only', force: true })).__typename).toBe('DeleteSecretPayload');
    });

    it('API key management needs keys:manage', async () => {
      for (const scope of ['secrets:read', 'secrets:write', 'read+reveal']) {
        expect(await mutate(t, keys[scope]!, CREATE_API_KEY, { name: 'nope', scopes: ['secrets:read'] })).toMatchObject({
          __typename: 'ForbiddenError',
          code: 'FORBIDDEN',
        });
        expect(await mutate(t, keys[scope]!, REVOKE_API_KEY, { id: 'whatever' })).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
        expectForbiddenTopLevel((await t.graphql(keys[scope]!, '{ me { apiKeys { id } } }')).body);
      }
      const managed = await mutate(t, keys['keys:manage']!, CREATE_API_KEY, { name: 'managed', scopes: ['keys:manage'] });
      expect(managed.__typename).toBe('CreateApiKeyPayload');
    });

    it('me works with any scope', async () => {
      for (const key of Object.values(keys)) {
        expect((await t.graphql(key, '{ me { id } }')).body).toEqual({ data: { me: { id: dev.id } } });
      }
    });
  });

  describe('the admin token manages developers only', () => {
    it('queries are FORBIDDEN and return no data', async () => {
      const created = await t.graphql(dev.token, '{ secret(name: "auth_secret") { id } }');
      const globalId = created.body.data.secret.id;
      for (const [q, variables] of [
        ['{ me { id } }', undefined],
        ['{ secret(name: "auth_secret") { name value } }', undefined],
        ['{ secrets { edges { node { name } } } }', undefined],
        ['{ secretVersion(name: "auth_secret", version: 1) { value } }', undefined],
        ['{ secretValue(name: "auth_secret") }', undefined],
        ['query($id: ID!) { node(id: $id) { id ... on Secret { value } } }', { id: globalId }],
      ] as const) {
        const { status, body } = await t.graphql(t.adminToken, q, variables);
        expect(status).toBe(200);
        expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(JSON.stringify(body)).not.toContain('auth-secret-value-1');
      }
    });

    it('every secret and API key mutation is a ForbiddenError member', async () => {
      const results = [
        await mutate(t, t.adminToken, CREATE_SECRET, { name: 'admin_secret', value: 'admin-secret-value' }),
        await mutate(t, t.adminToken, UPDATE_SECRET, { name: 'auth_secret', value: 'admin-update-value' }),
        await mutate(t, t.adminToken, DELETE_SECRET, { name: 'auth_secret', force: true }),
        await mutate(t, t.adminToken, RESTORE_SECRET, { name: 'auth_secret' }),
        await mutate(t, t.adminToken, CREATE_API_KEY, { name: 'admin key' }),
        await mutate(t, t.adminToken, REVOKE_API_KEY, { id: 'whatever' }),
      ];
      for (const r of results) expect(r).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: expect.any(String) });
      expect(await listNames(t, dev.token)).toEqual(['auth_secret']);
    });

    it('createDeveloper works with it and only with it', async () => {
      expect((await mutate(t, t.adminToken, CREATE_DEVELOPER, { name: 'made by admin' })).__typename).toBe('CreateDeveloperPayload');
      expect((await mutate(t, dev.token, CREATE_DEVELOPER, { name: 'made by key' })).__typename).toBe('ForbiddenError');
      expect401(await raw(undefined, CREATE_DEVELOPER, { input: { name: 'made by nobody' } }));
      expect401(await raw(`Bearer ${t.adminToken}x`, CREATE_DEVELOPER, { input: { name: 'made by near-admin' } }));
    });
  });

  describe('error types', () => {
    it('each error is a typed union member implementing Error { code message }', async () => {
      const cases: Array<[string, Promise<any>, Record<string, unknown>]> = [
        [
          'ValidationError',
          mutate(t, dev.token, CREATE_SECRET, { name: 'bad-name', value: 'validation-case-value' }),
          { code: 'VALIDATION_FAILED', field: 'name' },
        ],
        ['NotFoundError', mutate(t, dev.token, UPDATE_SECRET, { name: 'no_such', value: 'not-found-case-value' }), { code: 'NOT_FOUND' }],
        ['NameTakenError', mutate(t, dev.token, CREATE_SECRET, { name: 'auth_secret', value: 'name-taken-case-value' }), { code: 'NAME_TAKEN', name: 'auth_secret' }],
        [
          'VersionConflictError',
          mutate(t, dev.token, UPDATE_SECRET, { name: 'auth_secret', value: 'conflict-case-value', expectedVersion: 7 }),
          { code: 'VERSION_CONFLICT', expectedVersion: 7, currentVersion: 1 },
        ],
        ['ForbiddenError', mutate(t, t.adminToken, CREATE_SECRET, { name: 'forbidden_case', value: 'forbidden-case-value' }), { code: 'FORBIDDEN' }],
      ];
      for (const [typename, pending, fields] of cases) {
        const r = await pending;
        expect(r).toEqual({ __typename: typename, message: expect.any(String), ...fields });
        expect(r.message.length).toBeGreaterThan(0);
        expect(r.message).not.toMatch(/case-value/);
      }
      const check = await t.graphql(dev.token, '{ secret(name: "auth_secret") { version value } }');
      expect(check.body.data.secret).toEqual({ version: 1, value: 'auth-secret-value-1' });
    });

    it('query errors carry extensions.code (and the field for validation)', async () => {
      const { body } = await t.graphql(dev.token, '{ secret(name: "1bad") { name } }');
      expect(body.data).toEqual({ secret: null });
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions).toEqual({ code: 'VALIDATION_FAILED', field: 'name' });
    });
  });

  it('wrote no secret value or token to the log', () => {
    expect(t.sensitive.size).toBeGreaterThan(10);
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  });
});
