/**
 * Hardening: each attack an unauthenticated (or under-scoped) client can try, with the answer
 * it must get (status, typed code), proof that nothing changed, and that the server keeps
 * answering /healthz. Storage-dependent cases run on SQLite and MariaDB.
 */
import { randomBytes } from 'node:crypto';
import { DATABASE_KINDS } from '../support/databases';
import { createApiKey, createSecret, mutate, query, REVOKE_API_KEY, TestClock } from '../support/integration';
import { type TestApp, useDeveloper, useTestApp, withTestApp } from '../support/test-app';

/** Production refuses to generate a master key; these tests bring their own. */
const PRODUCTION = () => ({ NODE_ENV: 'production', LOCKSMITH_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}` });

const at = (address: string) => ({ req: { socket: { remoteAddress: address } } });

function post(t: TestApp, body: unknown, headers: Record<string, string> = {}, serverContext?: object) {
  // The GraphQL-over-HTTP media type: request errors then carry their HTTP status (with plain
  // application/json the spec keeps 200 for them).
  return t.request(
    '/graphql',
    { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) },
    serverContext,
  );
}

async function healthy(t: TestApp) {
  expect((await t.request('/healthz')).status).toBe(200);
}

const auditCount = async (t: TestApp, action?: string) => {
  let q = t.app.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (action) q = q.where('action', '=', action);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

describe('GraphQL limits (no storage involved)', () => {
  const t = useTestApp('sqlite', { env: { LOCKSMITH_MAX_REVEALS: '3' } });
  const dev = useDeveloper(t, 'limits');
  const auth = () => ({ authorization: `Bearer ${dev.token}` });

  it('an unauthenticated 8 MB query is answered 401 before it is parsed or cached', async () => {
    const huge = `{ x1 ${'a '.repeat(4 * 1024 * 1024)} }`;
    const r = await post(t, { query: huge });
    expect(r.status).toBe(401);
    expect(r.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    await healthy(t);
  });

  it('a 20,000-deep query: 401 unauthenticated, a typed token limit authenticated, never a stack overflow', async () => {
    const deep = `{ ${'me { '.repeat(20_000)}id${' }'.repeat(20_000)} }`;
    expect((await post(t, { query: deep })).status).toBe(401);
    const r = await post(t, { query: deep }, auth());
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'tokens', setting: 'LOCKSMITH_MAX_TOKENS' });
    expect(JSON.stringify(r.body)).not.toMatch(/call stack|Invalid string length/);
    await healthy(t);
  });

  it('depth, aliases, directives and cost each refuse with their own limit', async () => {
    const depth = await post(t, { query: `{ secrets { edges { node { versions { edges { node { version } } } } } } }`.replace('secrets {', 'secrets { pageInfo { hasNextPage } edges { node { name } } ') }, auth());
    expect(depth.body.errors).toBeUndefined(); // a normal nested query passes
    const tooDeep = await post(t, { query: `{ me { ${'... on Developer { '.repeat(0)}id } ${'__typename '.repeat(1)}}`.replace('me { id }', `me ${'{ apiKeys { id } '.repeat(1)}}`) }, auth());
    expect(tooDeep.status).not.toBe(500);
    const deepFragments = `query { me { ...A } } ${Array.from({ length: 14 }, (_, i) => `fragment ${String.fromCharCode(65 + i)} on Developer { id ${i < 13 ? `d${i}: apiKeys { id } ` : ''}}`).join(' ')}`;
    expect((await post(t, { query: deepFragments }, auth())).status).not.toBe(500);

    const aliases = await post(t, { query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }` }, auth());
    expect(aliases.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });

    const directives = await post(t, { query: `{ me { id ${'@include(if: true) '.repeat(25)} } }` }, auth());
    expect(directives.body.errors.map((e: any) => e.extensions.limit)).toContain('directives');

    const cost = await post(t, { query: `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: auditEvents(first: 500) { edges { node { seq action actor requestId at } } }`).join(' ')} }` }, auth());
    expect(cost.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    await healthy(t);
  });

  it('10,000 aliases of me { id } stop at the token limit without running', async () => {
    const r = await post(t, { query: `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: me { id }`).join(' ')} }` }, auth());
    expect(r.status).toBe(400);
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0].extensions.limit).toBe('tokens');
    expect(t.logs.join('').match(/unexpected error/g) ?? []).toHaveLength(0);
  });

  it('nested Relay ids and other non-domain errors are masked with a request id', async () => {
    const r = await post(t, { query: '{ node(id: "not-a-global-id-<script>") { id } }' }, auth());
    expect(r.status).not.toBe(500);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain('Invalid global ID');
    expect(text).not.toContain('<script>');
    if (r.body.errors?.[0]?.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      expect(r.body.errors[0].message).toBe('Unexpected error');
      expect(r.body.errors[0].extensions.requestId).toBe(r.headers.get('x-request-id'));
    }
  });

  it('a body over the size bound is refused with 413 before it is read', async () => {
    const response = await t.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024), ...auth() },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(response.status).toBe(413);
    expect(response.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'body', setting: 'LOCKSMITH_MAX_BODY_BYTES' });
  });
});

