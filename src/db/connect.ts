import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, MysqlDialect, SqliteDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import type { DatabaseConfig } from '../config';
import type { Database } from './database';
import { isMysql } from './dialect';
import { migrations } from './migrations';

export type Db = Kysely<Database>;

/** wsrep_sync_wait=1: reads (SELECT, SHOW, BEGIN) wait for causality. */
const GALERA_SYNC_WAIT = 'SET SESSION wsrep_sync_wait = IF(@@global.wsrep_on, 1, @@session.wsrep_sync_wait)';

/**
 * Whether the database is a node of a Galera cluster (MariaDB Galera, Percona XtraDB Cluster):
 * then sessions wait for causality (see createDatabase). False for SQLite and plain MySQL.
 */
export async function isGaleraNode(db: Db): Promise<boolean> {
  if (!isMysql(db)) return false;
  try {
    const { rows } = await sql<{ on: number | string }>`SELECT @@global.wsrep_on AS \`on\``.execute(db);
    return Number(rows[0]?.on) === 1;
  } catch {
    return false; // MySQL without wsrep: no such variable
  }
}

export function createDatabase(config: DatabaseConfig): Db {
  if (config.kind === 'sqlite') {
    mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
    // Create the file owner-only before SQLite opens it; SQLite gives -wal/-shm the same mode.
    closeSync(openSync(config.path, 'a', 0o600));
    const sqlite = new SQLite(config.path);
    // WAL lets readers proceed during a write. FULL sync: a committed secret survives even an
    // OS crash or power loss, which NORMAL does not promise in WAL mode.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  const pool = createPool({
    uri: config.url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: config.poolSize,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
    // Strings for JSON columns keep JSON handling identical to SQLite (we parse ourselves).
    jsonStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
  });
  // Read your writes across the nodes of a Galera cluster: every session waits, before each
  // read (and each transaction start), until this node has applied everything the cluster
  // committed before it. Set on each new connection, ahead of its first query; a no-op (the
  // session keeps its value) on a MariaDB that is not a Galera node, and an ignored error on a
  // MySQL without wsrep.
  pool.on('connection', (connection) => {
    connection.query(GALERA_SYNC_WAIT, () => undefined);
  });
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'locksmith_migrations',
    migrationLockTableName: 'locksmith_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
}
