/**
 * Encryption at rest (docs/encryption.md), checked from outside the app: raw rows through a direct
 * connection and, for SQLite, the bytes of the database and WAL files. No plaintext value, data
 * key or token is stored; a tampered or transplanted ciphertext does not open and the client
 * sees only a masked error; master-key rotation keeps old data readable and the keys are really
 * used (removing or altering one makes its data unreadable).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createTestDatabase, DATABASE_KINDS, type DatabaseKind, type TestDatabase } from '../support/databases';
import {
  createApiKey,
  createSecret,
  leaksIn,
  query,
  record,
  reveal,
  type Recorded,
  updateSecret,
  useRecordedApp,
} from '../support/integration';
import { dumpAllRows, sqliteFiles, withRaw } from '../support/raw-db';
import { step } from '../support/steps';
import { startTestApp, useDeveloper, useTestDatabase, withTestApp } from '../support/test-app';

/** The forms a leaked string could take in a row or a file. */
function encodings(s: string | Buffer): string[] {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const forms = [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
  if (typeof s === 'string') forms.unshift(s);
  return forms;
}

/** Every place in the database (rows, and SQLite's files) where one of `needles` appears. */
async function findInDatabase(db: TestDatabase, needles: Array<string | Buffer>): Promise<string[]> {
  const hits: string[] = [];
  const rows = await dumpAllRows(db);
  for (const { table, row } of rows) {
    for (const [column, cell] of Object.entries(row)) {
      const text = Buffer.isBuffer(cell) ? null : typeof cell === 'string' ? cell : JSON.stringify(cell);
      for (const needle of needles) {
        const raw = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle;
        if (Buffer.isBuffer(cell) && cell.includes(raw)) hits.push(`${table}.${column} (bytes)`);
        if (text !== null && encodings(needle).some((form) => text.includes(form))) hits.push(`${table}.${column}`);
      }
    }
  }
  for (const { path, bytes } of sqliteFiles(db)) {
    for (const needle of needles) {
      for (const form of [...encodings(needle), typeof needle === 'string' ? null : needle]) {
        if (form !== null && bytes.includes(typeof form === 'string' ? Buffer.from(form, 'utf8') : form)) hits.push(path);
      }
    }
  }
  return hits;
}

async function secretRowId(db: TestDatabase, developerId: string, name: string): Promise<string> {
  return withRaw(db, async (raw) => {
    const rows = await raw.all('SELECT id FROM secrets WHERE developer_id = ? AND name = ? AND deleted_at IS NULL', [developerId, name]);
    if (rows.length !== 1) throw new Error(`expected one live secret ${name}, got ${rows.length}`);
    return String(rows[0]!.id);
  });
}

async function readCiphertext(db: TestDatabase, secretId: string, version: number): Promise<{ ciphertext: Buffer; dataKeyId: string }> {
  return withRaw(db, async (raw) => {
    const [row] = await raw.all('SELECT ciphertext, data_key_id FROM secret_versions WHERE secret_id = ? AND version = ?', [secretId, version]);
    return { ciphertext: Buffer.from(row!.ciphertext as Buffer), dataKeyId: String(row!.data_key_id) };
  });
}

async function writeCiphertext(db: TestDatabase, secretId: string, version: number, ciphertext: Buffer, dataKeyId?: string): Promise<void> {
  await withRaw(db, async (raw) => {
    const changed = dataKeyId
      ? await raw.run('UPDATE secret_versions SET ciphertext = ?, data_key_id = ? WHERE secret_id = ? AND version = ?', [ciphertext, dataKeyId, secretId, version])
      : await raw.run('UPDATE secret_versions SET ciphertext = ? WHERE secret_id = ? AND version = ?', [ciphertext, secretId, version]);
    if (changed !== 1) throw new Error(`expected to change one row, changed ${changed}`);
  });
}

/** Asserts a read failed closed: masked message, a request id, no value, no internals. */
function expectMaskedFailure(response: { status: number; body: any; headers: Headers }, mustNotContain: string[]) {
  expect(response.status).toBe(200);
  expect(response.body.errors).toHaveLength(1);
  const [error] = response.body.errors;
  expect(error.message).toBe('Unexpected error');
  expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) });
  expect(error.extensions.requestId).toBe(response.headers.get('x-request-id'));
  const text = JSON.stringify(response.body);
  for (const s of mustNotContain) expect(text).not.toContain(s);
  expect(text).not.toMatch(/stack|Envelope|cipher|authenticat|\/work\/|node_modules|\.ts:\d/i);
  return error.extensions.requestId as string;
}