describe.each(DATABASE_KINDS)('attacks that touch storage on %s', (kind) => {
  const clock = new TestClock();
  const t = useTestApp(kind, { clock, env: { LOCKSMITH_MAX_REVEALS: '3' } });
  const dev = useDeveloper(t, 'storage');
  let writer: string;

  beforeAll(async () => {
    writer = (await createApiKey(t, dev.token, { name: 'writer', scopes: ['secrets:read', 'secrets:write'] })).token;
    for (const name of ['k', 'k2', 'k3', 'k4']) await createSecret(t, dev.token, { name, value: `${name}-value-1` });
    await mutate(t, dev.token, `mutation($input: UpdateSecretInput!) { r: updateSecret(input: $input) { __typename } }`, { name: 'k', value: 'k-value-2' });
  });

  const version = async (name: string) => (await query(t, dev.token, `query($n: String!) { secret(name: $n) { version } }`, { n: name })).secret.version;

  it('3,000 aliases of secret { value } are refused before any reveal, and nothing is audited', async () => {
    const before = await auditCount(t, 'secret.reveal');
    const r = await post(t, { query: `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: secret(name: "k") { value }`).join(' ')} }` }, { authorization: `Bearer ${dev.token}` });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions.code).toBe('LIMIT_EXCEEDED');
    expect(JSON.stringify(r.body)).not.toContain('k-value');
    expect(await auditCount(t, 'secret.reveal')).toBe(before);
    await healthy(t);
  });

  it('reveals per operation: named fields are counted statically, list rows at run time', async () => {
    const before = await auditCount(t, 'secret.reveal');
    const statically = await post(t, { query: `fragment V on Secret { value } { a: secret(name: "k") { ...V } b: secret(name: "k2") { ...V } c: secret(name: "k3") { ...V } d: secret(name: "k4") { ...V } }` }, { authorization: `Bearer ${dev.token}` });
    expect(statically.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'reveals', max: 3 });
    expect(await auditCount(t, 'secret.reveal')).toBe(before);
    const listed = await post(t, { query: '{ secrets(first: 10) { edges { node { name value } } } }' }, { authorization: `Bearer ${dev.token}` });
    expect(listed.body.errors.some((e: any) => e.extensions.limit === 'reveals')).toBe(true);
    expect(await auditCount(t, 'secret.reveal')).toBeLessThanOrEqual(before + 3);
  });

  it.each([
    ['updateSecret', `mutation { updateSecret(input: { name: "k", value: "stolen" }) { ... on UpdateSecretPayload { secret { version value } } } }`],
    ['rollbackSecret', `mutation { rollbackSecret(input: { name: "k", version: 1 }) { ... on RollbackSecretPayload { secret { version value } } } }`],
  ])('%s selecting secret { value } without secrets:reveal is refused and changes nothing', async (_name, document) => {
    const writes = async () => (await auditCount(t, 'secret.update')) + (await auditCount(t, 'secret.rollback'));
    const before = { version: await version('k'), writes: await writes(), denied: await auditCount(t, 'auth.denied') };
    const r = await post(t, { query: document }, { authorization: `Bearer ${writer}` });
    expect(r.status).toBe(403);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', deniedFields: ['Secret.value'] });
    expect(await version('k')).toBe(before.version);
    // No write happened; the refusal itself is audited.
    expect(await writes()).toBe(before.writes);
    expect(await auditCount(t, 'auth.denied')).toBe(before.denied + 1);
    const denied = await query(t, dev.token, '{ auditEvents(first: 1, filter: { actions: ["auth.denied"] }) { edges { node { detail } } } }');
    expect(denied.auditEvents.edges[0].node.detail.fields).toEqual(['Secret.value']);
  });

  it('a child key expires no later than its parent and is revoked with it (audited)', async () => {
    const parent = await createApiKey(t, dev.token, { name: 'parent', scopes: ['secrets:read', 'keys:manage'], expiresAt: clock.iso(60_000) });
    const child = await createApiKey(t, parent.token, { name: 'child', scopes: ['secrets:read'] });
    const keys = await query(t, dev.token, '{ me { apiKeys { id parentId expiresAt } } }');
    const childRow = keys.me.apiKeys.find((k: any) => k.id === child.id);
    const parentRow = keys.me.apiKeys.find((k: any) => k.id === parent.id);
    expect(childRow.parentId).toBe(parent.id);
    expect(childRow.expiresAt).toBe(parentRow.expiresAt);
    expect((await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${child.token}` })).status).toBe(200);
    clock.advance(61_000);
    expect((await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${child.token}` })).status).toBe(401);
  });

  it('revoking a key revokes its descendants, each revocation audited', async () => {
    const parent = await createApiKey(t, dev.token, { name: 'p', scopes: ['secrets:read', 'keys:manage'] });
    const child = await createApiKey(t, parent.token, { name: 'c', scopes: ['secrets:read', 'keys:manage'] });
    const grandchild = await createApiKey(t, child.token, { name: 'g', scopes: ['secrets:read'] });
    const before = await auditCount(t, 'apikey.revoke');
    expect((await mutate(t, dev.token, REVOKE_API_KEY, { id: parent.id })).__typename).toBe('RevokeApiKeyPayload');
    for (const token of [parent.token, child.token, grandchild.token]) {
      expect((await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${token}` })).status).toBe(401);
    }
    expect(await auditCount(t, 'apikey.revoke')).toBe(before + 3);
  });

  it("audit records carry the server's request id with the caller's beside it", async () => {
    const reveal = () => post(t, { query: '{ secret(name: "k2") { value } }' }, { authorization: `Bearer ${dev.token}`, 'x-request-id': 'same-id' });
    const [a, b] = [await reveal(), await reveal()];
    const events = await query(t, dev.token, '{ auditEvents(first: 2, filter: { actions: ["secret.reveal"], secretName: "k2" }) { edges { node { requestId callerRequestId } } } }');
    const nodes = events.auditEvents.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.callerRequestId)).toEqual(['same-id', 'same-id']);
    expect(new Set(nodes.map((n: any) => n.requestId))).toEqual(new Set([a.headers.get('x-request-id'), b.headers.get('x-request-id')]));
    expect(nodes[0].requestId).not.toBe(nodes[1].requestId);
  });
});

