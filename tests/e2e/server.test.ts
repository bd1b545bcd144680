import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../support/processes';

const VALUE = 'sk-e2e-distinctive-value-7f3a9c';

async function gql(url: string, token: string, query: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as any;
}

describe('the server process (npm start)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'locksmith-e2e-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('bootstraps on a fresh data dir, reuses everything on restart, stops on SIGTERM, and keeps values out of files and logs', async () => {
    const first = await startServerProcess({ dataDir });
    expect(first.output()).toContain(first.credentials.apiKey);
    expect(first.output()).toContain(first.credentials.adminToken);
    expect(statSync(join(dataDir, 'master-keys.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'dev-credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'locksmith.db')).mode & 0o077).toBe(0);

    const created = await gql(first.url, first.credentials.apiKey, `mutation { createSecret(input: { name: "e2e_key", value: "${VALUE}" }) { __typename } }`);
    expect(created.data.createSecret.__typename).toBe('CreateSecretPayload');
    const revealed = await gql(first.url, first.credentials.apiKey, '{ secret(name: "e2e_key") { value } }');
    expect(revealed.data.secret.value).toBe(VALUE);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('shutting down');

    const second = await startServerProcess({ dataDir });
    try {
      expect(second.credentials).toEqual(first.credentials);
      const again = await gql(second.url, second.credentials.apiKey, '{ secret(name: "e2e_key") { value version } }');
      expect(again.data.secret).toEqual({ value: VALUE, version: 1 });
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }

    const logs = first.output() + second.output();
    expect(logs).not.toContain(VALUE);
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file));
      expect({ file, found: bytes.includes(Buffer.from(VALUE)) }).toEqual({ file, found: false });
    }
  }, 90_000);

  it('serves no GraphiQL and prints no credentials in production', async () => {
    const adminToken = 'a'.repeat(40);
    const server = await startServerProcess({
      dataDir,
      env: {
        NODE_ENV: 'production',
        LOCKSMITH_ADMIN_TOKEN: adminToken,
        LOCKSMITH_MASTER_KEYS: `prod1:${Buffer.alloc(32, 7).toString('base64')}`,
      },
    });
    try {
      const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/graphiql/i);
      const created = await gql(server.url, adminToken, 'mutation { createDeveloper(input: { name: "prod" }) { __typename } }');
      expect(created.data.createDeveloper.__typename).toBe('CreateDeveloperPayload');
      expect(server.output()).not.toContain(adminToken);
      expect(server.output()).not.toContain('lsk_');
    } finally {
      await server.stop();
    }
  }, 60_000);
});
