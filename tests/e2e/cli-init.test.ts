import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CliSandbox, startServerProcess } from '../support/processes';

/** `locksmith init`: production keys and admin token; writes nothing but the keyring it is asked for. */

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      out.push(relative(dir, full));
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

function parseEnv(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('locksmith init', () => {
  const cli = new CliSandbox();
  afterAll(() => cli.remove());

  it('prints LOCKSMITH_MASTER_KEYS and an admin token, writes nothing, and each run is new', async () => {
    const before = tree(cli.home);
    const first = await cli.run(['init']);
    expect(first.code).toBe(0);
    expect(tree(cli.home)).toEqual(before);
    const env = parseEnv(first.stdout);
    expect(Object.keys(env).sort()).toEqual(['LOCKSMITH_ADMIN_TOKEN', 'LOCKSMITH_KEY_PROVIDER', 'LOCKSMITH_MASTER_KEYS', 'NODE_ENV']);
    expect(env.NODE_ENV).toBe('production');
    expect(env.LOCKSMITH_ADMIN_TOKEN).toMatch(/^lsa_[A-Za-z0-9_-]{43}$/);
    const [id, key] = env.LOCKSMITH_MASTER_KEYS!.split(':');
    expect(id).toMatch(/^mk-/);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
    expect(first.stderr).toContain('back up the master key');
    const second = parseEnv((await cli.run(['init'])).stdout);
    expect(second.LOCKSMITH_ADMIN_TOKEN).not.toBe(env.LOCKSMITH_ADMIN_TOKEN);
    expect(second.LOCKSMITH_MASTER_KEYS).not.toBe(env.LOCKSMITH_MASTER_KEYS);
  }, 60_000);

  it('--key-file writes a 0600 keyring (and nothing else), never overwrites, and a production server starts from the printed environment', async () => {
    const before = tree(cli.home);
    const made = await cli.run(['init', '--key-file', 'master-keys.json', '--json']);
    expect(made.code).toBe(0);
    const { env, keyFile } = JSON.parse(made.stdout) as { env: Record<string, string>; keyFile: string };
    expect(keyFile).toBe(join(cli.home, 'master-keys.json'));
    expect(tree(cli.home)).toEqual([...before, 'master-keys.json'].sort());
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(env.LOCKSMITH_MASTER_KEY_FILE).toBe(keyFile);
    expect(env.LOCKSMITH_MASTER_KEYS).toBeUndefined();
    const keyring = readFileSync(keyFile, 'utf8');
    expect(JSON.parse(keyring).generatedBy).toBeUndefined(); // not a dev keyring: production takes it

    const again = await cli.run(['init', '--key-file', 'master-keys.json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists: init never overwrites a keyring');
    expect(again.stdout).toBe('');
    expect(readFileSync(keyFile, 'utf8')).toBe(keyring);
    const noFolder = await cli.run(['init', '--key-file', 'no/such/folder/keys.json']);
    expect(noFolder.code).toBe(2);

    const dataDir = join(cli.home, 'data');
    const server = await startServerProcess({ dataDir, env });
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.LOCKSMITH_ADMIN_TOKEN}` },
        body: JSON.stringify({ query: 'mutation { createDeveloper(input: { name: "first" }) { __typename } }' }),
      });
      expect(((await response.json()) as any).data.createDeveloper.__typename).toBe('CreateDeveloperPayload');
      expect(server.output()).not.toContain(env.LOCKSMITH_ADMIN_TOKEN);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
