import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CliSandbox, type ServerProcess, startServerProcess } from '../support/processes';

/**
 * `locksmith secrets ...` through the real binary against a real server process. Independent
 * CLI runs go in parallel (each is a Node start-up), so the file stays fast.
 */

let server: ServerProcess;
let cli: CliSandbox;

beforeAll(async () => {
  server = await startServerProcess({ env: { LOCKSMITH_GRAPHIQL: 'false' } });
  cli = new CliSandbox({ LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  cli?.remove();
});

const json = <T = any>(stdout: string): T => JSON.parse(stdout) as T;
const names = (stdout: string) => json<Array<{ name: string }>>(stdout).map((s) => s.name);

async function reveal(name: string): Promise<string> {
  const result = await cli.run(['secrets', 'get', name, '--reveal', '--raw']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return result.stdout;
}

describe('secrets create', () => {
  it('takes the value from --value, --value-file or stdin (--value -), and never prints it', async () => {
    const file = join(cli.home, 'value.txt');
    const pem = join(cli.home, 'key.pem');
    writeFileSync(file, 'from file with spaces\n');
    writeFileSync(pem, '-----BEGIN KEY-----\nabc\n-----END KEY-----\n');
    const [flag, fromFile, keptNewline, fromStdin] = await Promise.all([
      cli.run(['secrets', 'create', '--name', 'openai_api_key', '--value', 'sk-flag-1', '--description', 'OpenAI key', '--metadata', 'env=prod', '--metadata', 'tier:=2']),
      cli.run(['secrets', 'create', 'file_secret', '--value-file', file]),
      cli.run(['secrets', 'create', 'pem_secret', '--value-file', pem, '--keep-newline']),
      cli.run(['secrets', 'create', 'stdin_secret', '--value', '-', '--json'], { input: 'piped value\n' }),
    ]);
    expect(flag).toEqual({ code: 0, stdout: 'created secret openai_api_key (version 1)\n', stderr: '' });
    expect(fromFile).toEqual({ code: 0, stdout: 'created secret file_secret (version 1)\n', stderr: '' });
    expect(keptNewline.code).toBe(0);
    expect(fromStdin.code).toBe(0);
    expect(json(fromStdin.stdout)).toMatchObject({ name: 'stdin_secret', version: 1 });
    expect(fromStdin.stdout).not.toContain('piped value');

    // One final newline from a file or pipe is dropped unless --keep-newline.
    expect(await Promise.all(['openai_api_key', 'file_secret', 'pem_secret', 'stdin_secret'].map(reveal))).toEqual([
      'sk-flag-1',
      'from file with spaces',
      '-----BEGIN KEY-----\nabc\n-----END KEY-----\n',
      'piped value',
    ]);
  });

  it('maps refusals to exit codes: bad name 2 (nothing created), taken name 4, usage mistakes 2', async () => {
    const [badName, taken, ...usage] = await Promise.all([
      cli.run(['secrets', 'create', 'bad-name', '--value', 'sk-bad-name-value']),
      cli.run(['secrets', 'create', 'openai_api_key', '--value', 'other']),
      cli.run(['secrets', 'create', 'no_value']),
      cli.run(['secrets', 'create', 'two', '--value', 'a', '--value-file', 'b']),
      cli.run(['secrets', 'create', 'x', '--value', 'v', '--metadata', 'novalue']),
      cli.run(['secrets', 'list', '--limit', 'many']),
      cli.run(['secrets', 'frobnicate']),
      cli.run(['secrets', 'get', 'openai_api_key', '--raw']),
      cli.run(['secrets', 'create', 'typo', '--valeu=sk-typo-value']),
    ]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^locksmith: name must start with a letter/);
    expect(badName.stderr + badName.stdout).not.toContain('sk-bad-name-value');
    expect(taken).toMatchObject({ code: 4, stderr: 'locksmith: a secret named "openai_api_key" already exists\n' });
    for (const result of usage) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^locksmith: /);
      expect(result.stderr).not.toContain('sk-typo-value');
    }
    expect(names((await cli.run(['secrets', 'list', '--json'])).stdout)).toEqual(['file_secret', 'openai_api_key', 'pem_secret', 'stdin_secret']);
  });
});

describe('secrets get and list', () => {
  it('get prints metadata only; the value only with --reveal; 3 when missing', async () => {
    const [human, asJson, revealed, revealedJson, missing] = await Promise.all([
      cli.run(['secrets', 'get', 'openai_api_key']),
      cli.run(['secrets', 'get', 'openai_api_key', '--json']),
      cli.run(['secrets', 'get', 'openai_api_key', '--reveal']),
      cli.run(['secrets', 'get', 'openai_api_key', '--reveal', '--json']),
      cli.run(['secrets', 'get', 'missing_secret']),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^name\s+openai_api_key$/m);
    expect(human.stdout).toMatch(/^metadata\s+env=prod tier:=2$/m);
    expect(human.stdout + asJson.stdout).not.toContain('sk-flag-1');
    expect(json(asJson.stdout)).toMatchObject({ name: 'openai_api_key', description: 'OpenAI key', metadata: { env: 'prod', tier: 2 } });
    expect(json(asJson.stdout)).not.toHaveProperty('value');
    expect(revealed.stdout).toMatch(/^value\s+sk-flag-1$/m);
    expect(json(revealedJson.stdout)).toMatchObject({ name: 'openai_api_key', value: 'sk-flag-1' });
    expect(missing).toMatchObject({ code: 3, stdout: '', stderr: 'locksmith: no secret named "missing_secret"\n' });
  });

  it('list prints a table, or JSON with --json, filtered and paged', async () => {
    const [table, byMetadata, stringNotNumber, byPrefix, paged, limited] = await Promise.all([
      cli.run(['secrets', 'list']),
      cli.run(['secrets', 'list', '--json', '--metadata', 'tier:=2']),
      cli.run(['secrets', 'list', '--json', '--metadata', 'tier=2']),
      cli.run(['secrets', 'list', '--json', '--prefix', 'p']),
      cli.run(['secrets', 'list', '--json', '--page-size', '1']),
      cli.run(['secrets', 'list', '--json', '--page-size', '1', '--limit', '2']),
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+UPDATED\s+METADATA\s+DESCRIPTION$/);
    expect(lines.some((l) => /^openai_api_key\s+1\s+\S+\s+env=prod tier:=2\s+OpenAI key$/.test(l))).toBe(true);
    expect(lines).toHaveLength(5);
    expect(table.stdout).not.toContain('sk-flag-1');
    expect(names(byMetadata.stdout)).toEqual(['openai_api_key']);
    expect(names(stringNotNumber.stdout)).toEqual([]);
    expect(names(byPrefix.stdout)).toEqual(['pem_secret']);
    expect(names(paged.stdout)).toEqual(['file_secret', 'openai_api_key', 'pem_secret', 'stdin_secret']);
    expect(names(limited.stdout)).toEqual(['file_secret', 'openai_api_key']);
  });
});

describe('secrets update, history, delete, restore', () => {
  it('updates with check-and-set; a stale --expected-version exits 4 and changes nothing', async () => {
    const ok = await cli.run(['secrets', 'update', 'openai_api_key', '--value', 'sk-flag-2', '--expected-version', '1']);
    expect(ok).toEqual({ code: 0, stdout: 'updated secret openai_api_key (version 2)\n', stderr: '' });
    const stale = await cli.run(['secrets', 'update', 'openai_api_key', '--value', 'sk-flag-3', '--expected-version', '1']);
    expect(stale).toMatchObject({ code: 4, stderr: 'locksmith: expected version 1 but the current version is 2\n' });
    expect(await reveal('openai_api_key')).toBe('sk-flag-2');
  });

  it('updates description and metadata without a new version; nothing to change is 2, missing is 3', async () => {
    const [result, nothing, missing] = await Promise.all([
      cli.run(['secrets', 'update', 'openai_api_key', '--clear-description', '--metadata', 'env=staging', '--json']),
      cli.run(['secrets', 'update', 'openai_api_key']),
      cli.run(['secrets', 'update', 'missing_secret', '--value', 'x']),
    ]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({ version: 2, description: null, metadata: { env: 'staging' } });
    expect(nothing.code).toBe(2);
    expect(missing.code).toBe(3);
  });

  it('lists history (no values) and reveals an old version', async () => {
    const [history, table, old, missing] = await Promise.all([
      cli.run(['secrets', 'history', 'openai_api_key', '--json']),
      cli.run(['secrets', 'history', 'openai_api_key']),
      cli.run(['secrets', 'get', 'openai_api_key', '--reveal', '--version', '1', '--raw']),
      cli.run(['secrets', 'history', 'missing_secret']),
    ]);
    expect(json<Array<{ version: number }>>(history.stdout).map((v) => v.version)).toEqual([2, 1]);
    expect(history.stdout + table.stdout).not.toContain('sk-flag');
    expect(table.stdout).toMatch(/^VERSION\s+CREATED\s+CREATED BY\s+DESTROYED\n2\s/);
    expect(old).toMatchObject({ code: 0, stdout: 'sk-flag-1' });
    expect(missing.code).toBe(3);
  });

  it('deletes with a recovery window and restores; --force purges', async () => {
    const [deleted, purged] = await Promise.all([
      cli.run(['secrets', 'delete', 'file_secret']),
      cli.run(['secrets', 'delete', 'pem_secret', '--force']),
    ]);
    expect(deleted.stdout).toMatch(/^deleted secret file_secret; restorable until /);
    expect(purged.stdout).toBe('purged secret pem_secret\n');
    const [gone, listed, notRestorable] = await Promise.all([
      cli.run(['secrets', 'get', 'file_secret']),
      cli.run(['secrets', 'list', '--deleted', '--json']),
      cli.run(['secrets', 'restore', 'pem_secret']),
    ]);
    expect(gone.code).toBe(3);
    expect(names(listed.stdout)).toEqual(['file_secret']);
    expect(notRestorable.code).toBe(3);
    expect(await cli.run(['secrets', 'restore', 'file_secret'])).toMatchObject({ code: 0, stdout: 'restored secret file_secret (version 1)\n' });
    expect(await reveal('file_secret')).toBe('from file with spaces');
  });
});

describe('rollback, destroy-version, audit', () => {
  it('rolls back to an old value, destroys a version, and shows both in the audit log', async () => {
    const rolledBack = await cli.run(['secrets', 'rollback', 'openai_api_key', '--version', '1', '--expected-version', '2']);
    expect(rolledBack).toEqual({ code: 0, stdout: 'rolled back secret openai_api_key to the value of version 1 (now version 3)\n', stderr: '' });
    const destroyed = await cli.run(['secrets', 'destroy-version', 'openai_api_key', '--version', '2']);
    expect(destroyed.stdout).toBe('destroyed version 2 of secret openai_api_key\n');
    const [current, gone, events, verify] = await Promise.all([
      reveal('openai_api_key'),
      cli.run(['secrets', 'get', 'openai_api_key', '--reveal', '--version', '2']),
      cli.run(['audit', 'list', '--secret', 'openai_api_key', '--action', 'secret.rollback', '--action', 'secret.destroy_version', '--json']),
      cli.run(['audit', 'verify']),
    ]);
    expect(current).toBe('sk-flag-1');
    expect(gone.code).toBe(3);
    expect(JSON.parse(events.stdout).map((e: { action: string; version: number }) => [e.action, e.version])).toEqual([
      ['secret.destroy_version', 2],
      ['secret.rollback', 3],
    ]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^status\s+ok$/m);
  });
});

describe('tasks', () => {
  it('validates and runs a task server-side; outputs come back redacted', async () => {
    const task = join(cli.home, 'task.yaml');
    writeFileSync(task, `steps:\n  - kind: evaluate\n    evaluate:\n      greeting: "'hello ' + inputs.name"\n      key: secrets.stdin_secret\n`);
    const bad = join(cli.home, 'bad.yaml');
    writeFileSync(bad, 'steps:\n  - kind: evaluate\n    evaluate:\n      key: secrets.no_such_secret\n');
    const [valid, invalid, ran, ranJson, badRun] = await Promise.all([
      cli.run(['tasks', 'validate', task]),
      cli.run(['tasks', 'validate', bad]),
      cli.run(['tasks', 'run', task, '--input', '{"name": "world"}']),
      cli.run(['tasks', 'run', '-', '--json'], { input: `steps:\n  - kind: evaluate\n    evaluate: { x: inputs.missing }\n` }),
      cli.run(['tasks', 'run', bad]),
    ]);
    expect(valid).toMatchObject({ code: 0, stdout: 'valid; uses secrets: stdin_secret\n' });
    // key is computed from a secret: validate warns that it will come back as [secret:NAME].
    expect(valid.stderr).toBe("locksmith: warning: line 5, column 7 steps[0].evaluate.key: 'key' is computed from a secret: it shows as [secret:NAME] in the output; a secret's value can only be sent in a tool or model request\n");
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("line 4, column 12 steps[0].evaluate.key: secret 'no_such_secret' does not exist");
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^status\s+SUCCEEDED$/m);
    expect(ran.stdout).toContain('"greeting":"hello world"');
    expect(ran.stdout).toContain('"key":"[secret:stdin_secret]"');
    expect(ran.stdout).not.toContain('piped value');
    expect(ranJson.code).toBe(8);
    expect(JSON.parse(ranJson.stdout)).toMatchObject({ status: 'FAILED', steps: [{ index: 0, status: 'FAILED' }] });
    expect(badRun.code).toBe(2);
  });
});

describe('connection failures', () => {
  it('exits 5 with a wrong token and 6 with no server, echoing neither token nor value', async () => {
    const port = await closedPort();
    const [wrongEnv, wrongFlag, noServer] = await Promise.all([
      cli.run(['secrets', 'list'], { env: { LOCKSMITH_TOKEN: 'lsk_not_a_real_token' } }),
      cli.run(['secrets', 'list', '--token', 'lsk_also_wrong']),
      cli.run(['secrets', 'list'], { env: { LOCKSMITH_URL: `http://127.0.0.1:${port}` } }),
    ]);
    expect(wrongEnv).toEqual({ code: 5, stdout: '', stderr: 'locksmith: missing, unknown, expired or revoked bearer token\n' });
    expect(wrongFlag.code).toBe(5);
    expect(wrongFlag.stderr).not.toContain('lsk_also_wrong');
    expect(noServer.code).toBe(6);
    expect(noServer.stderr).toMatch(/^locksmith: cannot reach http:\/\/127\.0\.0\.1:\d+\/graphql: ECONNREFUSED\n$/);
    expect(noServer.stderr).not.toContain(server.credentials.apiKey);
  });

  it('never let a value reach the server output', () => {
    for (const value of ['sk-flag-1', 'sk-flag-2', 'piped value', 'sk-bad-name-value']) expect(server.output()).not.toContain(value);
  });
});

/** A port nothing listens on: bind to 0, read the port, close. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
