/**
 * Input rules of docs/api.md (Rules for secrets) at their edges: names, values (bytes of UTF-8, not characters),
 * metadata (flat, typed, at most 50 keys). A rejected request changes nothing. Names are
 * case-sensitive on every database, including a MariaDB database created with the server's
 * default (case-insensitive) collation.
 */
import { createTestDatabase, DATABASE_KINDS, type DatabaseKind, type TestDatabase } from '../support/databases';
import {
  CREATE_SECRET,
  RESTORE_SECRET,
  createSecret,
  DELETE_SECRET,
  leaksIn,
  listNames,
  mutate,
  query,
  reveal,
  UPDATE_SECRET,
  updateSecret,
  useRecordedApp,
  utf8Length,
} from '../support/integration';
import { createMysqlDatabaseWithServerDefaults, openRaw, type RawDb } from '../support/raw-db';
import { step } from '../support/steps';
import { useDeveloper, useStarted, useTestDatabase } from '../support/test-app';

const KiB64 = 64 * 1024;

/** Row counts of the tables a secret write touches. */
async function counts(raw: RawDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['secrets', 'secret_versions', 'secret_metadata', 'data_keys']) {
    const [row] = await raw.all(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = Number(row!.n);
  }
  return out;
}

describe.each(DATABASE_KINDS)('rules on %s', (kind) => {
  const t = useRecordedApp(kind);
  const raw = useStarted(() => openRaw(t.db));
  const dev = useDeveloper(t, 'rules dev');
  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'anchor', value: 'anchor-value-1', metadata: { keep: 'me' } });
  });

  /** Asserts a create is refused with a ValidationError on `field`, and that nothing was stored. */
  async function expectCreateRejected(input: Record<string, unknown>, field: string) {
    const before = await counts(raw);
    const r = await mutate(t, dev.token, CREATE_SECRET, input);
    expect({ input: summarize(input), r }).toEqual({
      input: summarize(input),
      r: { __typename: 'ValidationError', code: 'VALIDATION_FAILED', field, message: expect.any(String) },
    });
    expect(await counts(raw)).toEqual(before);
    return r;
  }

  function summarize(input: Record<string, unknown>) {
    return Object.fromEntries(
      Object.entries(input).map(([k, v]) => [k, typeof v === 'string' && v.length > 40 ? `${v.slice(0, 20)}...(${v.length} chars)` : v]),
    );
  }

  describe('names', () => {
    it.each([
      ['one letter', 'a'],
      ['upper case', 'A'],
      ['letters, digits, underscores', 'Open_AI_key_2'],
      ['trailing underscore', 'key_'],
      ['128 characters', 'n'.repeat(128)],
    ])('accepts %s', async (_label, name) => {
      const s = await createSecret(t, dev.token, { name, value: 'name-rule-value' });
      expect(s.name).toBe(name);
      expect(await reveal(t, dev.token, name)).toBe('name-rule-value');
      expect((await mutate(t, dev.token, DELETE_SECRET, { name, force: true })).__typename).toBe('DeleteSecretPayload');
    });

    it.each([
      ['empty', ''],
      ['129 characters', 'n'.repeat(129)],
      ['a leading digit', '1password'],
      ['a leading underscore', '_private'],
      ['a space', 'my key'],
      ['a leading space', ' key'],
      ['a trailing space', 'key '],
      ['a dash', 'my-key'],
      ['a dot', 'my.key'],
      ['a trailing newline', 'key\n'],
      ['cyrillic letters', 'ключ'],
      ['an accented letter', 'clé'],
      ['a fullwidth letter', 'ｋey'],
      ['an emoji', 'key😀'],
      ['a SQL wildcard', 'key%'],
    ])('rejects %s, storing nothing', async (_label, name) => {
      await expectCreateRejected({ name, value: 'bad-name-value' }, 'name');
    });

    it('updates, deletes and restores also validate the name', async () => {
      for (const [doc, input] of [
        [UPDATE_SECRET, { name: 'bad-name', value: 'x-bad-update' }],
        [DELETE_SECRET, { name: 'bad-name' }],
      ] as const) {
        expect(await mutate(t, dev.token, doc, input)).toMatchObject({ __typename: 'ValidationError', field: 'name' });
      }
    });
  });

  describe('values', () => {
    let accepted = 0;
    it.each([
      ['1 byte', 'x'],
      ['a single space', ' '],
      ['control characters and quotes', '\u0000\n\t"\'\\'],
      ['65536 ASCII bytes', 'v'.repeat(KiB64)],
      ['65536 bytes of 2-byte characters', 'é'.repeat(KiB64 / 2)],
      ['65536 bytes of 4-byte characters', '😀'.repeat(KiB64 / 4)],
      ['65536 bytes of mixed widths', '€'.repeat(21845) + 'a'],
    ])('accepts %s and returns it unchanged', async (_label, value) => {
      expect(utf8Length(value)).toBeLessThanOrEqual(KiB64);
      const name = `value_ok_${++accepted}`;
      await createSecret(t, dev.token, { name, value });
      expect(await reveal(t, dev.token, name)).toBe(value);
      await updateSecret(t, dev.token, { name, value: value + '' });
      const v1 = await query(t, dev.token, 'query($n: String!) { secretVersion(name: $n, version: 1) { value } }', { n: name });
      expect(v1.secretVersion.value).toBe(value);
    });

    it.each([
      ['empty', ''],
      ['65537 ASCII bytes', 'v'.repeat(KiB64 + 1)],
      ['65538 bytes in 32769 2-byte characters (fewer than 64 Ki characters)', 'é'.repeat(KiB64 / 2 + 1)],
      ['65537 bytes: 4-byte characters plus one', '😀'.repeat(KiB64 / 4) + 'a'],
      ['65537 bytes: ASCII plus one 2-byte character', 'v'.repeat(KiB64 - 1) + 'é'],
      ['an unpaired surrogate (not UTF-8)', 'abc\ud800def'],
    ])('rejects %s, storing nothing', async (_label, value) => {
      await expectCreateRejected({ name: 'value_rejected', value }, 'value');
    });

    it('a rejected update keeps the current value and version', async () => {
      await createSecret(t, dev.token, { name: 'value_update', value: 'value-update-v1' });
      const before = await counts(raw);
      for (const value of ['', 'v'.repeat(KiB64 + 1)]) {
        expect(await mutate(t, dev.token, UPDATE_SECRET, { name: 'value_update', value })).toMatchObject({
          __typename: 'ValidationError',
          field: 'value',
        });
      }
      expect(await counts(raw)).toEqual(before);
      expect(await query(t, dev.token, '{ secret(name: "value_update") { version value } }')).toEqual({
        secret: { version: 1, value: 'value-update-v1' },
      });
    });
  });

  describe('metadata', () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i % 3 === 0 ? `s${i}` : i % 3 === 1 ? i : i % 2 === 0]));

    it('accepts a flat object of strings, numbers and booleans, up to 50 keys', async () => {
      const metadata = { str: 'x', empty: '', int: 42, neg: -7, float: 0.25, yes: true, no: false };
      const s = await createSecret(t, dev.token, { name: 'meta_flat', value: 'meta-flat-value', metadata });
      expect(s.metadata).toEqual(metadata);
      const fifty = await createSecret(t, dev.token, { name: 'meta_fifty', value: 'meta-fifty-value', metadata: keys(50) });
      expect(fifty.metadata).toEqual(keys(50));
      expect(Object.keys(fifty.metadata)).toHaveLength(50);
      expect(await listNames(t, dev.token, { metadata: { k49: 49 } })).toEqual(['meta_fifty']);
      expect(await listNames(t, dev.token, { metadata: { k0: 's0', k1: 1, k2: true } })).toEqual(['meta_fifty']);
    });

    it.each([
      ['51 keys', keys(51), 'metadata'],
      ['a nested object', { a: { b: 1 } }, 'metadata.a'],
      ['an array value', { a: [1, 2] }, 'metadata.a'],
      ['a null value', { a: null }, 'metadata.a'],
      ['an array', ['a', 'b'], 'metadata'],
      ['a string', 'env=prod', 'metadata'],
      ['a number', 5, 'metadata'],
    ])('rejects %s, storing nothing', async (_label, metadata, field) => {
      await expectCreateRejected({ name: 'meta_rejected', value: 'meta-rejected-value', metadata }, field);
    });

    it('a rejected metadata update keeps the current metadata', async () => {
      const before = await counts(raw);
      for (const metadata of [keys(51), { a: { b: 1 } }]) {
        expect(await mutate(t, dev.token, UPDATE_SECRET, { name: 'anchor', metadata })).toMatchObject({ __typename: 'ValidationError' });
      }
      expect(await counts(raw)).toEqual(before);
      expect(await query(t, dev.token, '{ secret(name: "anchor") { metadata version } }')).toEqual({
        secret: { metadata: { keep: 'me' }, version: 1 },
      });
      expect(await listNames(t, dev.token, { metadata: { keep: 'me' } })).toEqual(['anchor']);
    });

    it('keys that differ only by case are distinct keys, on every database', async () => {
      const metadata = { env: 'a', Env: 'b', ENV: 'c' };
      const r = await mutate(t, dev.token, CREATE_SECRET, { name: 'meta_keys', value: 'meta-keys-value', metadata });
      expect(r).toMatchObject({ __typename: 'CreateSecretPayload', secret: { metadata } });
      expect(await listNames(t, dev.token, { metadata: { Env: 'b' } })).toEqual(['meta_keys']);
      expect(await listNames(t, dev.token, { metadata: { env: 'a', ENV: 'c' } })).toEqual(['meta_keys']);
      expect(await listNames(t, dev.token, { metadata: { env: 'b' } })).toEqual([]);
    });

    // MariaDB compares with PAD SPACE ("env" = "env "), SQLite does not: such keys would behave
    // differently per database (on MariaDB the create failed as a bogus NameTakenError).
    it.each([
      ['a trailing space', { env: 'a', 'env ': 'b' }],
      ['a trailing space alone', { 'env ': 'b' }],
      ['a leading space', { ' env': 'b' }],
    ])('rejects keys with %s, storing nothing', async (_label, metadata) => {
      await expectCreateRejected({ name: 'meta_space', value: 'meta-space-value', metadata }, 'metadata');
    });
  });

  it('the anchor secret survived every rejected request', async () => {
    expect(await query(t, dev.token, '{ secret(name: "anchor") { version value metadata } }')).toEqual({
      secret: { version: 1, value: 'anchor-value-1', metadata: { keep: 'me' } },
    });
  });

  it('wrote no secret value or token to the log', () => {
    expect(leaksIn(t.logs.join('\n'), t.sensitive)).toEqual([]);
  });
});

