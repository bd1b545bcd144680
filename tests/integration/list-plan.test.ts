/**
 * A list filtered by metadata is served in page order by the metadata index: the database reads
 * the first entry's index rows (developer, entry hash, name, id) as a range and stops after the
 * page, with no sort of every matching secret (which made the list grow with how many of a
 * developer's secrets match). Checked with EXPLAIN on both databases, and the pages (forwards,
 * backwards, with a name prefix and a second entry) checked against the same list done by hand.
 * The data is written before the migration that adds the index's copy of the name, so its
 * backfill is checked too.
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { createDatabase, migrateToLatest } from '../../src/db/connect';
import type { Database } from '../../src/db/database';
import { migrations } from '../../src/db/migrations';
import { SecretRepository, type SecretListQuery } from '../../src/secrets/repository';
import { metadataEntryHash } from '../../src/secrets/validation';
import { DATABASE_KINDS, createTestDatabase, type TestDatabase } from '../support/databases';

const SECRETS = 400;
const name = (i: number) => `s${String((i * 37) % SECRETS).padStart(4, '0')}`;

describe.each(DATABASE_KINDS)('metadata-filtered list on %s', (kind) => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let repo: SecretRepository;
  const developers = ['dev-a', 'dev-b'];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createDatabase(database.config);
    const before = Object.fromEntries(Object.entries(migrations).filter(([migration]) => migration < '2026_12_07_0001'));
    const old = new Migrator({
      db,
      provider: { getMigrations: async () => before },
      migrationTableName: 'locksmith_migrations',
      migrationLockTableName: 'locksmith_migrations_lock',
    });
    expect((await old.migrateToLatest()).error).toBeUndefined();
    await db.insertInto('developers').values(developers.map((id) => ({ id, name: id, created_at: 0 }))).execute();
    for (const developer of developers) {
      const rows = Array.from({ length: SECRETS }, (_, i) => ({ i, id: `${developer}-${String(i).padStart(4, '0')}`, name: name(i) }));
      await db
        .insertInto('secrets')
        .values(
          rows.map((r) => ({
            id: r.id,
            developer_id: developer,
            name: r.name,
            live_name: r.i % 10 === 9 ? null : r.name,
            description: null,
            metadata: '{}',
            current_version: 1,
            created_at: 0,
            updated_at: 0,
            deleted_at: r.i % 10 === 9 ? 1 : null,
            purge_at: r.i % 10 === 9 ? 10 ** 12 : null,
            rotate_every_days: null,
            rotation_due_at: null,
            expires_at: null,
            value_changed_at: 0,
            last_revealed_at: null,
          })),
        )
        .execute();
      // The rows as the schema before the migration had them: no copy of the name.
      await (db as unknown as Kysely<Record<string, Record<string, string>>>)
        .insertInto('secret_metadata')
        .values(
          rows.flatMap((r) => [
            { secret_id: r.id, developer_id: developer, meta_key: 'env', entry_hash: metadataEntryHash('env', r.i % 4 === 0 ? 'dev' : 'prod') },
            { secret_id: r.id, developer_id: developer, meta_key: 'team', entry_hash: metadataEntryHash('team', `t${r.i % 3}`) },
          ]),
        )
        .execute();
    }
    await migrateToLatest(db);
    if (kind === 'mysql') await sql`ANALYZE TABLE secrets, secret_metadata`.execute(db);
    else await sql`ANALYZE`.execute(db);
    repo = new SecretRepository(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const base: SecretListQuery = { developerId: 'dev-a', deleted: false, now: 0, backwards: false, limit: 21, metadata: { env: 'prod' } };

  it('copies each secret\'s name into its metadata index rows', async () => {
    const rows = await db.selectFrom('secret_metadata as m').innerJoin('secrets as s', 's.id', 'm.secret_id').select(['m.secret_name', 's.name']).execute();
    expect(rows).toHaveLength(developers.length * SECRETS * 2);
    expect(rows.filter((r) => r.secret_name !== r.name)).toEqual([]);
  });

  it('reads the page from the metadata index in order: no sort', async () => {
    const compiled = repo.listQuery(base).compile();
    if (kind === 'mysql') {
      const rows = (await db.executeQuery<Record<string, unknown>>({ ...compiled, sql: `EXPLAIN ${compiled.sql}`, query: compiled.query })).rows;
      const first = rows[0]!;
      expect(first.table).toBe('m');
      expect(first.key).toBe('secret_metadata_page');
      expect(rows.map((r) => String(r.Extra ?? '')).join(' ')).not.toMatch(/filesort|temporary/i);
    } else {
      const rows = (await db.executeQuery<{ detail: string }>({ ...compiled, sql: `EXPLAIN QUERY PLAN ${compiled.sql}`, query: compiled.query })).rows;
      const details = rows.map((r) => r.detail);
      expect(details[0]).toMatch(/secret_metadata_page/);
      expect(details.join(' ')).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('lists what a filter by hand lists, page by page, both ways', async () => {
    const expected = Array.from({ length: SECRETS }, (_, i) => i)
      .filter((i) => i % 10 !== 9 && i % 4 !== 0 && i % 3 === 1)
      .map((i) => name(i))
      .sort();
    const query: SecretListQuery = { ...base, metadata: { env: 'prod', team: 't1' }, limit: 7 };
    const forwards: string[] = [];
    for (let cursor: { name: string; id: string } | undefined; ; ) {
      const page = await repo.list({ ...query, cursor });
      forwards.push(...page.map((r) => r.name));
      if (page.length < query.limit) break;
      cursor = { name: page.at(-1)!.name, id: page.at(-1)!.id };
    }
    expect(forwards).toEqual(expected);
    const last = await repo.list({ ...query, backwards: true, cursor: { name: 'zzz', id: '' } });
    expect(last.map((r) => r.name)).toEqual(expected.slice(-7).reverse());
    const prefixed = await repo.list({ ...base, namePrefix: 's01', limit: 100 });
    expect(prefixed.map((r) => r.name)).toEqual(
      Array.from({ length: SECRETS }, (_, i) => i)
        .filter((i) => i % 10 !== 9 && i % 4 !== 0 && name(i).startsWith('s01'))
        .map((i) => name(i))
        .sort(),
    );
    expect(prefixed.every((r) => r.developer_id === 'dev-a')).toBe(true);
  });
});
