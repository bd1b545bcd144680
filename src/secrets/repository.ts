import { type Kysely, sql } from 'kysely';
import { isMysql } from '../db/dialect';
import { insertRows, prepared } from '../db/prepared';
import type { Database, SecretMetadataTable, SecretRow, SecretVersionRow } from '../db/database';
import { type Metadata, metadataEntryHash } from './validation';

/**
 * SQL for secrets, their versions and metadata index. No rules, no crypto. Every statement
 * is scoped by developer id here, so a service bug cannot cross tenants.
 */

export interface SecretListQuery {
  readonly developerId: string;
  readonly deleted: boolean;
  /** The current time: with `deleted`, only secrets still inside their recovery window are listed. */
  readonly now: number;
  readonly namePrefix?: string;
  readonly metadata?: Metadata;
  /** Only secrets whose rotation is due or whose expiry has passed at this instant. */
  readonly dueAt?: number;
  /** Keyset cursor: rows strictly after (or, backwards, before) this (name, id). */
  readonly cursor?: { name: string; id: string };
  /** Backwards walks the index in descending order (for `last`/`before`). */
  readonly backwards: boolean;
  readonly limit: number;
}

export type VersionSummary = Pick<SecretVersionRow, 'version' | 'created_at' | 'created_by' | 'destroyed_at'>;

/** What opening a version's value needs. */
export type SealedValue = Pick<SecretVersionRow, 'version' | 'data_key_id' | 'ciphertext'>;

/** Live secrets with their current version's sealed value (a left join: `sealed_*` null if that row is missing). */
const withCurrentVersion = (db: Kysely<Database>, developerId: string) =>
  db
    .selectFrom('secrets as s')
    .leftJoin('secret_versions as v', (join) =>
      join.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.current_version').onRef('v.developer_id', '=', 's.developer_id'),
    )
    .selectAll('s')
    .select(['v.version as sealed_version', 'v.data_key_id as sealed_data_key_id', 'v.ciphertext as sealed_ciphertext'])
    .where('s.developer_id', '=', developerId);

/** The read of every reveal and metadata read: built and compiled once (see prepared.ts). */
const liveWithCurrentVersion = prepared((db: Kysely<Database>, developerId: string, name: string) =>
  withCurrentVersion(db, developerId).where('s.live_name', '=', name),
);

/**
 * The same read for several names of one developer (concurrent lookups coalesced, see
 * src/secrets/lookups.ts): one compiled statement per count of names, up to MAX_NAMES_PER_READ.
 * A single name keeps the equality lookup above.
 */
export const MAX_NAMES_PER_READ = 64;
const liveWithCurrentVersionByCount = new Map<number, (db: Kysely<Database>, developerId: string, ...names: string[]) => ReturnType<typeof liveWithCurrentVersion>>();
function liveWithCurrentVersions(db: Kysely<Database>, developerId: string, names: readonly string[]) {
  if (names.length === 1) return liveWithCurrentVersion(db, developerId, names[0]!);
  let query = liveWithCurrentVersionByCount.get(names.length);
  if (!query) {
    query = prepared((db: Kysely<Database>, developerId: string, ...names: string[]) => withCurrentVersion(db, developerId).where('s.live_name', 'in', names));
    liveWithCurrentVersionByCount.set(names.length, query);
  }
  return query(db, developerId, ...names);
}

export interface LiveWithSealed {
  readonly secret: SecretRow;
  /** Null only if the current version's row is missing. */
  readonly sealed: SealedValue | null;
}

function splitSealed(row: SecretRow & { sealed_version: number | null; sealed_data_key_id: string | null; sealed_ciphertext: Buffer | null }): LiveWithSealed {
  const { sealed_version, sealed_data_key_id, sealed_ciphertext, ...secret } = row;
  return {
    secret,
    sealed: sealed_version === null ? null : { version: sealed_version, data_key_id: sealed_data_key_id!, ciphertext: sealed_ciphertext! },
  };
}

