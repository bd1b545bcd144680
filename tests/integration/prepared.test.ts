/**
 * prepared(): a query compiled once answers like the ordinary kysely path for every set of
 * values, on both databases; a builder that drops an argument is refused; a database with
 * plugins takes the ordinary path so the plugin sees the query.
 */
import { Kysely, type RootOperationNode, sql } from 'kysely';
import { createDatabase } from '../../src/db/connect';
import { prepared } from '../../src/db/prepared';
import { DATABASE_KINDS, createTestDatabase, type TestDatabase } from '../support/databases';

interface Schema {
  pairs: { owner: string; name: string; value: string };
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
    const seen: RootOperationNode[] = [];
    const watched = db.withPlugin({
      transformQuery: (args) => {
        seen.push(args.node);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    expect(await prepared(byOwnerAndName)(watched, 'a', 'y')).toEqual([{ name: 'y', value: 'a-y' }]);
    expect(seen.map((n) => n.kind)).toEqual(['SelectQueryNode']);
  });
});
