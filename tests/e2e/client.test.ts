import { Readable, Writable } from 'node:stream';
import { createClient, LocksmithError, type FetchLike, type LocksmithClient } from '../../src';
import { run } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The typed client against the whole app in-process (real schema, services, SQLite and key
 * provider; only the socket is replaced by yoga.fetch): typed results and typed errors.
 */

let t: TestApp;
let client: LocksmithClient;
let token: string;
const inProcess: FetchLike = (url, init) => t.app.yoga.fetch(url, init);

beforeAll(async () => {
  t = await startTestApp('sqlite');
  token = (await t.createDeveloper('client-tests')).token;
  client = createClient({ url: 'http://locksmith.test', token, fetch: inProcess });
});

afterAll(async () => {
  await t?.close();
});

async function caught(promise: Promise<unknown>): Promise<LocksmithError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LocksmithError);
    return error as LocksmithError;
  }
  throw new Error('expected a LocksmithError');
}

describe('secrets', () => {
  it('creates, reads metadata, reveals, updates and lists history with typed results', async () => {
    const created = await client.secrets.create({ name: 'stripe_key', value: 'sk-client-1', metadata: { env: 'prod', n: 1 } });
    expect(created).toMatchObject({ name: 'stripe_key', version: 1, metadata: { env: 'prod', n: 1 }, description: null });
    expect(created).not.toHaveProperty('value');
    expect(await client.secrets.get('stripe_key')).toMatchObject({ name: 'stripe_key', version: 1 });
    expect(await client.secrets.get('absent')).toBeNull();
    expect((await client.secrets.reveal('stripe_key')).value).toBe('sk-client-1');

    const updated = await client.secrets.update({ name: 'stripe_key', value: 'sk-client-2', expectedVersion: 1, description: 'Stripe' });
    expect(updated).toMatchObject({ version: 2, description: 'Stripe' });
    expect((await client.secrets.revealVersion('stripe_key', 1)).value).toBe('sk-client-1');
    expect((await client.secrets.history('stripe_key')).items.map((v) => v.version)).toEqual([2, 1]);
  });

  it('pages: list returns one page; listAll and historyAll follow cursors', async () => {
    for (const name of ['page_a', 'page_b', 'page_c', 'page_d', 'page_e']) await client.secrets.create({ name, value: 'v', metadata: { paged: true } });
    const filter = { metadata: { paged: true } };
    const first = await client.secrets.list({ first: 2, filter });
    expect(first.items.map((s) => s.name)).toEqual(['page_a', 'page_b']);
    expect(first.hasNextPage).toBe(true);
    const second = await client.secrets.list({ first: 2, after: first.endCursor, filter });
    expect(second.items.map((s) => s.name)).toEqual(['page_c', 'page_d']);

    const all: string[] = [];
    for await (const secret of client.secrets.listAll({ filter, pageSize: 2 })) all.push(secret.name);
    expect(all).toEqual(['page_a', 'page_b', 'page_c', 'page_d', 'page_e']);

    for (let i = 2; i <= 4; i++) await client.secrets.update({ name: 'page_a', value: `v${i}` });
    const versions: number[] = [];
    for await (const version of client.secrets.historyAll('page_a', { pageSize: 1 })) versions.push(version.version);
    expect(versions).toEqual([4, 3, 2, 1]);

    const revealed: Array<[string, string]> = [];
    for await (const s of client.secrets.revealAll({ filter: { namePrefix: 'page_' }, pageSize: 3 })) revealed.push([s.name, s.value]);
    expect(revealed).toHaveLength(5);
    expect(revealed[0]).toEqual(['page_a', 'v4']);
  });

  it('rolls back, destroys a version, and reads and verifies the audit log', async () => {
    const rolledBack = await client.secrets.rollback({ name: 'stripe_key', version: 1 });
    expect(rolledBack.version).toBe(3);
    expect((await client.secrets.reveal('stripe_key')).value).toBe('sk-client-1');
    expect((await client.secrets.destroyVersion('stripe_key', 2)).destroyed).toBe(true);
    const page = await client.audit.list({ first: 2, filter: { secretName: 'stripe_key' } });
    expect(page.items.map((e) => e.action)).toEqual(['secret.destroy_version', 'secret.reveal']);
    const all: string[] = [];
    for await (const event of client.audit.listAll({ filter: { actions: ['secret.create'] }, pageSize: 2 })) all.push(event.secretName ?? '');
    expect(all).toContain('stripe_key');
    expect(await client.audit.verify()).toMatchObject({ ok: true, firstBrokenSeq: null });
  });

  it('deletes and restores', async () => {
    const deleted = await client.secrets.delete('page_e');
    expect(deleted.deletedAt).not.toBeNull();
    expect(await client.secrets.get('page_e')).toBeNull();
    expect((await client.secrets.restore('page_e')).deletedAt).toBeNull();
  });
});

