import type { Kysely } from 'kysely';
import type { Database, DeveloperRow } from '../db/database';

export class DeveloperRepository {
  constructor(private readonly db: Kysely<Database>) {}

  with(trx: Kysely<Database>): DeveloperRepository {
    return new DeveloperRepository(trx);
  }

  findById(id: string): Promise<DeveloperRow | undefined> {
    return this.db.selectFrom('developers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insert(row: DeveloperRow): Promise<void> {
    await this.db.insertInto('developers').values(row).execute();
  }
}