describe('rate limits', () => {
  it('failed authentications: a tight budget per address, then 429 with Retry-After; other addresses unaffected', async () => {
    await withTestApp('sqlite', { env: { LOCKSMITH_RATE_LIMIT_AUTH_FAILURES: '5' } }, async (t) => {
      const dev = await t.createDeveloper('rl');
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await post(t, { query: '{ me { id } }' }, { authorization: `Bearer lsk_guess${i}` }, at('10.0.0.7'))).status);
      expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const limited = await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${dev.token}` }, at('10.0.0.7'));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect((await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${dev.token}` }, at('10.0.0.8'))).status).toBe(200);
      await healthy(t);
    });
  });

  it('per API key; X-Forwarded-For names the client only with LOCKSMITH_TRUST_PROXY', async () => {
    await withTestApp('sqlite', { env: { LOCKSMITH_RATE_LIMIT_PER_KEY: '3', LOCKSMITH_RATE_LIMIT_AUTH_FAILURES: '2', LOCKSMITH_TRUST_PROXY: 'true' } }, async (t) => {
      const dev = await t.createDeveloper('rl2');
      const key = (await createApiKey(t, dev.token, { name: 'limited', scopes: ['secrets:read'] })).token;
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${key}` })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      // Behind a trusted proxy, the proxy-appended (right-most) entry is the client.
      for (let i = 0; i < 3; i++) await post(t, { query: '{ me { id } }' }, { authorization: 'Bearer lsk_x', 'x-forwarded-for': '1.1.1.1, 203.0.113.9' });
      expect((await post(t, { query: '{ me { id } }' }, { authorization: 'Bearer lsk_x', 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      expect((await post(t, { query: '{ me { id } }' }, { authorization: 'Bearer lsk_x', 'x-forwarded-for': '203.0.113.10' })).status).toBe(401);
    });
  });

  it('through Redis, two nodes share one budget', async () => {
    const prefix = `locksmith-test-${process.pid}-${Date.now()}`;
    const env = { LOCKSMITH_REDIS_URL: 'redis://127.0.0.1:6379', LOCKSMITH_REDIS_KEY_PREFIX: prefix, LOCKSMITH_RATE_LIMIT_AUTH_FAILURES: '4' };
    await withTestApp('sqlite', { env }, (a) =>
      withTestApp('sqlite', { env }, async (b) => {
        for (let i = 0; i < 4; i++) expect((await post(i % 2 ? a : b, { query: '{ me { id } }' }, { authorization: 'Bearer lsk_nope' }, at('192.0.2.1'))).status).toBe(401);
        expect((await post(a, { query: '{ me { id } }' }, { authorization: 'Bearer lsk_nope' }, at('192.0.2.1'))).status).toBe(429);
        expect((await post(b, { query: '{ me { id } }' }, { authorization: 'Bearer lsk_nope' }, at('192.0.2.1'))).status).toBe(429);
      }),
    );
  });
});

describe('REST statuses, exposure and ops endpoints', () => {
  const clock = new TestClock();
  const t = useTestApp('sqlite', { clock, env: { ...PRODUCTION(), LOCKSMITH_METRICS_TOKEN: 'metrics-token-0123456789' } });
  const dev = useDeveloper(t, 'rest');
  const rest = (path: string, init: { method?: string; body?: string; token?: string | null } = {}) =>
    t.request(path, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? dev.token}` }) },
      body: init.body,
    });

  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'expiring', value: 'expiring-value', expiresAt: clock.iso(1000) });
    clock.advance(2000);
  });

  it('SECRET_EXPIRED is 410, a malformed body 400 BAD_REQUEST, an absent value 404', async () => {
    const expired = await rest('/api/secret-value?name=expiring');
    expect(expired.status).toBe(410);
    expect(expired.body.errors[0].code).toBe('SECRET_EXPIRED');
    const malformed = await rest('/api/create-secret', { method: 'POST', body: '{"input": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('BAD_REQUEST');
    const wrongType = await rest('/api/create-secret', { method: 'POST', body: JSON.stringify({ input: { name: 5 } }) });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0].code).not.toBe('INTERNAL_SERVER_ERROR');
    // An unknown field and a missing `input` are the caller's mistakes too: 400 BAD_REQUEST, in the
    // same { errors: [{ code, message }] } shape, and nothing is created.
    const unknownField = await rest('/api/create-secret', {
      method: 'POST',
      body: JSON.stringify({ input: { name: 'rest_unknown_field', value: 'v-unknown-field', colour: 'blue' } }),
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors[0]).toEqual({ code: 'BAD_REQUEST', message: expect.stringContaining('colour') });
    const noInput = await rest('/api/create-secret', { method: 'POST', body: JSON.stringify({ name: 'rest_no_input', value: 'v-no-input' }) });
    expect(noInput.status).toBe(400);
    expect(noInput.body.errors[0]).toEqual({ code: 'BAD_REQUEST', message: expect.stringContaining('input') });
    for (const name of ['rest_unknown_field', 'rest_no_input']) expect((await rest(`/api/secret?name=${name}`)).status).toBe(404);
    const absent = await rest('/api/secret-value?name=nope');
    expect(absent.status).toBe(404);
    expect(absent.body.errors[0].code).toBe('NOT_FOUND');
  });

  it('/api/docs is not served; /api/openapi.json needs a token', async () => {
    expect((await rest('/api/docs')).status).toBe(404);
    expect((await rest('/api/openapi.json', { token: null })).status).toBe(401);
  });

  it('/metrics needs its token when LOCKSMITH_METRICS_TOKEN is set', async () => {
    const get = (authorization?: string) => t.request('/metrics', { headers: authorization ? { authorization } : {} });
    expect((await get()).status).toBe(401);
    expect((await get(`Bearer ${dev.token}`)).status).toBe(401);
    expect((await get('Bearer metrics-token-0123456789')).status).toBe(200);
  });

  it('production: no introspection, no field suggestions (unless LOCKSMITH_INTROSPECTION=true)', async () => {
    const introspect = await post(t, { query: '{ __schema { types { name } } }' }, { authorization: `Bearer ${dev.token}` });
    expect(introspect.body.data).toBeUndefined();
    expect(JSON.stringify(introspect.body)).not.toContain('SecretConnection');
    const typo = await post(t, { query: '{ secrt(name: "x") { name } }' }, { authorization: `Bearer ${dev.token}` });
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);

    await withTestApp('sqlite', { env: { ...PRODUCTION(), LOCKSMITH_INTROSPECTION: 'true' } }, async (open) => {
      const key = (await open.createDeveloper('intro')).token;
      const r = await post(open, { query: '{ __schema { queryType { name } } }' }, { authorization: `Bearer ${key}` });
      expect(r.body.data.__schema.queryType.name).toBe('Query');
    });
  });

  it('verifyAuditLog may appear once per operation', async () => {
    const r = await post(t, { query: '{ a: verifyAuditLog { ok } b: verifyAuditLog { ok } }' }, { authorization: `Bearer ${dev.token}` });
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'fullScans' });
  });

  it('/readyz checks the key provider at most once per cache period', async () => {
    const spy = jest.spyOn(t.app.providers, 'checkHealth');
    const statuses = await Promise.all(Array.from({ length: 50 }, async () => (await t.request('/readyz')).status));
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
    spy.mockRestore();
  });
});

describe('development GraphiQL', () => {
  const t = useTestApp('sqlite', { env: { NODE_ENV: 'development', LOCKSMITH_GRAPHIQL: 'true' }, graphiqlHeaders: () => ({ Authorization: 'Bearer lsk_dev-key-for-graphiql' }) });
  const page = async (host: string) =>
    (await t.app.yoga.fetch(`http://${host}/graphql`, { headers: { accept: 'text/html', host } })).text();

  it('embeds the key only for a loopback Host on a loopback listener', async () => {
    expect(await page('localhost:4000')).toContain('lsk_dev-key-for-graphiql');
    expect(await page('127.0.0.1:4000')).toContain('lsk_dev-key-for-graphiql');
    const rebound = await page('attacker.example');
    expect(rebound).not.toContain('lsk_dev-key-for-graphiql');
    expect(rebound).toContain('locksmith');
  });
});
