import type { Kysely } from 'kysely';
import type { Database, DeveloperRow } from '../db/database';
import { isMysql } from '../db/dialect';

export class DeveloperRepository {
  constructor(private readonly db: Kysely<Database>) {}

  with(trx: Kysely<Database>): DeveloperRepository {
    return new DeveloperRepository(trx);
  }

  findById(id: string): Promise<DeveloperRow | undefined> {
    return this.db.selectFrom('developers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Developers with exactly this name (binary collation on MySQL, as on SQLite). On MySQL a
   * locking read: it waits for, and then sees, a concurrent transaction's uncommitted insert of
   * the same name, so two racing creations cannot both pass (SQLite runs one writer at a time).
   * (It locks the developer rows it scans: an admin-only operation, rare next to tenant writes.)
   */
  findByName(name: string): Promise<Array<Pick<DeveloperRow, 'id'>>> {
    return this.db
      .selectFrom('developers')
      .select('id')
      .where('name', '=', name)
      .$if(isMysql(this.db), (q) => q.forUpdate())
      .execute();
  }

  async insert(row: DeveloperRow): Promise<void> {
    await this.db.insertInto('developers').values(row).execute();
  }
}
