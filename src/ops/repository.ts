import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, DataKeyRow, SecretVersionRow } from '../db/database';
import { isForeignKeyViolation } from '../db/errors';

export type RetiredVersion = Pick<SecretVersionRow, 'secret_id' | 'version' | 'data_key_id' | 'ciphertext'>;

/** A data key below its developer's newest generation, and whether any version row points at it. */
export interface RetiredDataKey {
  readonly id: string;
  readonly generation: number;
  readonly referenced: boolean;
}

/**
 * `k.generation < (the newest generation of the row's developer)`, where `developerColumn` names
 * the developer of the row being filtered: a data key (`k`) or a secret version (`v`).
 */
function belowNewestGeneration(developerColumn: 'k.developer_id' | 'v.developer_id') {
  return ({ eb, selectFrom }: ExpressionBuilder<Database & { k: Database['data_keys']; v: Database['secret_versions'] }, 'k' | 'v'>) =>
    eb(
      'k.generation',
      '<',
      selectFrom('data_keys as newest')
        .select((e) => e.fn.max('newest.generation').as('g'))
        .whereRef('newest.developer_id', '=', developerColumn),
    );
}

/**
 * SQL for the operator jobs (src/ops: rotate --all, rewrap, re-encrypt, prune). These scan across
 * tenants on purpose, like the purge job; every write is still scoped by developer id.
 */
export class OperatorRepository {
  constructor(private readonly db: Kysely<Database>) {}

  with(trx: Kysely<Database>): OperatorRepository {
    return new OperatorRepository(trx);
  }

  /**
   * Data keys of every developer in id order, strictly after `afterId` (the rewrap scan). Ids
   * are UUIDv7, so a resumed scan walks the same order.
   */
  dataKeysAfter(afterId: string | null, limit: number): Promise<DataKeyRow[]> {
    let q = this.db.selectFrom('data_keys').selectAll();
    if (afterId !== null) q = q.where('id', '>', afterId);
    return q.orderBy('id').limit(limit).execute();
  }

