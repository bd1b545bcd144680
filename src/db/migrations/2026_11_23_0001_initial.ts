/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Written with Kysely's schema builder so the same file runs on MySQL/MariaDB and SQLite.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

const ID = 'varchar(36)';
const NAME = 'varchar(128)';

export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  // Binary collation on MySQL so names compare case-sensitively and byte-exactly, as on SQLite.
  const tableOptions = mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``;
  // 64 KiB values plus nonce and tag exceed MySQL's BLOB (65,535 bytes); SQLite ignores the size.
  const CIPHERTEXT = mysql ? sql`mediumblob` : sql`blob`;

  await db.schema
    .createTable('developers')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('audit_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('audit_head', 'varchar(64)', (c) => c.notNull())
    .modifyEnd(tableOptions)
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('developer_id', ID, (c) => c.notNull().references('developers.id'))
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('token_prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('scopes', 'varchar(512)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .modifyEnd(tableOptions)
    .execute();
  await db.schema.createIndex('api_keys_developer').on('api_keys').columns(['developer_id', 'created_at']).execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('developer_id', ID, (c) => c.notNull().references('developers.id'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('provider', 'varchar(64)', (c) => c.notNull())
    .addColumn('key_ref', 'varchar(512)', (c) => c.notNull())
    .addColumn('wrapped', 'blob', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('rewrapped_at', 'bigint')
    .addUniqueConstraint('data_keys_generation', ['developer_id', 'generation'])
    .modifyEnd(tableOptions)
    .execute();

  await db.schema
    .createTable('secrets')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('developer_id', ID, (c) => c.notNull().references('developers.id'))
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('live_name', NAME)
    .addColumn('description', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('purge_at', 'bigint')
    .addColumn('rotate_every_days', 'integer')
    .addColumn('expires_at', 'bigint')
    .addColumn('value_changed_at', 'bigint', (c) => c.notNull())
    .addColumn('last_revealed_at', 'bigint')
    .addUniqueConstraint('secrets_live_name', ['developer_id', 'live_name'])
    .modifyEnd(tableOptions)
    .execute();
  await db.schema.createIndex('secrets_developer_name').on('secrets').columns(['developer_id', 'name', 'id']).execute();
  await db.schema.createIndex('secrets_purge').on('secrets').columns(['purge_at']).execute();

  await db.schema
    .createTable('secret_versions')
    .addColumn('secret_id', ID, (c) => c.notNull().references('secrets.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('developer_id', ID, (c) => c.notNull())
    .addColumn('data_key_id', ID, (c) => c.notNull().references('data_keys.id'))
    .addColumn('ciphertext', CIPHERTEXT)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'varchar(64)')
    .addColumn('destroyed_at', 'bigint')
    .addPrimaryKeyConstraint('secret_versions_pk', ['secret_id', 'version'])
    .modifyEnd(tableOptions)
    .execute();
  await db.schema.createIndex('secret_versions_data_key').on('secret_versions').columns(['data_key_id']).execute();

  await db.schema
    .createTable('secret_metadata')
    .addColumn('secret_id', ID, (c) => c.notNull().references('secrets.id'))
    .addColumn('developer_id', ID, (c) => c.notNull())
    .addColumn('meta_key', NAME, (c) => c.notNull())
    .addColumn('entry_hash', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('secret_metadata_pk', ['secret_id', 'meta_key'])
    .modifyEnd(tableOptions)
    .execute();
  await db.schema
    .createIndex('secret_metadata_lookup')
    .on('secret_metadata')
    .columns(['developer_id', 'entry_hash', 'secret_id'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('developer_id', ID, (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('secret_name', NAME)
    .addColumn('version', 'integer')
    .addColumn('actor', 'varchar(64)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .addUniqueConstraint('audit_events_chain', ['developer_id', 'seq'])
    .modifyEnd(tableOptions)
    .execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').columns(['developer_id', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_events', 'secret_metadata', 'secret_versions', 'secrets', 'data_keys', 'api_keys', 'developers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
