/**
 * Direct access to a test database, around the app: raw rows for "what is really stored"
 * assertions, raw writes for tampering, and the SQLite files' bytes. Opens its own connection
 * (better-sqlite3 / mysql2), never the app's.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { createMysqlDatabase, type TestDatabase } from './databases';

export type Row = Record<string, unknown>;

export interface RawDb {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
  tables(): Promise<string[]>;
  close(): Promise<void>;
}

export async function openRaw(db: TestDatabase): Promise<RawDb> {
  if (db.kind === 'sqlite') {
    const sqlite = new SQLite(db.location, { fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
    return {
      async all(sql, params = []) {
        return sqlite.prepare(sql).all(...params) as Row[];
      },
      async run(sql, params = []) {
        return sqlite.prepare(sql).run(...params).changes;
      },
      async tables() {
        return (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name);
      },
      async close() {
        sqlite.close();
      },
    };
  }
  const conn = await createConnection({ uri: db.location, supportBigNumbers: true });
  return {
    async all(sql, params = []) {
      const [rows] = await conn.query(sql, params);
      return rows as Row[];
    },
    async run(sql, params = []) {
      const [result] = await conn.query(sql, params);
      return (result as { affectedRows: number }).affectedRows;
    },
    async tables() {
      const [rows] = await conn.query('SHOW TABLES');
      return (rows as Row[]).map((r) => String(Object.values(r)[0]));
    },
    async close() {
      await conn.end();
    },
  };
}

/** Runs `fn` with a raw connection that is closed afterwards. */
export async function withRaw<T>(db: TestDatabase, fn: (raw: RawDb) => Promise<T>): Promise<T> {
  const raw = await openRaw(db);
  try {
    return await fn(raw);
  } finally {
    await raw.close();
  }
}

/** Every row of every table, each cell as it came from the driver. */
export async function dumpAllRows(db: TestDatabase): Promise<Array<{ table: string; row: Row }>> {
  return withRaw(db, async (raw) => {
    const out: Array<{ table: string; row: Row }> = [];
    for (const table of await raw.tables()) {
      for (const row of await raw.all(`SELECT * FROM ${db.kind === 'mysql' ? `\`${table}\`` : `"${table}"`}`)) out.push({ table, row });
    }
    return out;
  });
}

/** The bytes of the SQLite database and its -wal/-shm/-journal files (those that exist). */
export function sqliteFiles(db: TestDatabase): Array<{ path: string; bytes: Buffer }> {
  if (db.kind !== 'sqlite') return [];
  return ['', '-wal', '-shm', '-journal']
    .map((suffix) => db.location + suffix)
    .filter((path) => existsSync(path))
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

/**
 * A MariaDB database created with the server's defaults (no CHARACTER SET / COLLATE), as an
 * operator would create one, unlike createTestDatabase which asks for utf8mb4_bin.
 */
export async function createMysqlDatabaseWithServerDefaults(): Promise<TestDatabase> {
  return createMysqlDatabase(mkdtempSync(join(tmpdir(), 'locksmith-test-')), 'ls_test_default', '');
}
