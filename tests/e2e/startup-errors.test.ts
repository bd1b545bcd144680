import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_KINDS, MYSQL_SERVER_URL } from '../support/databases';
import { runServerToExit, type ServerExit } from '../support/processes';

/**
 * Every bad or missing setting stops the real server process with EX_CONFIG (78) and one line
 * on stderr that names the variable and says what to do: no stack trace, no JSON log line.
 */

const ROOT = join(__dirname, '..', '..');
const ADMIN = 'a'.repeat(40);
const KEY = `prod1:${Buffer.alloc(32, 9).toString('base64')}`;
const MYSQL = MYSQL_SERVER_URL;

/** A production start with `env`, run to its exit (tests/support/processes.ts: the compiled server, a clean environment). */
function startServer(dataDir: string, env: Record<string, string>): Promise<ServerExit> {
  return runServerToExit(dataDir, { NODE_ENV: 'production', ...env });
}

describe('start-up configuration errors (the server process)', () => {
  let dataDir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'locksmith-config-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  }, 300_000);
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cases: Array<[string, () => Record<string, string>, RegExp]> = [
    ['no admin token', () => ({}), /^LOCKSMITH_ADMIN_TOKEN is required in production .*locksmith init/],
    ['no master key', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN }), /^no master key: production needs LOCKSMITH_MASTER_KEYS or LOCKSMITH_MASTER_KEY_FILE/],
    ['malformed LOCKSMITH_MASTER_KEYS', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: 'not-a-key' }), /^LOCKSMITH_MASTER_KEYS entry 1 must be "id:base64key"/],
    ['a short master key', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: 'k1:c2hvcnQ=' }), /^LOCKSMITH_MASTER_KEYS entry 1: key "k1" must be 32 bytes/],
    ['a missing keyring file', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEY_FILE: join(dataDir, 'none.json') }), /^LOCKSMITH_MASTER_KEY_FILE: no keyring file at .*locksmith init --key-file/],
    [
      'a keyring file that is not JSON (its text, key material, is not echoed)',
      () => {
        const path = join(dataDir, 'broken-keys.json');
        writeFileSync(path, '{"keys":[{"id":"k1","key":"c2VjcmV0LWtleS1tYXRlcmlhbA=="', { mode: 0o600 });
        return { LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEY_FILE: path };
      },
      /^LOCKSMITH_MASTER_KEY_FILE: the keyring file .*broken-keys\.json is not valid JSON: restore it from its backup$/,
    ],
    ['an unknown key provider', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_KEY_PROVIDER: 'hsm9000' }), /^LOCKSMITH_KEY_PROVIDER: "hsm9000" is neither .*: set it to local, aws-kms, vault-transit/],
    [
      'an unknown previous key provider',
      () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_PREVIOUS_KEY_PROVIDERS: 'hsm8000' }),
      /^LOCKSMITH_PREVIOUS_KEY_PROVIDERS: "hsm8000" is neither a built-in provider/,
    ],
    ['aws-kms without a key id', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_KEY_PROVIDER: 'aws-kms' }), /^LOCKSMITH_KMS_KEY_ID is required for the aws-kms key provider/],
    ['vault-transit without an address', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_KEY_PROVIDER: 'vault-transit' }), /^VAULT_ADDR is required/],
    ['a bad port', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_PORT: 'eighty' }), /^invalid configuration: LOCKSMITH_PORT must be a number/],
    ['an unknown NODE_ENV', () => ({ NODE_ENV: 'prod' }), /^invalid configuration: NODE_ENV: /],
    ['a MySQL URL without a database', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_DATABASE_URL: MYSQL }), /^invalid configuration: LOCKSMITH_DATABASE_URL must be mysql:\/\/.*\/database/],
    // Needs the test MariaDB to answer; left out when LOCKSMITH_TEST_DATABASES leaves mysql out.
    ...(DATABASE_KINDS.includes('mysql')
      ? [
          [
            'an unknown database',
            () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_DATABASE_URL: `${MYSQL}/locksmith_no_such_db_h14` }),
            /^LOCKSMITH_DATABASE_URL: database "locksmith_no_such_db_h14" does not exist on .*CREATE DATABASE/,
          ] as [string, () => Record<string, string>, RegExp],
        ]
      : []),
    [
      'an unreachable database',
      () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_DATABASE_URL: 'mysql://root:hunter2@127.0.0.1:1/locksmith' }),
      /^LOCKSMITH_DATABASE_URL: cannot reach the database at 127\.0\.0\.1:1 \(ECONNREFUSED\): is it running/,
    ],
    [
      'a SQLite path that cannot be created',
      () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_DATABASE_URL: `sqlite:${join(ROOT, 'package.json')}/x.db` }),
      /^LOCKSMITH_DATABASE_URL: cannot open the SQLite database .*writable/,
    ],
    ['a port in use', () => ({ LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_MASTER_KEYS: KEY, LOCKSMITH_PORT: String(busyPort) }), /^LOCKSMITH_HOST\/LOCKSMITH_PORT: cannot listen on .*EADDRINUSE/],
  ];

  it('exits 78 with one line naming the variable for each bad or missing setting', async () => {
    // A few at a time: each case is a process start (~1-2 s of CPU on a shared machine).
    const outcomes: ServerExit[] = [];
    for (let i = 0; i < cases.length; i += 3) {
      // Each case its own data dir: cases that get as far as the database would otherwise race
      // each other's first migration of one SQLite file and exit 1 instead of saying their error.
      const batch = cases.slice(i, i + 3).map(([, env]) => startServer(mkdtempSync(join(dataDir, 'case-')), { LOCKSMITH_LOG_LEVEL: 'warn', ...env() }));
      outcomes.push(...(await Promise.all(batch)));
    }
    cases.forEach(([name, , expected], i) => {
      const { code, stdout, stderr } = outcomes[i]!;
      const lines = stderr.trimEnd().split('\n');
      expect({ name, code, lines: lines.length, stdout }).toEqual({ name, code: 78, lines: 1, stdout: '' });
      expect({ name, line: lines[0]!.replace(/^locksmith: /, '') }).toEqual({ name, line: expect.stringMatching(expected) });
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stderr).not.toContain('hunter2');
      expect(stderr).not.toContain('c2VjcmV0'); // the broken keyring's key
    });
  }, 300_000);

  it('stops on a key provider setting before it opens (and migrates) the database', async () => {
    const caseDir = mkdtempSync(join(dataDir, 'provider-first-'));
    const { code, stderr } = await startServer(caseDir, { LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_KEY_PROVIDER: 'aws-kms' });
    expect({ code, stderr }).toEqual({ code: 78, stderr: expect.stringMatching(/LOCKSMITH_KMS_KEY_ID is required/) });
    expect(readdirSync(caseDir).filter((f) => f.startsWith('locksmith.db'))).toEqual([]);
  });

  it('refuses the keyring the development bootstrap generated unless it is configured explicitly', async () => {
    const devDir = mkdtempSync(join(tmpdir(), 'locksmith-devkey-'));
    try {
      // A development start (fails at the port on purpose, after the keyring exists).
      const dev = await startServer(devDir, { NODE_ENV: 'development', LOCKSMITH_PORT: String(busyPort), LOCKSMITH_LOG_LEVEL: 'silent' });
      expect(dev.code).toBe(78);
      const keyring = join(devDir, 'master-keys.json');
      expect(JSON.parse(readFileSync(keyring, 'utf8')).generatedBy).toBe('development bootstrap');

      const refused = await startServer(devDir, { LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_PORT: String(busyPort) });
      expect(refused.code).toBe(78);
      expect(refused.stderr).toContain(`${keyring} was generated by the development bootstrap: set LOCKSMITH_MASTER_KEY_FILE=${keyring}`);

      // Configured on purpose it is used (with a warning): start-up gets as far as the listener.
      const explicit = await startServer(devDir, { LOCKSMITH_ADMIN_TOKEN: ADMIN, LOCKSMITH_PORT: String(busyPort), LOCKSMITH_MASTER_KEY_FILE: keyring });
      expect(explicit.code).toBe(78);
      expect(explicit.stderr).toMatch(/^locksmith: LOCKSMITH_HOST\/LOCKSMITH_PORT: cannot listen/);
      expect(explicit.stdout).toContain('using a master keyring the development bootstrap generated');
    } finally {
      rmSync(devDir, { recursive: true, force: true });
    }
  }, 120_000);
});