describe('typed errors', () => {
  it('surfaces union error members with code, message and their extra fields', async () => {
    const invalid = await caught(client.secrets.create({ name: '1bad', value: 'x' }));
    expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name', typename: 'ValidationError' });
    expect(invalid.message).toMatch(/must start with a letter/);

    const taken = await caught(client.secrets.create({ name: 'stripe_key', value: 'x' }));
    expect(taken).toMatchObject({ code: 'NAME_TAKEN', secretName: 'stripe_key' });

    const conflict = await caught(client.secrets.update({ name: 'stripe_key', value: 'x', expectedVersion: 1 }));
    expect(conflict).toMatchObject({ code: 'VERSION_CONFLICT', expectedVersion: 1, currentVersion: 3 });

    expect(await caught(client.secrets.update({ name: 'absent', value: 'x' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await caught(client.secrets.reveal('absent'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await caught(client.secrets.history('absent'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('maps HTTP 401 to UNAUTHENTICATED', async () => {
    const anonymous = createClient({ url: 'http://locksmith.test/graphql', fetch: inProcess });
    expect(await caught(anonymous.me())).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    const wrong = createClient({ url: 'http://locksmith.test', token: 'lsk_nope', fetch: inProcess });
    const error = await caught(wrong.secrets.list());
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).not.toContain('lsk_nope');
  });

  it('maps top-level GraphQL errors to their extensions.code (FORBIDDEN for a missing scope)', async () => {
    const { token: readOnly } = await client.apiKeys.create({ name: 'reader', scopes: ['secrets:read'] });
    const reader = createClient({ url: 'http://locksmith.test', token: readOnly, fetch: inProcess });
    expect((await reader.secrets.get('stripe_key'))?.name).toBe('stripe_key');
    const forbidden = await caught(reader.secrets.reveal('stripe_key'));
    expect(forbidden.code).toBe('FORBIDDEN');
    expect(forbidden.message).toMatch(/secrets:reveal/);
    // A mutation's ForbiddenError is a union member: same code for the caller.
    expect(await caught(reader.secrets.create({ name: 'x', value: 'y' }))).toMatchObject({ code: 'FORBIDDEN', typename: 'ForbiddenError' });
  });
});

describe('api keys and developers', () => {
  it('creates, lists and revokes API keys; the admin token creates developers only', async () => {
    const issued = await client.apiKeys.create({ name: 'temp', scopes: ['secrets:read'] });
    expect(issued.token).toMatch(/^lsk_/);
    const listed = await client.apiKeys.list();
    expect(listed.map((k) => k.name)).toContain('temp');
    expect(JSON.stringify(listed)).not.toContain(issued.token);
    expect((await client.apiKeys.revoke(issued.apiKey.id)).revokedAt).not.toBeNull();
    expect(await caught(client.apiKeys.revoke('missing'))).toMatchObject({ code: 'NOT_FOUND' });

    const admin = createClient({ url: 'http://locksmith.test', token: t.adminToken, fetch: inProcess });
    const { developer, apiKey } = await admin.developers.create('other');
    expect(developer.name).toBe('other');
    const other = createClient({ url: 'http://locksmith.test', token: apiKey.token, fetch: inProcess });
    expect(await other.me()).toEqual(developer);
    expect(await caught(admin.me())).toMatchObject({ code: 'FORBIDDEN' });
    expect(await caught(client.developers.create('nope'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await caught(admin.developers.create(''))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
  });
});

describe('tasks', () => {
  it('validates and runs a task; a failed run is a result, not an exception', async () => {
    const task = 'steps:\n  - kind: evaluate\n    evaluate: { k: secrets.stripe_key, n: "inputs.n * 2" }\n';
    expect(await client.tasks.validate(task)).toEqual({
      valid: true,
      secrets: ['stripe_key'],
      problems: [],
      // k is computed from a secret, so it will come back as [secret:stripe_key].
      warnings: [expect.objectContaining({ line: 3, message: expect.stringContaining("'k' is computed from a secret") })],
    });
    const invalid = await client.tasks.validate('steps:\n  - kind: evaluate\n    evaluate: { k: secrets.nope }\n');
    expect(invalid).toMatchObject({ valid: false, problems: [{ line: 3, message: expect.stringContaining("'nope'") }] });
    const run = await client.tasks.run({ task, input: { n: 21 } });
    expect(run).toMatchObject({ status: 'SUCCEEDED', usedSecrets: ['stripe_key'], steps: [{ index: 0, kind: 'evaluate', output: { k: '[secret:stripe_key]', n: 42 } }] });
    expect((await client.tasks.run({ task, input: {} })).status).toBe('FAILED');
  });
});

describe('CLI in-process', () => {
  it('draws a progress bar on stderr only when stderr is a terminal', async () => {
    const io = (tty: boolean, input: string) => {
      let stdout = '';
      let stderr = '';
      const sink = (append: (s: string) => void) =>
        new Writable({
          write(chunk, _enc, done) {
            append(String(chunk));
            done();
          },
        });
      const err = Object.assign(sink((s) => (stderr += s)), { isTTY: tty, columns: 80 });
      const value: CliIo = {
        stdout: sink((s) => (stdout += s)),
        stderr: err,
        stdin: Readable.from([input]),
        env: { LOCKSMITH_URL: 'http://locksmith.test', LOCKSMITH_TOKEN: token },
        cwd: process.cwd(),
      };
      return { io: value, out: () => ({ stdout, stderr }) };
    };
    const tty = io(true, 'BAR_ONE=1\nBAR_TWO=2\n');
    expect(await run(['node', 'locksmith', 'import', '-'], { io: tty.io, fetch: inProcess })).toBe(0);
    expect(tty.out().stderr).toContain('importing [');
    expect(tty.out().stdout).toBe('imported -: 2 created, 0 updated, 0 skipped, 0 failed\n');

    const piped = io(false, 'BAR_THREE=3\n');
    expect(await run(['node', 'locksmith', 'import', '-'], { io: piped.io, fetch: inProcess })).toBe(0);
    expect(piped.out().stderr).toBe('');
  });
});