describe.each(DATABASE_KINDS)('encryption at rest on %s', (kind) => {
  const t = useRecordedApp(kind);
  const dev = useDeveloper(t, 'crypto dev');
  const canary = `PLAINTEXT-CANARY-${randomBytes(8).toString('hex')}`;
  const canary2 = `ключ-🔑-CANARY-2-${randomBytes(8).toString('hex')}`;

  it('no value, token or data key appears in any row or database file (while running and after shutdown)', async () => {
    const db = await createTestDatabase(kind, { migrated: true });
    const app = record(await startTestApp(kind, { database: db }));
    try {
      const d = await app.createDeveloper('leak check');
      await createSecret(app, d.token, { name: 'canary', value: canary, description: 'not secret', metadata: { env: 'prod' } });
      await updateSecret(app, d.token, { name: 'canary', value: canary2 });
      await createSecret(app, d.token, { name: 'canary_big', value: canary.repeat(500) });
      expect(await reveal(app, d.token, 'canary')).toBe(canary2);
      const key = await createApiKey(app, d.token, { name: 'extra', scopes: ['secrets:read'] });
      const dataKey = (await app.app.dataKeys.current(d.id)).key;
      expect(dataKey).toHaveLength(32);

      if (kind === 'sqlite') {
        // WAL mode (src/db/connect.ts): recent writes live in the -wal file, which is scanned too.
        expect(sqliteFiles(db).find((f) => f.path.endsWith('-wal'))?.bytes.length ?? 0).toBeGreaterThan(0);
      }
      const tokens = [app.adminToken, d.token, key.token];
      const needles = [canary, canary2, ...tokens, Buffer.from(dataKey)];
      expect(await findInDatabase(db, needles)).toEqual([]);
      // Control: the scanner does find what is stored in clear (a description is not secret).
      const control = await findInDatabase(db, ['not secret']);
      expect(control).toContain('secrets.description');
      if (kind === 'sqlite') expect(control.some((hit) => hit.startsWith(db.location))).toBe(true);

      // Only the SHA-256 of each token is stored.
      const stored = await withRaw(db, (raw) => raw.all('SELECT token_hash FROM api_keys WHERE developer_id = ?', [d.id]));
      expect(stored.map((r) => r.token_hash).sort()).toEqual(
        [d.token, key.token].map((tok) => createHash('sha256').update(tok).digest('hex')).sort(),
      );
      // The ciphertext is there, and not the value.
      const id = await secretRowId(db, d.id, 'canary');
      const { ciphertext } = await readCiphertext(db, id, 2);
      expect(ciphertext.length).toBeGreaterThanOrEqual(Buffer.byteLength(canary2) + 12 + 16);

      await app.close();
      expect(await findInDatabase(db, needles)).toEqual([]);
      if (kind === 'sqlite') expect(sqliteFiles(db).length).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });

  describe('tampering', () => {
    it('a flipped ciphertext byte: reading the value fails with a masked error and a request id', async () => {
      await createSecret(t, dev.token, { name: 'tamper_me', value: 'tamper-me-value-1', metadata: { m: 1 } });
      const id = await secretRowId(t.db, dev.id, 'tamper_me');
      const original = await readCiphertext(t.db, id, 1);
      const tampered = Buffer.from(original.ciphertext);
      tampered[20] = tampered[20]! ^ 0x01;
      await writeCiphertext(t.db, id, 1, tampered);

      const response = await t.graphql(dev.token, '{ secret(name: "tamper_me") { name value } }');
      const requestId = expectMaskedFailure(response, ['tamper-me-value-1']);
      expect(response.body.data).toEqual({ secret: null });
      // The log has the detail, under the same request id, and still no value.
      const logged = t.logs.filter((line) => line.includes(requestId));
      expect(logged.length).toBeGreaterThan(0);
      expect(logged.join('\n')).not.toContain('tamper-me-value-1');
      // Everything but the value still works.
      const meta = await query(t, dev.token, '{ secret(name: "tamper_me") { name version metadata } }');
      expect(meta.secret).toEqual({ name: 'tamper_me', version: 1, metadata: { m: 1 } });
      // Proof that the flipped byte was the cause.
      await writeCiphertext(t.db, id, 1, original.ciphertext);
      expect(await reveal(t, dev.token, 'tamper_me')).toBe('tamper-me-value-1');
    });

    it('a truncated or emptied ciphertext fails the same way', async () => {
      await createSecret(t, dev.token, { name: 'truncate_me', value: 'truncate-me-value' });
      const id = await secretRowId(t.db, dev.id, 'truncate_me');
      const original = await readCiphertext(t.db, id, 1);
      for (const broken of [original.ciphertext.subarray(0, original.ciphertext.length - 1), Buffer.alloc(0), Buffer.alloc(64)]) {
        await writeCiphertext(t.db, id, 1, broken);
        expectMaskedFailure(await t.graphql(dev.token, '{ secret(name: "truncate_me") { value } }'), ['truncate-me-value']);
      }
      await writeCiphertext(t.db, id, 1, original.ciphertext);
      expect(await reveal(t, dev.token, 'truncate_me')).toBe('truncate-me-value');
    });

    it('a ciphertext copied onto another secret’s row does not open', async () => {
      await createSecret(t, dev.token, { name: 'copy_src', value: 'copy-source-value' });
      await createSecret(t, dev.token, { name: 'copy_dst', value: 'copy-destination-value' });
      const src = await secretRowId(t.db, dev.id, 'copy_src');
      const dst = await secretRowId(t.db, dev.id, 'copy_dst');
      const source = await readCiphertext(t.db, src, 1);
      const destination = await readCiphertext(t.db, dst, 1);
      expect(source.dataKeyId).toBe(destination.dataKeyId); // same data key: only the binding can stop it
      await writeCiphertext(t.db, dst, 1, source.ciphertext);
      expectMaskedFailure(await t.graphql(dev.token, '{ secret(name: "copy_dst") { value } }'), ['copy-source-value', 'copy-destination-value']);
      await writeCiphertext(t.db, dst, 1, destination.ciphertext);
      expect(await reveal(t, dev.token, 'copy_dst')).toBe('copy-destination-value');
    });

    it('a ciphertext copied onto another version of the same secret does not open', async () => {
      await createSecret(t, dev.token, { name: 'copy_version', value: 'copy-version-value-1' });
      await updateSecret(t, dev.token, { name: 'copy_version', value: 'copy-version-value-2' });
      const id = await secretRowId(t.db, dev.id, 'copy_version');
      const v1 = await readCiphertext(t.db, id, 1);
      const v2 = await readCiphertext(t.db, id, 2);
      await writeCiphertext(t.db, id, 2, v1.ciphertext);
      expectMaskedFailure(await t.graphql(dev.token, '{ secret(name: "copy_version") { value } }'), ['copy-version-value']);
      // Version 1 itself is untouched.
      const old = await query(t, dev.token, '{ secretVersion(name: "copy_version", version: 1) { value } }');
      expect(old.secretVersion.value).toBe('copy-version-value-1');
      await writeCiphertext(t.db, id, 2, v2.ciphertext);
      expect(await reveal(t, dev.token, 'copy_version')).toBe('copy-version-value-2');
    });

    it('another developer’s ciphertext (and data key id) copied onto a row does not open', async () => {
      const other = await t.createDeveloper('crypto other');
      await createSecret(t, other.token, { name: 'foreign', value: 'foreign-private-value' });
      await createSecret(t, dev.token, { name: 'mine', value: 'mine-own-value' });
      const foreign = await readCiphertext(t.db, await secretRowId(t.db, other.id, 'foreign'), 1);
      const mineId = await secretRowId(t.db, dev.id, 'mine');
      const mine = await readCiphertext(t.db, mineId, 1);
      expect(foreign.dataKeyId).not.toBe(mine.dataKeyId);
      for (const dataKeyId of [undefined, foreign.dataKeyId]) {
        await writeCiphertext(t.db, mineId, 1, foreign.ciphertext, dataKeyId);
        expectMaskedFailure(await t.graphql(dev.token, '{ secret(name: "mine") { value } }'), ['foreign-private-value', 'mine-own-value']);
      }
      await writeCiphertext(t.db, mineId, 1, mine.ciphertext, mine.dataKeyId);
      expect(await reveal(t, dev.token, 'mine')).toBe('mine-own-value');
    });
  });

  it('concurrent writers of several developers each get their own newest data key, a rotation seen at once', async () => {
    const other = await t.createDeveloper('crypto other');
    const [mine, theirs] = await Promise.all([t.app.dataKeys.current(dev.id), t.app.dataKeys.current(other.id)]);
    expect(mine.id).not.toBe(theirs.id);
    const rotated = await t.app.dataKeys.rotate(dev.id);
    // Read together in one batch: each developer's newest, the rotation included.
    const after = await Promise.all([t.app.dataKeys.current(dev.id), t.app.dataKeys.current(other.id), t.app.dataKeys.current(dev.id)]);
    expect(after.map((k) => k.id)).toEqual([rotated.id, theirs.id, rotated.id]);
    expect(after[0]!.key.equals(mine.key)).toBe(false);
  });

  it('reads use the cached data key: no key-provider call per read', async () => {
    await createSecret(t, dev.token, { name: 'cached', value: 'cached-value-1' });
    expect(await reveal(t, dev.token, 'cached')).toBe('cached-value-1');
    const before = t.app.dataKeys.stats.providerCalls;
    for (let i = 0; i < 5; i++) expect(await reveal(t, dev.token, 'cached')).toBe('cached-value-1');
    expect(t.app.dataKeys.stats.providerCalls).toBe(before);
  });

  it('wrote no secret value or token to the log, even for failed reads', () => {
    expect(t.logs.some((line) => line.includes('unexpected error'))).toBe(true);
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  });
});

describe.each(DATABASE_KINDS)('master key rotation on %s', (kind: DatabaseKind) => {
  const oldKey = `mk-old:${randomBytes(32).toString('base64')}`;
  const newKey = `mk-new:${randomBytes(32).toString('base64')}`;
  const forgedOldKey = `mk-old:${randomBytes(32).toString('base64')}`;
  const db = useTestDatabase(kind);
  let d: { id: string; token: string };
  let e: { id: string; token: string };
  const allLogs: string[] = [];
  const sensitive = new Set<string>();

  /** An app on the data with these master keys; its log lines are kept for the leak check at the end. */
  function withApp(keys: string, fn: (app: Recorded) => Promise<void>) {
    return withTestApp(kind, { database: db, env: { LOCKSMITH_MASTER_KEYS: keys } }, async (started) => {
      const app = record(started, sensitive);
      try {
        await fn(app);
      } finally {
        allLogs.push(...app.logs);
      }
    });
  }

  const dataKeyRows = (developerId: string) =>
    withRaw(db, (raw) => raw.all('SELECT id, generation, provider, key_ref FROM data_keys WHERE developer_id = ? ORDER BY generation', [developerId]));

  const versionKey = async (developerId: string, name: string, version: number) =>
    (await readCiphertext(db, await secretRowId(db, developerId, name), version)).dataKeyId;

  // Each start is a step the next stands on: a test awaits the starts before its own, which run
  // once (tests/support/steps.ts), so any test can run alone.
  const oldKeyOnly = step(async () => {
    await withApp(oldKey, async (app) => {
      d = await app.createDeveloper('rotation dev');
      await createSecret(app, d.token, { name: 'before_rotation', value: 'value-before-rotation' });
      expect(await dataKeyRows(d.id)).toEqual([{ id: expect.any(String), generation: 1, provider: 'local', key_ref: 'mk-old' }]);
    });
  });

  it('1. with only the old master key, data keys are wrapped by it', () => oldKeyOnly());

  const oldAndNew = step(async () => {
    await oldKeyOnly();
    await withApp(`${oldKey},${newKey}`, async (app) => {
      expect(await reveal(app, d.token, 'before_rotation')).toBe('value-before-rotation');
      // A new developer's first data key is under the new master key at once.
      e = await app.createDeveloper('new dev');
      await createSecret(app, e.token, { name: 'e_secret', value: 'value-of-new-developer' });
      expect((await dataKeyRows(e.id)).map((r) => r.key_ref)).toEqual(['mk-new']);
      // Rotating D's data key: a generation wrapped by the new master key, used for new writes at once.
      const rotated = await app.app.dataKeys.rotate(d.id);
      const rows = await dataKeyRows(d.id);
      expect(rows.map((r) => [r.generation, r.key_ref])).toEqual([
        [1, 'mk-old'],
        [2, 'mk-new'],
      ]);
      expect(rows[1]!.id).toBe(rotated.id);
      await createSecret(app, d.token, { name: 'after_rotation', value: 'value-after-rotation' });
      await updateSecret(app, d.token, { name: 'before_rotation', value: 'value-before-rotation-v2' });
      expect(await versionKey(d.id, 'after_rotation', 1)).toBe(rotated.id);
      expect(await versionKey(d.id, 'before_rotation', 2)).toBe(rotated.id);
      expect(await versionKey(d.id, 'before_rotation', 1)).toBe(rows[0]!.id);
      // Everything reads.
      expect(await reveal(app, d.token, 'after_rotation')).toBe('value-after-rotation');
      expect(await reveal(app, d.token, 'before_rotation')).toBe('value-before-rotation-v2');
      const v1 = await query(app, d.token, '{ secretVersion(name: "before_rotation", version: 1) { value } }');
      expect(v1.secretVersion.value).toBe('value-before-rotation');
    });
  });

  it('2. old + new: old secrets still read, new data keys are wrapped by the new key and used for new writes', () => oldAndNew());

  const newKeyOnly = step(async () => {
    await oldAndNew();
    await withApp(newKey, async (app) => {
      expect(await reveal(app, d.token, 'after_rotation')).toBe('value-after-rotation');
      expect(await reveal(app, d.token, 'before_rotation')).toBe('value-before-rotation-v2');
      expect(await reveal(app, e.token, 'e_secret')).toBe('value-of-new-developer');
      const old = await app.graphql(d.token, '{ secretVersion(name: "before_rotation", version: 1) { version value } }');
      expectMaskedFailure(old, ['value-before-rotation']);
    });
  });

  it('3. only the new key: data under it reads, data under the dropped old key does not', () => newKeyOnly());

  const forgedOldKeyId = step(async () => {
    await newKeyOnly();
    await withApp(`${forgedOldKey},${newKey}`, async (app) => {
      const old = await app.graphql(d.token, '{ secretVersion(name: "before_rotation", version: 1) { value } }');
      expectMaskedFailure(old, ['value-before-rotation']);
      expect(await reveal(app, d.token, 'after_rotation')).toBe('value-after-rotation');
    });
  });

  it('4. a different key under the old key id does not open the old data: the key bytes are what matter', () => forgedOldKeyId());

  const oldKeyAgain = step(async () => {
    await forgedOldKeyId();
    await withApp(oldKey, async (app) => {
      const old = await query(app, d.token, '{ secretVersion(name: "before_rotation", version: 1) { value } }');
      expect(old.secretVersion.value).toBe('value-before-rotation');
      expectMaskedFailure(await app.graphql(d.token, '{ secret(name: "after_rotation") { value } }'), ['value-after-rotation']);
      expectMaskedFailure(await app.graphql(e.token, '{ secret(name: "e_secret") { value } }'), ['value-of-new-developer']);
    });
  });

  it('5. only the old key: the old data reads again, data under the new key does not', () => oldKeyAgain());

  it('no master key, value or token in the logs of any of these runs', async () => {
    await oldKeyAgain();
    expect(allLogs.length).toBeGreaterThan(0);
    const keyMaterial = [oldKey, newKey, forgedOldKey].map((k) => k.slice(k.indexOf(':') + 1));
    expect(leaksIn(allLogs.join('\n'), [...sensitive, ...keyMaterial])).toEqual([]);
  });
});
