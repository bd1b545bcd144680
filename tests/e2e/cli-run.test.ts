import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CliSandbox, ROOT, type ServerProcess, startServerProcess } from '../support/processes';

/** `locksmith run`: a program with secrets as environment variables, through the real binary and server. */

const DB_PASSWORD = 'pw-run-e2e-4c1d9a';
const API_KEY = 'sk-run-e2e-77b0e2';
const PROD_TOKEN = 'tok-run-e2e-prod-9f9f';

let server: ServerProcess;
let cli: CliSandbox;
const asDev = () => ({ env: { LOCKSMITH_TOKEN: server.credentials.apiKey } });

/** A child that prints a hash of the variables it was asked about (never the values), then exits with `code`. */
function hashingChild(names: string[], code = 0): string[] {
  const script = `
    const names = ${JSON.stringify(names)};
    const seen = Object.fromEntries(names.map((n) => [n, process.env[n] ?? null]));
    const hash = require('node:crypto').createHash('sha256').update(JSON.stringify(seen)).digest('hex');
    console.log('env-hash ' + hash + ' token-visible ' + ('LOCKSMITH_TOKEN' in process.env));
    process.exit(${code});`;
  return [process.execPath, '-e', script];
}

const expectedHash = (env: Record<string, string | null>) => createHash('sha256').update(JSON.stringify(env)).digest('hex');

beforeAll(async () => {
  server = await startServerProcess({ env: { LOCKSMITH_GRAPHIQL: 'false' } });
  cli = new CliSandbox({ LOCKSMITH_URL: server.url });
  for (const [name, value, metadata] of [
    ['db_password', DB_PASSWORD, ['env=prod']],
    ['api_key', API_KEY, ['env=prod']],
    ['prod_token', PROD_TOKEN, ['env=staging']],
  ] as const) {
    const made = await cli.run(['secrets', 'create', '--name', name, '--value', '-', ...metadata.flatMap((m) => ['--metadata', m])], { ...asDev(), input: value });
    expect(made.code).toBe(0);
  }
}, 90_000);

afterAll(async () => {
  await server?.stop();
  cli?.remove();
});

describe('locksmith run', () => {
  it('passes --secret NAME and NAME=ENV as environment variables, never prints them, exits with the status, and audits each reveal', async () => {
    const result = await cli.run(
      ['run', '--secret', 'db_password=DB_PASSWORD', '--secret', 'api_key', '--', ...hashingChild(['DB_PASSWORD', 'api_key', 'prod_token'], 3)],
      asDev(),
    );
    expect(result.code).toBe(3);
    expect(result.stdout.trim()).toBe(
      `env-hash ${expectedHash({ DB_PASSWORD, api_key: API_KEY, prod_token: null })} token-visible false`,
    );
    expect(result.stdout + result.stderr).not.toContain(DB_PASSWORD);
    expect(result.stderr).toBe('');

    const audit = await cli.run(['audit', 'list', '--action', 'secret.reveal', '--json'], asDev());
    const reveals = (JSON.parse(audit.stdout) as Array<{ secretName: string }>).map((e) => e.secretName).sort();
    expect(reveals).toEqual(['api_key', 'db_password']);
    expect(server.output()).not.toContain(DB_PASSWORD);
  }, 60_000);

  it('--metadata passes every matching secret under its own name; --secret adds to it', async () => {
    const result = await cli.run(
      ['run', '--metadata', 'env=prod', '--secret', 'prod_token=TOKEN', '--', ...hashingChild(['db_password', 'api_key', 'TOKEN', 'prod_token'])],
      asDev(),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(expectedHash({ db_password: DB_PASSWORD, api_key: API_KEY, TOKEN: PROD_TOKEN, prod_token: null }));
    const none = await cli.run(['run', '--metadata', 'env=nowhere', '--', 'true'], asDev());
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('no secret matches --metadata env=nowhere (nothing was run)');
  }, 60_000);

  it('fails before running anything on a missing secret, a missing scope, a bad flag or an unknown command', async () => {
    const marker = [process.execPath, '-e', 'console.log("CHILD RAN")'];
    const missing = await cli.run(['run', '--secret', 'api_key', '--secret', 'no_such_secret', '--', ...marker], asDev());
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no_such_secret.*\(nothing was run\)/);
    expect(missing.stdout).not.toContain('CHILD RAN');

    const key = await cli.run(['api-keys', 'create', '--name', 'reader', '--scope', 'secrets:read', '--json'], asDev());
    const readOnly = (JSON.parse(key.stdout) as { token: string }).token;
    const forbidden = await cli.run(['run', '--secret', 'api_key', '--', ...marker], { env: { LOCKSMITH_TOKEN: readOnly } });
    expect(forbidden.code).toBe(5);
    expect(forbidden.stderr).toContain('needs a token with the secrets:reveal scope (nothing was run)');
    expect(forbidden.stdout).not.toContain('CHILD RAN');

    const noSecrets = await cli.run(['run', '--', ...marker], asDev());
    expect(noSecrets.code).toBe(2);
    const badEnv = await cli.run(['run', '--secret', 'api_key=1BAD', '--', ...marker], asDev());
    expect(badEnv.code).toBe(2);
    const unknown = await cli.run(['run', '--secret', 'api_key', '--', 'locksmith-no-such-command-h14'], asDev());
    expect(unknown.code).toBe(127);
    expect(unknown.stderr).toContain('command not found: locksmith-no-such-command-h14');
  }, 60_000);

  it('forwards SIGTERM to the command and exits with its status', async () => {
    const script = `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(42); });
      console.log('ready ' + (process.env.API_KEY === ${JSON.stringify(API_KEY)})); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'locksmith.js'), 'run', '--secret', 'api_key=API_KEY', '--', process.execPath, '-e', script], {
      env: { PATH: process.env.PATH ?? '', HOME: cli.home, LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    child.stderr.on('data', (chunk) => (out += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    while (!out.includes('ready')) {
      if (child.exitCode !== null) throw new Error(out);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toContain('ready true');
    child.kill('SIGTERM'); // to locksmith only, not its process group
    expect(await exited).toBe(42);
    expect(out).toContain('child got SIGTERM');
  }, 60_000);
});
