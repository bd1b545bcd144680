/**
 * Frozen. One audit chain per tenant and writer node instead of one per tenant, so a tenant's
 * writes on different nodes of a multi-primary cluster no longer all update the developer row
 * (docs/audit-chain.md). The existing chain of each tenant becomes its chain '' with its records
 * and head unchanged, so everything recorded before still verifies.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  const tableOptions = mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``;

  await db.schema
    .createTable('audit_chains')
    .addColumn('developer_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('chain_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('head', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_chains_pk', ['developer_id', 'chain_id'])
    .modifyEnd(tableOptions)
    .execute();
  await sql`INSERT INTO audit_chains (developer_id, chain_id, seq, head)
            SELECT id, '', audit_seq, audit_head FROM developers WHERE audit_seq > 0`.execute(db);

  if (mysql) {
    await db.schema.alterTable('audit_events').addColumn('chain_id', 'varchar(64)', (c) => c.notNull().defaultTo('')).execute();
    await db.schema.createIndex('audit_events_chain_seq').unique().on('audit_events').columns(['developer_id', 'chain_id', 'seq']).execute();
    await db.schema.dropIndex('audit_events_chain').on('audit_events').execute();
  } else {
    // SQLite cannot drop a table's UNIQUE constraint: rebuild the table with the new one.
    await db.schema
      .createTable('audit_events_v2')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('developer_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('chain_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('secret_name', 'varchar(128)')
      .addColumn('version', 'integer')
      .addColumn('actor', 'varchar(64)')
      .addColumn('request_id', 'varchar(64)')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .addUniqueConstraint('audit_events_chain_seq', ['developer_id', 'chain_id', 'seq'])
      .execute();
    await sql`INSERT INTO audit_events_v2 (id, developer_id, chain_id, seq, action, secret_name, version, actor, request_id, at, detail, prev_hash, hash)
              SELECT id, developer_id, '', seq, action, secret_name, version, actor, request_id, at, detail, prev_hash, hash FROM audit_events`.execute(db);
    await db.schema.dropTable('audit_events').execute();
    await db.schema.alterTable('audit_events_v2').renameTo('audit_events').execute();
    await db.schema.createIndex('audit_events_time').on('audit_events').columns(['developer_id', 'at']).execute();
  }
  // The log is listed newest first by id (UUIDv7), across chains.
  await db.schema.createIndex('audit_events_order').on('audit_events').columns(['developer_id', 'id']).execute();

  await db.schema.alterTable('developers').dropColumn('audit_head').execute();
  await db.schema.alterTable('developers').dropColumn('audit_seq').execute();
}

export async function down(): Promise<void> {
  throw new Error('2026_12_01_0001_audit_chains cannot be undone: per-node chains do not fold back into one');
}
