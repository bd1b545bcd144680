import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/config';

/**
 * Real databases for tests: a fresh SQLite file in a temp dir, or a fresh database on the
 * MariaDB at LOCKSMITH_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306). Each call gets its
 * own, so test files run in parallel without seeing each other's rows.
 */
export type DatabaseKind = 'sqlite' | 'mysql';

const ALL_DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'mysql'];

/**
 * The databases the suite runs over: LOCKSMITH_TEST_DATABASES (comma-separated, e.g. `sqlite`
 * to run without MariaDB), default both.
 */
export function testDatabaseKinds(env: Readonly<Record<string, string | undefined>> = process.env): DatabaseKind[] {
  const listed = (env.LOCKSMITH_TEST_DATABASES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (listed.length === 0) return [...ALL_DATABASE_KINDS];
  for (const kind of listed) {
    if (!(ALL_DATABASE_KINDS as readonly string[]).includes(kind)) {
      throw new Error(`LOCKSMITH_TEST_DATABASES: "${kind}" is not one of ${ALL_DATABASE_KINDS.join(', ')}`);
    }
  }
  return ALL_DATABASE_KINDS.filter((kind) => listed.includes(kind));
}

export const DATABASE_KINDS: readonly DatabaseKind[] = testDatabaseKinds();

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly config: DatabaseConfig;
  /** For raw inspection in tests: the SQLite file path, or the MySQL database URL. */
  readonly location: string;
  readonly dataDir: string;
  drop(): Promise<void>;
}

export const MYSQL_SERVER_URL = process.env.LOCKSMITH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-test-'));
  if (kind === 'sqlite') {
    const path = join(dataDir, 'locksmith.db');
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
  return createMysqlDatabase(dataDir, 'ls_test', 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
}

/**
 * A fresh database on the test MariaDB. `options` follow CREATE DATABASE: empty is what an
 * operator gets from a plain CREATE DATABASE (the server's default collation).
 */
export async function createMysqlDatabase(dataDir: string, prefix: string, options: string): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection(MYSQL_SERVER_URL);
  await admin.query(`CREATE DATABASE \`${name}\` ${options}`);
  await admin.end();
  const url = `${MYSQL_SERVER_URL.replace(/\/$/, '')}/${name}`;
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
