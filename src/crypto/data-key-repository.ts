import type { Kysely } from 'kysely';
import type { Database, DataKeyRow } from '../db/database';
import { isUniqueViolation } from '../db/errors';

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

  /** findNewest of several developers in one query: the newest row of each that has one. */
  async findNewestOfMany(developerIds: readonly string[]): Promise<Map<string, DataKeyRow>> {
    if (developerIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('data_keys as d')
      .selectAll('d')
      .where('d.developer_id', 'in', [...developerIds])
      .where((eb) =>
        eb('d.generation', '=', eb.selectFrom('data_keys as n').select((n) => n.fn.max('n.generation').as('g')).whereRef('n.developer_id', '=', 'd.developer_id')),
      )
      .execute();
    return new Map(rows.map((r) => [r.developer_id, r]));
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

  /**
   * Replaces a data key's wrapping only if nobody changed it since `from` was read (another
   * rewrap run). Both wrappings hold the same key, so losing this race loses nothing.
   */
  async replaceWrapped(from: DataKeyRow, to: { provider: string; keyRef: string; wrapped: Buffer }, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('data_keys')
      .set({ provider: to.provider, key_ref: to.keyRef, wrapped: to.wrapped, rewrapped_at: at })
      .where('developer_id', '=', from.developer_id)
      .where('id', '=', from.id)
      .where('provider', '=', from.provider)
      .where('key_ref', '=', from.key_ref)
      .where('wrapped', '=', Buffer.from(from.wrapped))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
