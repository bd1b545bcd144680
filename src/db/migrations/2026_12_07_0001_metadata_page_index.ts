/**
 * Frozen. A metadata-filtered list is served in page order by the index. secret_metadata gets
 * the secret's name (names never change, so the copy cannot go stale), and its lookup index
 * becomes (developer_id, entry_hash, secret_name, secret_id): a list of one developer filtered
 * by one metadata entry is then a range scan of that index in (name, id) order that stops after
 * the page, instead of reading every matching secret and sorting them (which grew with how many
 * secrets of the developer match). The new index serves the old lookups too (same prefix), so
 * the old one is dropped.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

// MySQL names the table of an index to drop; SQLite refuses the clause (index names are per schema).
const dropIndex = (db: Kysely<unknown>, name: string) => {
  const drop = db.schema.dropIndex(name);
  return (db.getExecutor().adapter instanceof MysqlAdapter ? drop.on('secret_metadata') : drop).execute();
};

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('secret_metadata')
    .addColumn('secret_name', 'varchar(128)', (c) => c.notNull().defaultTo(''))
    .execute();
  await sql`UPDATE secret_metadata SET secret_name = (SELECT s.name FROM secrets s WHERE s.id = secret_metadata.secret_id)`.execute(db);
  await db.schema.createIndex('secret_metadata_page').on('secret_metadata').columns(['developer_id', 'entry_hash', 'secret_name', 'secret_id']).execute();
  await dropIndex(db, 'secret_metadata_lookup');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('secret_metadata_lookup').on('secret_metadata').columns(['developer_id', 'entry_hash', 'secret_id']).execute();
  await dropIndex(db, 'secret_metadata_page');
  await db.schema.alterTable('secret_metadata').dropColumn('secret_name').execute();
}