export class SecretRepository {
  /** SQLite serialises transactions on its one connection; MySQL needs row locks (FOR UPDATE). */
  private readonly rowLocks: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.rowLocks = isMysql(db);
  }

  /** The same repository bound to a transaction. */
  with(trx: Kysely<Database>): SecretRepository {
    return new SecretRepository(trx);
  }

  /** `lock` (inside a transaction): hold the row until commit, so concurrent writers queue up. */
  findLiveByName(developerId: string, name: string, lock = false): Promise<SecretRow | undefined> {
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('live_name', '=', name)
      .$if(lock && this.rowLocks, (q) => q.forUpdate())
      .executeTakeFirst();
  }

  /**
   * The live secrets of these names (at most MAX_NAMES_PER_READ, distinct) with their current
   * version's sealed value, in one query: a reveal then needs no second round trip. The found
   * ones, by name; `sealed` is null only if a version row is missing.
   */
  async findLiveWithCurrentVersions(developerId: string, names: readonly string[]): Promise<Map<string, LiveWithSealed>> {
    if (names.length > MAX_NAMES_PER_READ) throw new Error(`at most ${MAX_NAMES_PER_READ} names per read`);
    const found = new Map<string, LiveWithSealed>();
    for (const row of await liveWithCurrentVersions(this.db, developerId, names)) found.set(row.name, splitSealed(row));
    return found;
  }

  findLiveByNames(developerId: string, names: readonly string[]): Promise<SecretRow[]> {
    if (names.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('live_name', 'in', [...names])
      .execute();
  }

  /**
   * The most recently deleted secret with this name still inside its recovery window at `now`
   * (what `restoreSecret` brings back). Once `purge_at` has passed the secret is gone for the
   * API, whether or not a purge has erased the row yet.
   */
  findDeletedByName(developerId: string, name: string, now: number, lock = false): Promise<SecretRow | undefined> {
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('name', '=', name)
      .where('deleted_at', 'is not', null)
      .where('purge_at', '>', now)
      .orderBy('deleted_at', 'desc')
      .limit(1)
      .$if(lock && this.rowLocks, (q) => q.forUpdate())
      .executeTakeFirst();
  }

  /** One deleted secret still inside its recovery window at `now` whose name is among `names`, if any. */
  findDeletedByNames(developerId: string, names: readonly string[], now: number): Promise<Pick<SecretRow, 'name' | 'purge_at'> | undefined> {
    if (names.length === 0) return Promise.resolve(undefined);
    return this.db
      .selectFrom('secrets')
      .select(['name', 'purge_at'])
      .where('developer_id', '=', developerId)
      .where('name', 'in', [...names])
      .where('deleted_at', 'is not', null)
      .where('purge_at', '>', now)
      .limit(1)
      .executeTakeFirst();
  }

  /** findDeletedByNames for several tenants at once (each tenant's names looked up among its own secrets only), in one query. */
  findDeletedByNamesOfTenants(
    namesByTenant: ReadonlyMap<string, readonly string[]>,
    now: number,
  ): Promise<Pick<SecretRow, 'name' | 'purge_at'> | undefined> {
    const tenants = [...namesByTenant].filter(([, names]) => names.length > 0);
    if (tenants.length === 0) return Promise.resolve(undefined);
    if (tenants.length === 1) return this.findDeletedByNames(tenants[0]![0], tenants[0]![1], now);
    return this.db
      .selectFrom('secrets')
      .select(['name', 'purge_at'])
      .where((eb) => eb.or(tenants.map(([developerId, names]) => eb.and([eb('developer_id', '=', developerId), eb('name', 'in', [...names])]))))
      .where('deleted_at', 'is not', null)
      .where('purge_at', '>', now)
      .limit(1)
      .executeTakeFirst();
  }

  findById(developerId: string, id: string): Promise<SecretRow | undefined> {
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * A page of secrets in (name, id) order. Filtered by metadata, the page is read from the first
   * entry's index rows (developer, entry hash, name, id), which are already in page order: a
   * range scan that stops after `limit` rows, however many of the developer's secrets match.
   * Further entries are checked per row.
   */
  list(query: SecretListQuery): Promise<SecretRow[]> {
    return this.listQuery(query).execute();
  }

  /** The statement list() runs (its query plan is checked by a test). */
  listQuery(query: SecretListQuery) {
    const [first, ...more] = Object.entries(query.metadata ?? {}).map(([key, value]) => metadataEntryHash(key, value));
    const plain = this.db.selectFrom('secrets as s').selectAll('s');
    let q =
      first === undefined
        ? (plain as unknown as ReturnType<typeof byMetadata>)
        : byMetadata(this.db, query.developerId, first);
    // The page order's columns: the index's copy of name and id when it drives the read.
    const name = first === undefined ? sql.ref<string>('s.name') : sql.ref<string>('m.secret_name');
    const id = first === undefined ? sql.ref<string>('s.id') : sql.ref<string>('m.secret_id');
    q = q.where('s.developer_id', '=', query.developerId).where('s.deleted_at', query.deleted ? 'is not' : 'is', null);
    // Deleted secrets past their recovery window are gone, even before a purge erases the rows.
    if (query.deleted) q = q.where('s.purge_at', '>', query.now);
    if (query.namePrefix) {
      // Range instead of LIKE: no escaping of % and _, and it walks the index in name order.
      const prefix = query.namePrefix;
      q = q.where((eb) => eb.and([eb(name, '>=', prefix), eb(name, '<', prefix + '\u{10FFFF}')]));
    }
    for (const hash of more) {
      q = q.where('s.id', 'in', (sub) =>
        sub
          .selectFrom('secret_metadata')
          .select('secret_id')
          .where('developer_id', '=', query.developerId)
          .where('entry_hash', '=', hash),
      );
    }
    if (query.dueAt !== undefined) {
      const now = query.dueAt;
      q = q.where((eb) => eb.or([eb('s.rotation_due_at', '<=', now), eb('s.expires_at', '<=', now)]));
    }
    const op = query.backwards ? '<' : '>';
    if (query.cursor) {
      const cursor = query.cursor;
      q = q.where((eb) => eb.or([eb(name, op, cursor.name), eb.and([eb(name, '=', cursor.name), eb(id, op, cursor.id)])]));
    }
    const order = query.backwards ? 'desc' : 'asc';
    return q.orderBy(name, order).orderBy(id, order).limit(query.limit);
  }

  async insertSecret(row: SecretRow): Promise<void> {
    await this.db.insertInto('secrets').values(row).execute();
  }

  /**
   * New secrets with their first versions and metadata index rows, as multi-row inserts: a
   * batch of creates costs three statements, not three per create. The batch may hold several
   * tenants' creates (group commit across tenants): every row carries its own developer id, set
   * by the service from the caller. Chunked so no statement carries more bound parameters than
   * either database accepts.
   */
  async insertNewSecrets(items: ReadonlyArray<{ secret: SecretRow; version: SecretVersionRow; metadata: Metadata }>): Promise<void> {
    for (let i = 0; i < items.length; i += INSERT_CHUNK) {
      const chunk = items.slice(i, i + INSERT_CHUNK);
      await insertRows(this.db, 'secrets', chunk.map((c) => c.secret));
      await insertRows(this.db, 'secret_versions', chunk.map((c) => c.version));
    }
    const index = items.flatMap((c) => metadataRows(c.secret.developer_id, c.secret, c.metadata));
    for (let i = 0; i < index.length; i += METADATA_CHUNK) {
      await insertRows(this.db, 'secret_metadata', index.slice(i, i + METADATA_CHUNK));
    }
  }

  async updateSecret(developerId: string, id: string, changes: Partial<Omit<SecretRow, 'id' | 'developer_id'>>): Promise<boolean> {
    const result = await this.db
      .updateTable('secrets')
      .set(changes)
      .where('developer_id', '=', developerId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Records a reveal time on several secrets in one statement (a group-committed batch), at most
   * once a second per secret: reveals of one secret on several nodes then rarely write the same
   * row at the same moment (a multi-primary certification conflict), and lastRevealedAt stays
   * accurate to the second.
   */
  async markRevealed(developerId: string, secretIds: readonly string[], at: number): Promise<void> {
    if (secretIds.length === 0) return;
    await this.db
      .updateTable('secrets')
      .set({ last_revealed_at: at })
      .where('developer_id', '=', developerId)
      .where('id', 'in', [...secretIds])
      .where((eb) => eb.or([eb('last_revealed_at', 'is', null), eb('last_revealed_at', '<=', at - 1000)]))
      .execute();
  }

  async insertVersion(row: SecretVersionRow): Promise<void> {
    await this.db.insertInto('secret_versions').values(row).execute();
  }

  findVersion(developerId: string, secretId: string, version: number): Promise<SecretVersionRow | undefined> {
    return this.db
      .selectFrom('secret_versions')
      .selectAll()
      .where('developer_id', '=', developerId)
      .where('secret_id', '=', secretId)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /**
   * Versions newest first, strictly older than `cursor` when given; backwards returns the
   * versions strictly newer than `cursor`, oldest first.
   */
  listVersions(developerId: string, secretId: string, limit: number, cursor: number | undefined, backwards: boolean): Promise<VersionSummary[]> {
    let q = this.db
      .selectFrom('secret_versions')
      .select(['version', 'created_at', 'created_by', 'destroyed_at'])
      .where('developer_id', '=', developerId)
      .where('secret_id', '=', secretId);
    if (cursor !== undefined) q = q.where('version', backwards ? '>' : '<', cursor);
    return q.orderBy('version', backwards ? 'asc' : 'desc').limit(limit).execute();
  }

  /** Erases the ciphertexts of versions up to and including `upTo`; the rows stay as tombstones. */
  async destroyVersionsThrough(developerId: string, secretId: string, upTo: number, at: number): Promise<number> {
    const result = await this.db
      .updateTable('secret_versions')
      .set({ ciphertext: null, destroyed_at: at })
      .where('developer_id', '=', developerId)
      .where('secret_id', '=', secretId)
      .where('version', '<=', upTo)
      .where('destroyed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Erases one version's ciphertext; false when it does not exist or is already destroyed. */
  async destroyVersion(developerId: string, secretId: string, version: number, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('secret_versions')
      .set({ ciphertext: null, destroyed_at: at })
      .where('developer_id', '=', developerId)
      .where('secret_id', '=', secretId)
      .where('version', '=', version)
      .where('destroyed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async replaceMetadata(developerId: string, secret: { id: string; name: string }, metadata: Metadata): Promise<void> {
    await this.db.deleteFrom('secret_metadata').where('developer_id', '=', developerId).where('secret_id', '=', secret.id).execute();
    await this.insertMetadata(developerId, secret, metadata);
  }

  /**
   * Index rows of a secret that has none yet (a create). Skipping replaceMetadata's DELETE saves a
   * round trip, and on MySQL that DELETE's next-key locks on the shared index made creates of
   * different tenants deadlock each other.
   */
  async insertMetadata(developerId: string, secret: { id: string; name: string }, metadata: Metadata): Promise<void> {
    const rows = metadataRows(developerId, secret, metadata);
    await insertRows(this.db, 'secret_metadata', rows);
  }

  /** Erases a secret and everything under it (purge). */
  async purge(developerId: string, secretId: string): Promise<void> {
    await this.db.deleteFrom('secret_metadata').where('developer_id', '=', developerId).where('secret_id', '=', secretId).execute();
    await this.db.deleteFrom('secret_versions').where('developer_id', '=', developerId).where('secret_id', '=', secretId).execute();
    await this.db.deleteFrom('secrets').where('developer_id', '=', developerId).where('id', '=', secretId).execute();
  }

  /**
   * Purges the secret if its recovery window has still ended now, row-locked first: between
   * the purge job's scan and this transaction the secret may have been restored, or purged by
   * another node's purge job. False when there was nothing (left) to purge.
   */
  async purgeIfDue(developerId: string, secretId: string, now: number): Promise<boolean> {
    const due = await this.db
      .selectFrom('secrets')
      .select('id')
      .where('developer_id', '=', developerId)
      .where('id', '=', secretId)
      .where('purge_at', '<=', now)
      .$if(this.rowLocks, (q) => q.forUpdate())
      .executeTakeFirst();
    if (!due) return false;
    await this.purge(developerId, secretId);
    return true;
  }

  /** Deleted secrets whose recovery window has ended, oldest first, across tenants (purge job). */
  findPurgeable(now: number, limit: number): Promise<Array<Pick<SecretRow, 'id' | 'developer_id' | 'name'>>> {
    return this.db
      .selectFrom('secrets')
      .select(['id', 'developer_id', 'name'])
      .where('purge_at', '<=', now)
      .orderBy('purge_at')
      .limit(limit)
      .execute();
  }
}

/** Rows per multi-row insert of secrets / versions (16 and 8 columns: far below every bind limit). */
const INSERT_CHUNK = 200;
/** Metadata index rows per insert (4 columns each). */
const METADATA_CHUNK = 1000;

function metadataRows(developerId: string, secret: { id: string; name: string }, metadata: Metadata): SecretMetadataTable[] {
  return Object.entries(metadata).map(([key, value]) => ({
    secret_id: secret.id,
    developer_id: developerId,
    meta_key: key,
    secret_name: secret.name,
    entry_hash: metadataEntryHash(key, value),
  }));
}

/** The secrets matching one metadata entry, read through its index rows (joined to the secret). */
function byMetadata(db: Kysely<Database>, developerId: string, entryHash: string) {
  return db
    .selectFrom('secret_metadata as m')
    .innerJoin('secrets as s', 's.id', 'm.secret_id')
    .selectAll('s')
    .where('m.developer_id', '=', developerId)
    .where('m.entry_hash', '=', entryHash);
}
