import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMysqlDatabase, DATABASE_KINDS, MYSQL_SERVER_URL, type TestDatabase } from '../support/databases';
import { CliSandbox, type ServerProcess, startServerProcess } from '../support/processes';

/**
 * The restore docs/operations.md describes: mysqldump --single-transaction of a live server's
 * database, loaded into an empty one, and a server started on it with the same master key
 * reads every value back and finds its audit chain intact.
 */

const KEY = `backup1:${Buffer.alloc(32, 5).toString('base64')}`;
const VALUES = { db_password: 'pw-backup-e2e-1f2e', api_token: 'tok-backup-e2e-9a8b' };

function mysqlArgs(url: string): string[] {
  const u = new URL(url);
  return ['-h', u.hostname, '-P', u.port || '3306', '-u', decodeURIComponent(u.username), ...(u.password ? [`-p${decodeURIComponent(u.password)}`] : [])];
}

async function gql(server: ServerProcess, query: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.credentials.apiKey}` },
    body: JSON.stringify({ query }),
  });
  return ((await response.json()) as any).data;
}

// MariaDB only: skipped when LOCKSMITH_TEST_DATABASES leaves mysql out (docs/testing.md).
const describeMysql = DATABASE_KINDS.includes('mysql') ? describe : describe.skip;

describeMysql('backup and restore (MariaDB)', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'locksmith-backup-'));
    source = await createMysqlDatabase(dataDir, 'ls_backup', 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    restored = await createMysqlDatabase(dataDir, 'ls_restore', 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
  });
  afterAll(async () => {
    await source?.drop();
    await restored?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a dump of a live database restores into a new one that a server with the same key reads fully', async () => {
    const env = (db: TestDatabase) => ({ LOCKSMITH_DATABASE_URL: db.location, LOCKSMITH_MASTER_KEYS: KEY });
    const live = await startServerProcess({ dataDir, env: env(source) });
    let dump: Buffer;
    try {
      for (const [name, value] of Object.entries(VALUES)) {
        await gql(live, `mutation { createSecret(input: { name: "${name}", value: "${value}" }) { __typename } }`);
      }
      await gql(live, `mutation { updateSecret(input: { name: "db_password", value: "${VALUES.db_password}-v2" }) { __typename } }`);
      // While the server runs, as an operator would.
      const name = new URL(source.location).pathname.slice(1);
      dump = execFileSync('mysqldump', [...mysqlArgs(MYSQL_SERVER_URL), '--single-transaction', '--routines', '--hex-blob', name]);
    } finally {
      await live.stop();
    }
    expect(dump.includes(Buffer.from(VALUES.api_token))).toBe(false); // values are sealed in the dump too
    execFileSync('mysql', [...mysqlArgs(MYSQL_SERVER_URL), new URL(restored.location).pathname.slice(1)], { input: dump });

    const back = await startServerProcess({ dataDir, env: env(restored) });
    const cli = new CliSandbox({ LOCKSMITH_URL: back.url, LOCKSMITH_TOKEN: back.credentials.apiKey });
    try {
      const read = await gql(back, '{ a: secret(name: "db_password") { value version } b: secret(name: "api_token") { value version } }');
      expect(read).toEqual({ a: { value: `${VALUES.db_password}-v2`, version: 2 }, b: { value: VALUES.api_token, version: 1 } });
      const verified = await cli.run(['audit', 'verify', '--json']);
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout).ok).toBe(true);
    } finally {
      await back.stop();
      cli.remove();
    }
  }, 120_000);
});
