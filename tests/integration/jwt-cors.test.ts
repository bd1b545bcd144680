import { startFakeIssuer } from '../support/fake-jwks';
import { useDeveloper, useStarted, useTestApp } from '../support/test-app';

describe('JWT bearer tokens from a trusted issuer, and CORS', () => {
  const issuer = useStarted(() => startFakeIssuer('locksmith-web'));
  const t = useTestApp('sqlite', () => ({
    env: {
      LOCKSMITH_JWT_ISSUER: issuer.issuer,
      LOCKSMITH_JWT_JWKS_URL: issuer.jwksUrl,
      LOCKSMITH_JWT_AUDIENCE: 'locksmith-web',
      LOCKSMITH_CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
    },
  }));
  const dev = useDeveloper(t, 'web');
  beforeAll(async () => {
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "web_secret", value: "web-value-123" }) { __typename } }`);
  });

  const sign = (claims: Record<string, unknown> = {}, options = {}) =>
    issuer.sign({ sub: 'user-42', locksmith_developer: dev.id, scope: 'secrets:read', ...claims }, options);

  it('accepts a valid token, mapped to its developer and scopes', async () => {
    const token = await sign();
    const ok = await t.graphql(token, `{ me { id } secrets { edges { node { name } } } }`);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ me: { id: dev.id }, secrets: { edges: [{ node: { name: 'web_secret' } }] } });
    const reveal = await t.graphql(token, `{ secret(name: "web_secret") { value } }`);
    expect(reveal.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const withReveal = await t.graphql(await sign({ scope: 'secrets:read secrets:reveal admin:everything' }), `{ secret(name: "web_secret") { value } }`);
    expect(withReveal.body.data.secret.value).toBe('web-value-123');
  });

  it.each([
    ['a wrong issuer', () => sign({}, { issuer: 'https://evil.example.com' })],
    ['a wrong audience', () => sign({}, { audience: 'someone-else' })],
    ['an expired token', () => sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['an unknown developer', () => sign({ locksmith_developer: '01a2082d-0000-7000-8000-000000000000' })],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await sign()).split('.');
        const forged = Buffer.from(JSON.stringify({ sub: 'x', locksmith_developer: dev.id, scope: 'secrets:reveal', exp: 9999999999 })).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
    ],
    ['an unsigned token', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', locksmith_developer: dev.id })).toString('base64url')}.`],
  ])('refuses %s with 401', async (_label, make) => {
    const response = await t.graphql(await make(), `{ me { id } }`);
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers CORS preflights for configured origins only', async () => {
    const preflight = (origin: string) =>
      t.request('/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const denied = await preflight('https://evil.example.com');
    expect(denied.headers.get('access-control-allow-origin')).not.toBe('https://evil.example.com');
  });
});
