import type { Kysely } from 'kysely';
import type { Database, DataKeyRow } from '../db/database';

/** SQL for data_keys. Every query is scoped by developer id. */
export class DataKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findNewest(developerId: string): Promise<DataKeyRow | undefined> {
    return this.db
      .selectFrom('data_keys')
      .selectAll()
      .where('developer_id', '=', developerId)
      .orderBy('generation', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  findById(developerId: string, id: string): Promise<DataKeyRow | undefined> {
    return this.db
      .selectFrom('data_keys')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Inserts a generation; false when another writer took that generation first. */
  async insert(row: DataKeyRow): Promise<boolean> {
    try {
      await this.db.insertInto('data_keys').values(row).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async updateWrapped(developerId: string, id: string, keyRef: string, wrapped: Buffer, provider: string, at: number): Promise<void> {
    await this.db
      .updateTable('data_keys')
      .set({ key_ref: keyRef, wrapped, provider, rewrapped_at: at })
      .where('developer_id', '=', developerId)
      .where('id', '=', id)
      .execute();
  }
}

/** Duplicate-key errors from MySQL/MariaDB (ER_DUP_ENTRY 1062) and SQLite (UNIQUE / PRIMARY KEY). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