  async countDataKeys(): Promise<number> {
    const row = await this.db.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async developerExists(developerId: string): Promise<boolean> {
    const row = await this.db.selectFrom('developers').select('id').where('id', '=', developerId).executeTakeFirst();
    return row !== undefined;
  }

  /** Developer ids in id order, strictly after `afterId`. */
  async developerIdsAfter(afterId: string | null, limit: number): Promise<string[]> {
    let q = this.db.selectFrom('developers').select('id');
    if (afterId !== null) q = q.where('id', '>', afterId);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async countDevelopers(): Promise<number> {
    const row = await this.db.selectFrom('developers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Live versions not sealed under their developer's newest data key (one developer, or all): a progress total. */
  async countRetired(developerId?: string): Promise<number> {
    let q = this.db
      .selectFrom('secret_versions as v')
      .innerJoin('data_keys as k', 'k.id', 'v.data_key_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('v.ciphertext', 'is not', null)
      .where(belowNewestGeneration('v.developer_id'));
    if (developerId !== undefined) q = q.where('v.developer_id', '=', developerId);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * A page of one developer's live versions sealed under a data key of a generation below
   * `belowGeneration`, in (secret_id, version) order strictly after `after`.
   */
  retiredVersions(
    developerId: string,
    belowGeneration: number,
    after: { secretId: string; version: number } | null,
    limit: number,
  ): Promise<RetiredVersion[]> {
    let q = this.db
      .selectFrom('secret_versions as v')
      .innerJoin('data_keys as k', (join) => join.onRef('k.id', '=', 'v.data_key_id').onRef('k.developer_id', '=', 'v.developer_id'))
      .select(['v.secret_id', 'v.version', 'v.data_key_id', 'v.ciphertext'])
      .where('v.developer_id', '=', developerId)
      .where('k.generation', '<', belowGeneration)
      .where('v.ciphertext', 'is not', null);
    if (after) {
      const { secretId, version } = after;
      q = q.where((eb) => eb.or([eb('v.secret_id', '>', secretId), eb.and([eb('v.secret_id', '=', secretId), eb('v.version', '>', version)])]));
    }
    return q.orderBy('v.secret_id').orderBy('v.version').limit(limit).execute();
  }

  /**
   * Swaps one version's ciphertext for the same value sealed under a newer data key, only if
   * the row is exactly as read: a version destroyed, purged or re-sealed meanwhile is left alone.
   */
  async replaceCiphertext(developerId: string, from: RetiredVersion, to: { dataKeyId: string; ciphertext: Buffer }): Promise<boolean> {
    const result = await this.db
      .updateTable('secret_versions')
      .set({ data_key_id: to.dataKeyId, ciphertext: to.ciphertext })
      .where('developer_id', '=', developerId)
      .where('secret_id', '=', from.secret_id)
      .where('version', '=', from.version)
      .where('data_key_id', '=', from.data_key_id)
      .where('destroyed_at', 'is', null)
      .where('ciphertext', '=', Buffer.from(from.ciphertext!))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Points a developer's destroyed versions (tombstones: no ciphertext) under older data keys at
   * `dataKeyId`: they hold nothing to re-seal, and otherwise their reference alone would keep a
   * retired data key from being dropped.
   */
  async repointTombstones(developerId: string, belowGeneration: number, dataKeyId: string): Promise<number> {
    const result = await this.db
      .updateTable('secret_versions')
      .set({ data_key_id: dataKeyId })
      .where('developer_id', '=', developerId)
      .where('ciphertext', 'is', null)
      .where('data_key_id', 'in', (sub) =>
        sub.selectFrom('data_keys').select('id').where('developer_id', '=', developerId).where('generation', '<', belowGeneration),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Data keys of a developer that no version references any more (candidates to drop later). */
  async unreferencedDataKeys(developerId: string, belowGeneration: number): Promise<number> {
    const row = await this.db
      .selectFrom('data_keys as k')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('k.developer_id', '=', developerId)
      .where('k.generation', '<', belowGeneration)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('secret_versions as v').select('v.version').whereRef('v.data_key_id', '=', 'k.id'))),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Data keys below their developer's newest generation (one developer, or all): the prune
   * job's progress total. The newest generation of each developer is never counted.
   */
  async countRetiredDataKeys(developerId?: string): Promise<number> {
    let q = this.db
      .selectFrom('data_keys as k')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(belowNewestGeneration('k.developer_id'));
    if (developerId !== undefined) q = q.where('k.developer_id', '=', developerId);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * One developer's data keys of a generation below `belowGeneration`, oldest first, each with
   * whether any secret_versions row (live or destroyed) still references it. Any row counts,
   * whoever's it is, as the foreign key does.
   */
  async retiredDataKeys(developerId: string, belowGeneration: number): Promise<RetiredDataKey[]> {
    const rows = await this.db
      .selectFrom('data_keys as k')
      .select(['k.id', 'k.generation'])
      .select(({ exists, selectFrom }) =>
        exists(selectFrom('secret_versions as v').select('v.version').whereRef('v.data_key_id', '=', 'k.id')).as('referenced'),
      )
      .where('k.developer_id', '=', developerId)
      .where('k.generation', '<', belowGeneration)
      .orderBy('k.generation')
      .execute();
    // EXISTS comes back as 0/1 (both drivers).
    return rows.map((r) => ({ id: r.id, generation: Number(r.generation), referenced: Boolean(Number(r.referenced)) }));
  }

  /**
   * Deletes one retired data key of a developer, only if it is still below `belowGeneration` and
   * no secret_versions row references it *at the time of the DELETE*: a version stored since the
   * key was listed keeps it. A foreign key violation (the reference check raced a writer on a
   * driver that checks the constraint before our NOT EXISTS saw the row) also means "still
   * referenced": false, nothing deleted.
   */
  async deleteUnreferencedDataKey(developerId: string, dataKeyId: string, belowGeneration: number): Promise<boolean> {
    try {
      const result = await this.db
        .deleteFrom('data_keys')
        .where('developer_id', '=', developerId)
        .where('id', '=', dataKeyId)
        .where('generation', '<', belowGeneration)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('secret_versions').select('secret_versions.version').where('secret_versions.data_key_id', '=', dataKeyId))),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    } catch (error) {
      if (isForeignKeyViolation(error)) return false;
      throw error;
    }
  }
}
