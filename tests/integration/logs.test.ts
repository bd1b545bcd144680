/**
 * Failures are where values and tokens leak into logs: driver errors quote SQL, stack traces
 * carry arguments. Here the database fails underneath requests that carry a value or a token
 * (a table disappears), and the client gets a masked error while the log gets the detail and
 * still no value and no token (docs/api.md, errors; docs/encryption.md, what is never written).
 * Each test checks the log lines of its own requests, so any one of them can run alone.
 */
import { DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { CREATE_SECRET, createApiKey, createSecret, leaksIn, reveal, UPDATE_SECRET, useRecordedApp } from '../support/integration';
import { useDeveloper } from '../support/test-app';
import { withRaw } from '../support/raw-db';

async function renameTable(db: TestDatabase, from: string, to: string): Promise<void> {
  await withRaw(db, (raw) => raw.run(db.kind === 'mysql' ? `RENAME TABLE \`${from}\` TO \`${to}\`` : `ALTER TABLE "${from}" RENAME TO "${to}"`));
}

describe.each(DATABASE_KINDS)('logs on %s', (kind) => {
  const t = useRecordedApp(kind);
  const dev = useDeveloper(t, 'logs dev');
  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'logged', value: 'logged-value-version-1' });
  });

  /** The client sees a masked error; the log lines of that request are returned (and hold no value or token). */
  function expectMasked(response: { status: number; body: any; headers: Headers }, status = 200) {
    expect(response.status).toBe(status);
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].message).toBe('Unexpected error');
    const requestId = response.body.errors[0].extensions.requestId;
    expect(requestId).toBe(response.headers.get('x-request-id'));
    expect(JSON.stringify(response.body)).not.toMatch(/secret_versions|api_keys|SQL|stack/i);
    const lines = t.logs.filter((line) => line.includes(requestId));
    expect(lines.some((line) => /"level":50/.test(line))).toBe(true);
    expect(leaksIn(lines.join('\n'), t.sensitive)).toEqual([]);
    return lines.join('\n');
  }

  /** Nothing sensitive anywhere in the log so far, and the given strings were recorded as sensitive. */
  function expectNoLeaks(...mustBeRecorded: string[]) {
    for (const s of mustBeRecorded) expect(t.sensitive.has(s)).toBe(true);
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  }

  it('a create and an update that fail in the database: masked for the client, detailed in the log, no value', async () => {
    await renameTable(t.db, 'secret_versions', 'secret_versions_away');
    try {
      const created = await t.graphql(dev.token, CREATE_SECRET, { input: { name: 'never_stored', value: 'in-flight-create-value' } });
      const detail = expectMasked(created);
      expect(detail).toMatch(/secret_versions/); // the operator can see what went wrong
      expect(created.body.data).toBeNull();
      const updated = await t.graphql(dev.token, UPDATE_SECRET, { input: { name: 'logged', value: 'in-flight-update-value' } });
      expectMasked(updated);
    } finally {
      await renameTable(t.db, 'secret_versions_away', 'secret_versions');
    }
    // Nothing half-written.
    expect(await reveal(t, dev.token, 'never_stored')).toBeNull();
    expect(await reveal(t, dev.token, 'logged')).toBe('logged-value-version-1');
    expectNoLeaks('in-flight-create-value', 'in-flight-update-value', dev.token);
  });

  it('authentication that fails in the database: HTTP 500, masked, and no token in the log', async () => {
    // A key never used yet, so no cache of verified keys can answer for it: the lookup hits the database.
    const fresh = await createApiKey(t, dev.token, { name: 'logs fresh key', scopes: ['secrets:read'] });
    await renameTable(t.db, 'api_keys', 'api_keys_away');
    try {
      expectMasked(await t.graphql(fresh.token, '{ me { id } }'), 500);
    } finally {
      await renameTable(t.db, 'api_keys_away', 'api_keys');
    }
    expect((await t.graphql(fresh.token, '{ me { id } }')).status).toBe(200);
    expectNoLeaks(fresh.token);
  });
});
