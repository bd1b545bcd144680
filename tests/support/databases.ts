import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/config';
import { createDatabase, migrateToLatest } from '../../src/db/connect';
import type { DatabaseKind } from './database-kinds';

export { type DatabaseKind, DATABASE_KINDS, testDatabaseKinds } from './database-kinds';

/**
 * Real databases for tests: a fresh SQLite file in a temp dir, or a fresh database on the
 * MariaDB at LOCKSMITH_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306). Each call gets its
 * own, so test files run in parallel without seeing each other's rows.
 */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly config: DatabaseConfig;
  /** For raw inspection in tests: the SQLite file path, or the MySQL database URL. */
  readonly location: string;
  readonly dataDir: string;
  drop(): Promise<void>;
}

export const MYSQL_SERVER_URL = process.env.LOCKSMITH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabaseOptions {
  /**
   * Start with the schema the migrations make (what every app would migrate to on its first
   * start) instead of an empty database. Default false: a test of the migrations needs them to
   * run. Test apps (tests/support/test-app.ts) take migrated ones.
   */
  readonly migrated?: boolean;
}

export async function createTestDatabase(kind: DatabaseKind, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-test-'));
  if (kind === 'sqlite') {
    const path = join(dataDir, 'locksmith.db');
    if (options.migrated) copyFileSync(await sqliteTemplate(), path);
    return {
      kind,
      config: { kind: 'sqlite', path },
      location: path,
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (!options.migrated) return createMysqlDatabase(dataDir, 'ls_test', TEST_DATABASE_OPTIONS);
  const template = await mysqlTemplate();
  const name = uniqueName('ls_test');
  const conn = await createConnection({ uri: MYSQL_SERVER_URL, multipleStatements: true });
  try {
    // The template's own DDL, foreign keys included, with the checks off while tables that
    // reference each other appear in any order; then its rows (the migrations' bookkeeping).
    await conn.query(
      [
        `CREATE DATABASE \`${name}\` ${TEST_DATABASE_OPTIONS}`,
        `USE \`${name}\``,
        'SET FOREIGN_KEY_CHECKS = 0',
        ...template.tables.map((t) => t.create),
        ...template.tables.filter((t) => t.rows > 0).map((t) => `INSERT INTO \`${t.name}\` SELECT * FROM \`${template.name}\`.\`${t.name}\``),
      ].join(';\n'),
    );
  } finally {
    await conn.end();
  }
  return mysqlTestDatabase(dataDir, name);
}

/*
 * Migrated test databases are copies of a template that the real migrations made once, since
 * running them costs an app start about a second of DDL on MariaDB (the suite makes well over a
 * hundred databases), and copying the finished schema a fraction of that. A template is named
 * after a hash of the migration code, so an edited or added migration makes a new one; it is
 * kept between runs (MariaDB: a database `ls_template_<hash>`; SQLite: a file in the temp dir).
 */

const TEST_DATABASE_OPTIONS = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';
const SRC_DB = join(__dirname, '..', '..', 'src', 'db');

function migrationsHash(): string {
  const hash = createHash('sha256');
  const sources = [join(SRC_DB, 'connect.ts'), ...readdirSync(join(SRC_DB, 'migrations')).sort().map((f) => join(SRC_DB, 'migrations', f))];
  for (const file of sources) hash.update(file.slice(SRC_DB.length)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

let sqliteTemplatePath: Promise<string> | undefined;

/** The path of a migrated SQLite file to copy (made once per migration hash; never written after). */
function sqliteTemplate(): Promise<string> {
  sqliteTemplatePath ??= (async () => {
    const path = join(tmpdir(), `locksmith-test-template-${migrationsHash()}.db`);
    if (existsSync(path)) return path;
    // Built aside and renamed into place, so a parallel worker never copies a half-made file.
    const dir = mkdtempSync(join(tmpdir(), 'locksmith-template-'));
    try {
      const building = join(dir, 'template.db');
      const db = createDatabase({ kind: 'sqlite', path: building });
      await migrateToLatest(db);
      await db.destroy(); // closing checkpoints the WAL into the file
      renameSync(building, path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return path;
  })();
  return sqliteTemplatePath;
}

interface MysqlTemplate {
  readonly name: string;
  readonly tables: ReadonlyArray<{ name: string; create: string; rows: number }>;
}

let mysqlTemplatePromise: Promise<MysqlTemplate> | undefined;

/** The migrated template database on the test MariaDB: its tables' DDL and row counts. */
function mysqlTemplate(): Promise<MysqlTemplate> {
  mysqlTemplatePromise ??= (async () => {
    const name = `ls_template_${migrationsHash()}`;
    const conn = await createConnection(MYSQL_SERVER_URL);
    try {
      // One builder across parallel workers and runs; the others wait for it, then read.
      await conn.query('SELECT GET_LOCK(?, 300)', [name]);
      const [done] = (await conn.query('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [name, TEMPLATE_READY])) as [unknown[], unknown];
      if (done.length === 0) {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await conn.query(`CREATE DATABASE \`${name}\` ${TEST_DATABASE_OPTIONS}`);
        const db = createDatabase({ kind: 'mysql', url: `${serverUrl()}/${name}`, poolSize: 2 });
        try {
          await migrateToLatest(db);
        } finally {
          await db.destroy();
        }
        // Last: a template without this table is one whose build was cut short.
        await conn.query(`CREATE TABLE \`${name}\`.\`${TEMPLATE_READY}\` (id INT PRIMARY KEY)`);
      }
      const [tables] = (await conn.query(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name <> ? ORDER BY table_name',
        [name, TEMPLATE_READY],
      )) as [Array<{ name: string }>, unknown];
      const described = [];
      for (const { name: table } of tables) {
        const [[created]] = (await conn.query(`SHOW CREATE TABLE \`${name}\`.\`${table}\``)) as [Array<Record<string, string>>, unknown];
        const [[counted]] = (await conn.query(`SELECT COUNT(*) AS n FROM \`${name}\`.\`${table}\``)) as [Array<{ n: number }>, unknown];
        described.push({ name: table, create: created!['Create Table']!, rows: Number(counted!.n) });
      }
      return { name, tables: described };
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
      await conn.end();
    }
  })();
  return mysqlTemplatePromise;
}

const TEMPLATE_READY = 'zz_template_ready';

function serverUrl(): string {
  return MYSQL_SERVER_URL.replace(/\/$/, '');
}

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh database on the test MariaDB. `options` follow CREATE DATABASE: empty is what an
 * operator gets from a plain CREATE DATABASE (the server's default collation).
 */
export async function createMysqlDatabase(dataDir: string, prefix: string, options: string): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = await createConnection(MYSQL_SERVER_URL);
  await admin.query(`CREATE DATABASE \`${name}\` ${options}`);
  await admin.end();
  return mysqlTestDatabase(dataDir, name);
}

function mysqlTestDatabase(dataDir: string, name: string): TestDatabase {
  const url = `${serverUrl()}/${name}`;
  return {
    kind: 'mysql',
    config: { kind: 'mysql', url, poolSize: 5 },
    location: url,
    dataDir,
    async drop() {
      const conn = await createConnection(MYSQL_SERVER_URL);
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
