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

export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'mysql'];

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
  const name = `ls_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection(MYSQL_SERVER_URL);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = `${MYSQL_SERVER_URL.replace(/\/$/, '')}/${name}`;
  return {
    kind,
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
