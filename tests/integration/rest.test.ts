import SwaggerParser from '@apidevtools/swagger-parser';
import { DATABASE_KINDS } from '../support/databases';
import { useDeveloper, useTestApp } from '../support/test-app';

describe.each(DATABASE_KINDS)('REST /api on %s', (kind) => {
  const t = useTestApp(kind);
  const dev = useDeveloper(t);
  const call = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
    t.app.yoga.fetch(`http://locksmith.test${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? dev.token}` }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  it('serves an OpenAPI 3 document describing the operations', async () => {
    const response = await call('/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, unknown>>;
      components?: unknown;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.servers).toEqual([{ url: '/api' }]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/secret', '/secrets', '/secret-value', '/create-secret', '/update-secret', '/delete-secret']),
    );
    expect(doc.paths['/create-secret']).toHaveProperty('post');
    // Validated against the OpenAPI 3.0 JSON schema, $refs resolved.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    // Objects REST returns never carry a value: values come only from /secret-value.
    const schemas = (doc.components as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas;
    expect(schemas.Secret!.properties).not.toHaveProperty('value');
    expect(schemas.SecretVersion!.properties).not.toHaveProperty('value');
    expect(schemas.CreateSecretInput!.properties).toHaveProperty('value');
  });

  it('creates, gets, lists and reveals through REST without leaking values by default', async () => {
    const created = await call('/api/create-secret', {
      method: 'POST',
      body: { input: { name: 'rest_key', value: 'rest-value-123', metadata: { env: 'prod' } } },
    });
    expect(created.status).toBe(200);
    const createdBody = await created.json();
    expect(createdBody.secret).toMatchObject({ name: 'rest_key', version: 1, metadata: { env: 'prod' } });
    expect(JSON.stringify(createdBody)).not.toContain('rest-value-123');

    const got = await call('/api/secret?name=rest_key');
    const gotText = await got.text();
    expect(got.status).toBe(200);
    expect(JSON.parse(gotText)).toMatchObject({ name: 'rest_key', version: 1 });
    expect(gotText).not.toContain('rest-value-123');

    const listed = await call('/api/secrets?first=10');
    const listedBody = await listed.json();
    expect(listedBody.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['rest_key']);

    const value = await call('/api/secret-value?name=rest_key');
    expect(value.status).toBe(200);
    expect(await value.json()).toBe('rest-value-123');
  });

  it('returns typed errors and the same auth as GraphQL', async () => {
    const bad = await call('/api/create-secret', { method: 'POST', body: { input: { name: '1bad', value: 'x' } } });
    expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });

    const anonymous = await call('/api/secret?name=rest_key', { token: null });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).errors[0].code).toBe('UNAUTHENTICATED');

    const wrong = await call('/api/secret?name=rest_key', { token: 'lsk_not-a-key' });
    expect(wrong.status).toBe(401);
  });
});
