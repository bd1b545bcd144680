import { type Kysely, MysqlAdapter } from 'kysely';

/**
 * The one dialect check outside frozen migrations: MySQL/MariaDB (row locks, `FOR UPDATE`,
 * several connections) versus SQLite (one connection that runs one transaction at a time).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works on any schema
export function isMysql(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}