type CaseDatabase = [label: string, kind: DatabaseKind, make: () => Promise<TestDatabase>];
const CASE_DATABASES: CaseDatabase[] = [
  ...DATABASE_KINDS.map((kind): CaseDatabase => [kind, kind, () => createTestDatabase(kind, { migrated: true })]),
  // What an operator gets from a plain CREATE DATABASE: utf8mb4_general_ci, case-insensitive.
  ...(DATABASE_KINDS.includes('mysql')
    ? [['mysql, database created with server defaults', 'mysql', () => createMysqlDatabaseWithServerDefaults()] as CaseDatabase]
    : []),
];

describe.each(CASE_DATABASES)('names are case-sensitive on %s', (_label, kind, makeDatabase) => {
  const db = useTestDatabase(kind, makeDatabase);
  const t = useRecordedApp(kind, () => ({ database: db }));
  const dev = useDeveloper(t, 'case dev');
  // `Key`, then `key`: the second test writes to both, and awaits them so it can run alone.
  const bothNames = step(async () => {
    await createSecret(t, dev.token, { name: 'Key', value: 'upper-key-value' });
    return mutate(t, dev.token, CREATE_SECRET, { name: 'key', value: 'lower-key-value' });
  });

  it('Key and key are two secrets', async () => {
    const lower = await bothNames();
    expect(lower.__typename).toBe('CreateSecretPayload');
    expect(await reveal(t, dev.token, 'Key')).toBe('upper-key-value');
    expect(await reveal(t, dev.token, 'key')).toBe('lower-key-value');
    expect(await reveal(t, dev.token, 'KEY')).toBeNull();
    expect(await listNames(t, dev.token)).toEqual(['Key', 'key']);
    expect(await listNames(t, dev.token, { namePrefix: 'k' })).toEqual(['key']);
    expect(await listNames(t, dev.token, { namePrefix: 'K' })).toEqual(['Key']);
  });

  it('writes address exactly one of them', async () => {
    await bothNames();
    expect(await mutate(t, dev.token, UPDATE_SECRET, { name: 'KEY', value: 'shouting-value' })).toMatchObject({ __typename: 'NotFoundError' });
    await updateSecret(t, dev.token, { name: 'key', value: 'lower-key-value-2' });
    expect(await reveal(t, dev.token, 'Key')).toBe('upper-key-value');
    expect((await mutate(t, dev.token, DELETE_SECRET, { name: 'Key' })).__typename).toBe('DeleteSecretPayload');
    expect(await reveal(t, dev.token, 'key')).toBe('lower-key-value-2');
    expect(await listNames(t, dev.token, { deleted: true })).toEqual(['Key']);
    expect((await mutate(t, dev.token, CREATE_SECRET, { name: 'KEY', value: 'third-key-value' })).__typename).toBe('CreateSecretPayload');
    // The deleted `Key` holds exactly its own name until it is purged (docs/api.md): not `KEY`, not `key`.
    expect((await mutate(t, dev.token, CREATE_SECRET, { name: 'Key', value: 'upper-key-again' })).__typename).toBe('NameTakenError');
    expect((await mutate(t, dev.token, RESTORE_SECRET, { name: 'Key' })).__typename).toBe('RestoreSecretPayload');
    expect(await listNames(t, dev.token)).toEqual(['KEY', 'Key', 'key']);
    expect(await reveal(t, dev.token, 'Key')).toBe('upper-key-value');
  });
});
