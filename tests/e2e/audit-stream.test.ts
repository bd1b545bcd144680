import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliSandbox, type ServerProcess, startServerProcess } from '../support/processes';

/** LOCKSMITH_AUDIT_LOG: every committed audit record as one JSON line, with its chain hash; never a value. */

const VALUE = 'sk-audit-stream-value-51c0f7';
const UPDATED = 'sk-audit-stream-value-2-a9e4';

interface Line {
  type: string;
  id: string;
  developerId: string;
  chain: string;
  seq: number;
  action: string;
  secretName: string | null;
  prevHash: string;
  hash: string;
  [key: string]: unknown;
}

async function gql(server: ServerProcess, query: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.credentials.apiKey}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const readLines = (path: string): Line[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
    : [];

/** Within each (developer, chain), records come in seq order and each names its predecessor's hash. */
function expectChained(lines: Line[]) {
  const last = new Map<string, Line>();
  for (const line of lines) {
    const key = `${line.developerId}/${line.chain}`;
    const previous = last.get(key);
    if (previous) expect({ seq: line.seq, prevHash: line.prevHash }).toEqual({ seq: previous.seq + 1, prevHash: previous.hash });
    last.set(key, line);
  }
}

describe('audit streaming', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'locksmith-audit-stream-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('file:<path> gets every record in commit order with its hash, never a value; SIGHUP reopens it for rotation; audit export prints the same records', async () => {
    const path = join(dir, 'audit.log');
    const server = await startServerProcess({ dataDir: join(dir, 'data'), env: { LOCKSMITH_AUDIT_LOG: `file:${path}` } });
    const cli = new CliSandbox({ LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey });
    try {
      await gql(server, `mutation { createSecret(input: { name: "streamed", value: "${VALUE}" }) { __typename } }`);
      await Promise.all([1, 2, 3].map(() => gql(server, '{ secret(name: "streamed") { value } }')));
      await gql(server, `mutation { updateSecret(input: { name: "streamed", value: "${UPDATED}" }) { __typename } }`);

      const lines = readLines(path);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const mine = lines.filter((l) => l.developerId === server.credentials.developerId);
      expect(mine.filter((l) => l.secretName === 'streamed').map((l) => l.action)).toEqual([
        'secret.create',
        'secret.reveal',
        'secret.reveal',
        'secret.reveal',
        'secret.update',
      ]);
      expect(lines.every((l) => l.type === 'audit' && /^[0-9a-f]{64}$/.test(l.hash))).toBe(true);
      expectChained(lines);
      const raw = readFileSync(path, 'utf8');
      expect(raw).not.toContain(VALUE);
      expect(raw).not.toContain(UPDATED);

      // The stream and the database agree, hashes included.
      const exported = await cli.run(['audit', 'export', '--since', '1h', '--format', 'jsonl']);
      expect(exported.code).toBe(0);
      const fromApi = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
      expect(fromApi).toEqual(mine);

      // Rotation: move the file away, SIGHUP, and new records go to a new file at the path.
      renameSync(path, `${path}.1`);
      process.kill(server.pid, 'SIGHUP');
      let after: Line[] = [];
      for (let i = 0; i < 100 && after.length === 0; i++) {
        await gql(server, '{ secret(name: "streamed") { value } }');
        after = readLines(path);
        if (after.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(after.map((l) => l.action)).toContain('secret.reveal');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const rotated = readLines(`${path}.1`);
      expect(rotated.filter((l) => after.some((a) => a.id === l.id))).toEqual([]);
      expectChained([...rotated, ...after]);
    } finally {
      expect(await server.stop()).toBe(0);
      cli.remove();
    }
    expect(server.output()).not.toContain(VALUE);
  }, 90_000);

  it('stdout gets the same JSON lines, next to the logs', async () => {
    const server = await startServerProcess({ dataDir: join(dir, 'data'), env: { LOCKSMITH_AUDIT_LOG: 'stdout' } });
    try {
      await gql(server, `mutation { createSecret(input: { name: "to_stdout", value: "${VALUE}" }) { __typename } }`);
      await gql(server, '{ secret(name: "to_stdout") { value } }');
    } finally {
      await server.stop();
    }
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"type":"audit"'))
      .map((l) => JSON.parse(l) as Line);
    expect(lines.filter((l) => l.secretName === 'to_stdout').map((l) => l.action)).toEqual(['secret.create', 'secret.reveal']);
    expect(server.output()).not.toContain(VALUE);
  }, 90_000);
});
