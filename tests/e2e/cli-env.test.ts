import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { CliSandbox, type ServerProcess, startServerProcess } from '../support/processes';

/** `locksmith import` / `export`: .env round trips through the real binary and server. */

let server: ServerProcess;
let cli: CliSandbox;
let asA: { env: Record<string, string> };
let asB: { env: Record<string, string> };

beforeAll(async () => {
  server = await startServerProcess({ env: { LOCKSMITH_GRAPHIQL: 'false' } });
  cli = new CliSandbox({ LOCKSMITH_URL: server.url });
  asA = { env: { LOCKSMITH_TOKEN: server.credentials.apiKey } };
  const created = await cli.run(['developers', 'create', 'tenant_b', '--json'], { env: { LOCKSMITH_TOKEN: server.credentials.adminToken } });
  asB = { env: { LOCKSMITH_TOKEN: (JSON.parse(created.stdout) as { apiKey: { token: string } }).apiKey.token } };
}, 60_000);

afterAll(async () => {
  await server?.stop();
  cli?.remove();
});

/** Hand-written, in the styles people use. */
const HANDWRITTEN = `# a comment
PLAIN=simple
export EXPORTED=with-export-prefix
SPACES='  leading and trailing  '
HASH="a # not a comment #"   # but this is
EQUALS=a=b==c
DOUBLE_QUOTES='say "hi"'
SINGLE_QUOTE="it's"
MULTILINE="line1\\nline2\\n  indented"
MULTILINE_LITERAL='first
second'
BACKSLASH='C:\\path\\n stays literal'
UNICODE=пароль ✓
DOLLAR='$HOME \${NOT_EXPANDED}'
JSON={"a": 1, "b": "x y"}
`;

const EXPECTED: Record<string, string> = {
  PLAIN: 'simple',
  EXPORTED: 'with-export-prefix',
  SPACES: '  leading and trailing  ',
  HASH: 'a # not a comment #',
  EQUALS: 'a=b==c',
  DOUBLE_QUOTES: 'say "hi"',
  SINGLE_QUOTE: "it's",
  MULTILINE: 'line1\nline2\n  indented',
  MULTILINE_LITERAL: 'first\nsecond',
  BACKSLASH: 'C:\\path\\n stays literal',
  UNICODE: 'пароль ✓',
  DOLLAR: '$HOME ${NOT_EXPANDED}',
  JSON: '{"a": 1, "b": "x y"}',
};

describe('import and export', () => {
  let exported: string;

  it('imports a hand-written .env, creating one secret per entry (no progress bar when stderr is not a TTY)', async () => {
    const file = join(cli.home, 'handwritten.env');
    writeFileSync(file, HANDWRITTEN);
    // A value only backticks can carry is created directly, to exercise export's quoting too.
    const mixed = join(cli.home, 'mixed.txt');
    writeFileSync(mixed, `it's "all"\nof them`);
    const [imported, created] = await Promise.all([
      cli.run(['import', file], asA),
      cli.run(['secrets', 'create', 'MIXED_QUOTES', '--value-file', mixed], asA),
    ]);
    expect(created.code).toBe(0);
    expect(imported).toEqual({ code: 0, stdout: `imported ${file}: 13 created, 0 updated, 0 skipped, 0 failed\n`, stderr: '' });
    const raw = await Promise.all(['SPACES', 'MULTILINE', 'BACKSLASH'].map((name) => cli.run(['secrets', 'get', name, '--reveal', '--raw'], asA)));
    expect(raw.map((r) => r.stdout)).toEqual([EXPECTED.SPACES, EXPECTED.MULTILINE, EXPECTED.BACKSLASH]);
  });

  it('export needs --reveal, then prints a .env that parses back to the exact values', async () => {
    const refused = await cli.run(['export'], asA);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toMatch(/^locksmith: export prints secret values: pass --reveal/);

    const result = await cli.run(['export', '--reveal'], asA);
    expect(result.code).toBe(0);
    exported = result.stdout;
    expect(parse(exported)).toEqual({ ...EXPECTED, MIXED_QUOTES: `it's "all"\nof them` });
  });

  it('round-trips: importing the export elsewhere and exporting again gives the same file', async () => {
    const file = join(cli.home, 'exported.env');
    writeFileSync(file, exported);
    const imported = await cli.run(['import', file, '--json'], asB);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ updated: [], failed: [] });
    expect(JSON.parse(imported.stdout).created).toHaveLength(14);

    const output = join(cli.home, 'again.env');
    const again = await cli.run(['export', '--reveal', '-o', output], asB);
    expect(again).toEqual({ code: 0, stdout: '', stderr: `locksmith: wrote 14 secrets to ${output}\n` });
    expect(readFileSync(output, 'utf8')).toBe(exported);
    expect(statSync(output).mode & 0o777).toBe(0o600);
  });

  it('export filters by prefix', async () => {
    const result = await cli.run(['export', '--reveal', '--prefix', 'MULTI'], asA);
    expect(Object.keys(parse(result.stdout))).toEqual(['MULTILINE', 'MULTILINE_LITERAL']);
  });

  it('updates existing keys (new version), or leaves them with --no-overwrite; reports bad and empty entries', async () => {
    const file = join(cli.home, 'changes.env');
    writeFileSync(file, 'PLAIN=changed\nNEW_ONE=new\nEMPTY=\nbad-name=x\n');
    const keep = await cli.run(['import', file, '--no-overwrite', '--json'], asA);
    expect(keep.code).toBe(2); // bad-name
    expect(JSON.parse(keep.stdout)).toEqual({
      created: ['NEW_ONE'],
      updated: [],
      skipped: ['PLAIN'],
      skippedEmpty: ['EMPTY'],
      failed: [{ name: 'bad-name', code: 'VALIDATION_FAILED', message: expect.stringMatching(/^name must start with a letter/) }],
    });
    expect(keep.stderr).toContain('locksmith: bad-name: name must start with a letter');
    expect(keep.stderr).toContain('locksmith: EMPTY: skipped (empty value)');

    const overwrite = await cli.run(['import', file], asA);
    expect(overwrite.stdout).toBe(`imported ${file}: 0 created, 2 updated, 1 skipped, 1 failed\n`);
    const plain = await cli.run(['secrets', 'get', 'PLAIN', '--reveal', '--json'], asA);
    expect(JSON.parse(plain.stdout)).toMatchObject({ value: 'changed', version: 2 });
  });

  it('stops at an auth failure with exit 5 and reads stdin with "-"', async () => {
    const result = await cli.run(['import', '-'], { env: { LOCKSMITH_TOKEN: 'lsk_wrong' }, input: 'A=1\nB=2\n' });
    expect(result).toEqual({ code: 5, stdout: '', stderr: 'locksmith: missing, unknown, expired or revoked bearer token\n' });
    const fromStdin = await cli.run(['import', '-'], { ...asB, input: 'FROM_STDIN=yes\n' });
    expect(fromStdin.stdout).toBe('imported -: 1 created, 0 updated, 0 skipped, 0 failed\n');
  });

  it('kept every value out of the server output', () => {
    for (const value of Object.values(EXPECTED).filter((v) => v.length > 8)) expect(server.output()).not.toContain(value);
  });
});
