/**
 * prepared(): a query compiled once answers like the ordinary kysely path for every set of
 * values, on both databases; a builder that drops an argument is refused; a database with
 * plugins takes the ordinary path so the plugin sees the query. preparedQuery() binds number
 * arguments too and reports affected rows; insertRows() writes what kysely's multi-row insert
 * writes, for each batch size, and rows of another shape take kysely's own path.
 */
import { Kysely, type RootOperationNode, sql } from 'kysely';
import { createDatabase } from '../../src/db/connect';
import { insertRows, prepared, preparedQuery } from '../../src/db/prepared';
import { DATABASE_KINDS, createTestDatabase, type TestDatabase } from '../support/databases';

interface Schema {
  pairs: { owner: string; name: string; value: string };
  counted: { owner: string; n: number; note: string | null };
}

const byOwnerAndName = (db: Kysely<Schema>, owner: string, name: string) =>
  db.selectFrom('pairs').select(['name', 'value']).where('owner', '=', owner).where('name', '=', name).where('value', '!=', 'hidden');

describe.each(DATABASE_KINDS)('prepared queries on %s', (kind) => {
  let database: TestDatabase;
  let db: Kysely<Schema>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createDatabase(database.config) as unknown as Kysely<Schema>;
    await sql`CREATE TABLE pairs (owner VARCHAR(32) NOT NULL, name VARCHAR(32) NOT NULL, value VARCHAR(32) NOT NULL)`.execute(db);
    await sql`CREATE TABLE counted (owner VARCHAR(32) NOT NULL, n INTEGER NOT NULL, note VARCHAR(32) DEFAULT 'default-note')`.execute(db);
    await db
      .insertInto('pairs')
      .values([
        { owner: 'a', name: 'x', value: 'a-x' },
        { owner: 'a', name: 'y', value: 'a-y' },
        { owner: 'b', name: 'x', value: 'b-x' },
        { owner: 'b', name: 'z', value: 'hidden' },
      ])
      .execute();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('answers like the ordinary path for each set of values, in argument order', async () => {
    const find = prepared(byOwnerAndName);
    for (const [owner, name] of [['a', 'x'], ['a', 'y'], ['b', 'x'], ['b', 'z'], ['x', 'a'], ['a', "x' OR '1'='1"]]) {
      expect(await find(db, owner!, name!)).toEqual(await byOwnerAndName(db, owner!, name!).execute());
    }
    expect(await find(db, 'b', 'x')).toEqual([{ name: 'x', value: 'b-x' }]);
  });

  it('refuses a builder that does not bind every argument', async () => {
    const find = prepared((d: Kysely<Schema>, owner: string, _unused: string) => d.selectFrom('pairs').selectAll().where('owner', '=', owner));
    await expect(find(db, 'a', 'x')).rejects.toThrow('every argument must appear');
  });

  it('lets plugins see the query', async () => {
    const { watched, seen } = watch(db);
    expect(await prepared(byOwnerAndName)(watched, 'a', 'y')).toEqual([{ name: 'y', value: 'a-y' }]);
    expect(seen.map((n) => n.kind)).toEqual(['SelectQueryNode']);
  });

  it('binds number arguments and reports affected rows', async () => {
    await insertRows(db, 'counted', [{ owner: 'q', n: 1, note: null }]);
    const bump = preparedQuery((d: Kysely<Schema>, owner: string, from: number, to: number) =>
      d.updateTable('counted').set({ n: to }).where('owner', '=', owner).where('n', '=', from),
    );
    expect(Number((await bump(db, 'q', 1, 2)).numAffectedRows)).toBe(1);
    expect(Number((await bump(db, 'q', 1, 3)).numAffectedRows)).toBe(0);
    expect(await db.selectFrom('counted').select(['n']).where('owner', '=', 'q').execute()).toEqual([{ n: 2 }]);
  });

  it('inserts rows like kysely for every batch size; rows of another shape take the ordinary path', async () => {
    for (const size of [1, 2, 3, 2]) {
      const owner = `batch-${size}-${Math.random().toString(36).slice(2, 8)}`;
      const rows = Array.from({ length: size }, (_, i) => ({ owner, n: i, note: i % 2 ? null : `it's "${i}"` }));
      await insertRows(db, 'counted', rows);
      expect(await db.selectFrom('counted').selectAll().where('owner', '=', owner).orderBy('n').execute()).toEqual(rows);
    }
    // A row without a column, or with an undefined, is written as kysely writes it.
    const odd = (owner: string) => [{ owner, n: 1 }, { owner, n: 2, note: undefined }, { owner, n: 3, note: 'x' }];
    await insertRows(db, 'counted', odd('shapes'));
    await db.insertInto('counted').values(odd('shapes-kysely')).execute();
    const written = (owner: string) => db.selectFrom('counted').select(['n', 'note']).where('owner', '=', owner).orderBy('n').execute();
    expect(await written('shapes')).toEqual(await written('shapes-kysely'));
    expect(await written('shapes')).toHaveLength(3);
  });

  it('lets plugins see inserts', async () => {
    const { watched, seen } = watch(db);
    await insertRows(watched, 'counted', [{ owner: 'watched', n: 1, note: null }]);
    expect(seen.map((n) => n.kind)).toEqual(['InsertQueryNode']);
  });
});

/** `db` with a plugin that records the root node of every query it runs. */
function watch(db: Kysely<Schema>): { watched: Kysely<Schema>; seen: RootOperationNode[] } {
  const seen: RootOperationNode[] = [];
  const watched = db.withPlugin({
    transformQuery: (args) => {
      seen.push(args.node);
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return { watched, seen };
}
