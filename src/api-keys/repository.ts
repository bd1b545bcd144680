import type { Kysely } from 'kysely';
import type { ApiKeyRow, Database } from '../db/database';

/** SQL for api_keys; tenant-scoped except the lookup by token hash used to authenticate. */
export class ApiKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  with(trx: Kysely<Database>): ApiKeyRepository {
    return new ApiKeyRepository(trx);
  }

  findByTokenHash(tokenHash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  findById(developerId: string, id: string): Promise<ApiKeyRow | undefined> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  list(developerId: string): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('developer_id', '=', developerId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
  }

  async insert(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async revoke(developerId: string, id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('developer_id', '=', developerId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Live (unrevoked) keys minted by any of these keys. */
  liveChildren(developerId: string, parentIds: readonly string[]): Promise<ApiKeyRow[]> {
    if (parentIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('parent_id', 'in', [...parentIds])
      .where('revoked_at', 'is', null)
      .execute();
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
