/**
 * Property-based abuse: random bodies, documents and variables never produce a 500, never take
 * the server down, and an operation that is refused changes nothing.
 */
import fc from 'fast-check';
import { createApiKey, createSecret } from '../support/integration';
import { useDeveloper, useTestApp } from '../support/test-app';

const t = useTestApp('sqlite', { env: { LOCKSMITH_RATE_LIMIT_AUTH_FAILURES: '100000' } });
const dev = useDeveloper(t, 'props');
let writer: string;

beforeAll(async () => {
  writer = (await createApiKey(t, dev.token, { name: 'writer', scopes: ['secrets:read', 'secrets:write'] })).token;
  await createSecret(t, dev.token, { name: 'k', value: 'prop-value-1' });
});

async function send(path: string, body: string | Uint8Array, token?: string, contentType = 'application/json') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token) headers.authorization = `Bearer ${token}`;
  const { status, text } = await t.request(path, { method: 'POST', headers, body: body as BodyInit });
  return { status, text };
}

const state = async () => {
  const count = async (table: 'secret_versions' | 'api_keys' | 'secrets') =>
    Number((await t.app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const writes = await t.app.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('action', 'not in', ['auth.denied', 'secret.reveal'])
    .executeTakeFirstOrThrow();
  return { versions: await count('secret_versions'), keys: await count('api_keys'), secrets: await count('secrets'), writes: Number(writes.n) };
};

const alive = async () => expect((await t.request('/healthz')).status).toBe(200);

const body = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.json({ maxDepth: 4 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.record({ query: fc.string({ maxLength: 200 }), variables: fc.option(fc.jsonValue({ maxDepth: 3 })) }).map((r) => JSON.stringify(r)),
);

/** Random documents over the real schema's names: aliases, fragments, directives, nesting. */
const documents = fc.letrec((tie) => ({
  field: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('id', 'name', 'value', 'version', '__typename', 'metadata', 'nope'),
    fc.tuple(fc.constantFrom('secret(name: "k")', 'me', 'secrets(first: 3)', 'edges', 'node', 'versions', 'apiKeys'), tie('selection')).map(([f, s]) => `${f} ${s}`),
    fc.tuple(fc.constantFrom('... on Secret', '... on UpdateSecretPayload', '... on Error'), tie('selection')).map(([f, s]) => `${f} ${s}`),
  ),
  selection: fc
    .array(
      fc.tuple(fc.option(fc.constantFrom('a:', 'b:', 'c:'), { nil: undefined }), tie('field') as fc.Arbitrary<string>, fc.option(fc.constant('@include(if: true)'), { nil: undefined })),
      { minLength: 1, maxLength: 4 },
    )
    .map((items) => `{ ${items.map(([alias, f, d]) => [alias, f, d].filter(Boolean).join(' ')).join(' ')} }`),
  operation: fc.oneof(
    tie('selection').map((s) => `query ${s}`),
    fc.tuple(fc.constantFrom('updateSecret(input: { name: "k", value: "changed" })', 'rollbackSecret(input: { name: "k", version: 1 })', 'deleteSecret(input: { name: "k" })'), tie('selection'))
      .map(([m, s]) => `mutation { ${m} ${s} }`),
  ),
}));

describe('never a 500, never a crash', () => {
  it('random bodies without a token are always 401', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('/graphql', '/api/create-secret', '/api/secret'), async (b, path) => {
        const r = await send(path, b);
        expect(r.status).toBe(401);
      }),
      { numRuns: 60 },
    );
    await alive();
  });

  it('random bodies with a token get a typed answer, never a 500', async () => {
    const before = await state();
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('/graphql', '/api/create-secret', '/api/update-secret', '/api/secret'), async (b, path) => {
        const r = await send(path, b, writer);
        expect(r.status).toBeLessThan(500);
        expect(r.text).not.toMatch(/call stack|Invalid string length|Invalid global ID/);
      }),
      { numRuns: 80 },
    );
    await alive();
    // A writer key could create secrets from random bodies; at least it never revealed or broke anything.
    expect((await state()).keys).toBe(before.keys);
  });

  it('random documents: never a 500; refused ones change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(documents.operation, async (document) => {
        const before = await state();
        const response = await t.app.yoga.fetch('http://locksmith.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${writer}` },
          body: JSON.stringify({ query: document }),
        });
        expect(response.status).toBeLessThan(500);
        const result = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
        const refused = !result.data && (result.errors ?? []).length > 0;
        if (refused) expect(await state()).toEqual(before);
        expect(JSON.stringify(result)).not.toContain('prop-value');
      }),
      { numRuns: 120 },
    );
    await alive();
  });

  it('random variables for every mutation input: never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('CreateSecretInput', 'UpdateSecretInput', 'DeleteSecretInput', 'RollbackSecretInput', 'CreateApiKeyInput', 'RevokeApiKeyInput'),
        fc.jsonValue({ maxDepth: 3 }),
        async (type, input) => {
          const field = type.replace(/Input$/, '').replace(/^./, (c) => c.toLowerCase());
          const document = `mutation($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { code } } }`;
          const r = await send('/graphql', JSON.stringify({ query: document, variables: { input } }), writer);
          expect(r.status).toBeLessThan(500);
          expect(r.text).not.toContain('Unexpected error');
        },
      ),
      { numRuns: 80 },
    );
    await alive();
  });
});
