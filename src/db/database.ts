import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Table types as Kysely sees them. Conventions, chosen so one code path runs on MySQL and
 * SQLite: ids are application-generated UUIDv7 strings (MySQL has no RETURNING); times are
 * BIGINT epoch milliseconds (SQLite cannot bind Date, MySQL DATETIME drags time zones in);
 * JSON is stored as TEXT and parsed in repositories; ciphertext is binary.
 */

type Millis = number;
/** BIGINT columns come back as number from both drivers at the sizes we use (< 2^53). */
type BigIntColumn = ColumnType<number, number, number>;

export interface DevelopersTable {
  id: string;
  name: string;
  created_at: BigIntColumn;
}

/**
 * The head of one audit hash chain: a tenant has one chain per writer node (docs/audit-chain.md),
 * so writes of one tenant on different nodes never update the same row.
 */
export interface AuditChainsTable {
  developer_id: string;
  /** The writer node's id; '' is the single chain written before per-node chains existed. */
  chain_id: string;
  /** Sequence number of the chain's newest record (0: none yet). */
  seq: BigIntColumn;
  /** That record's hash. */
  head: string;
}

export interface ApiKeysTable {
  id: string;
  developer_id: string;
  name: string;
  /** SHA-256 of the full token (tokens are 256-bit random, so a plain hash is enough). */
  token_hash: string;
  /** First characters of the token, shown in listings so a user can tell keys apart. */
  token_prefix: string;
  /** Space-separated scope names. */
  scopes: string;
  created_at: BigIntColumn;
  expires_at: Millis | null;
  revoked_at: Millis | null;
  last_used_at: Millis | null;
}

export interface DataKeysTable {
  id: string;
  developer_id: string;
  /** Per-developer generation counter; the highest live one seals new writes. */
  generation: number;
  provider: string;
  key_ref: string;
  wrapped: Buffer;
  created_at: BigIntColumn;
  rewrapped_at: Millis | null;
}

export interface SecretsTable {
  id: string;
  developer_id: string;
  name: string;
  /**
   * `name` while the secret is live, NULL once deleted. A UNIQUE (developer_id, live_name)
   * index then gives "unique among live secrets" on MySQL, which has no partial indexes.
   */
  live_name: string | null;
  description: string | null;
  /** JSON object text. */
  metadata: string;
  current_version: number;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  deleted_at: Millis | null;
  purge_at: Millis | null;
  rotate_every_days: number | null;
  expires_at: Millis | null;
  value_changed_at: BigIntColumn;
  last_revealed_at: Millis | null;
  /** value_changed_at + rotate_every_days, precomputed for an indexed "due for rotation" filter. */
  rotation_due_at: Millis | null;
  /** JSON array of host patterns a task may send this secret to; NULL: not bound. */
  allowed_hosts: string | null;
}

export interface SecretVersionsTable {
  secret_id: string;
  version: number;
  developer_id: string;
  data_key_id: string;
  /** nonce || AES-256-GCM ciphertext || tag. NULL once the version is destroyed. */
  ciphertext: Buffer | null;
  created_at: BigIntColumn;
  /** API key id (or "admin") that wrote the version. */
  created_by: string | null;
  destroyed_at: Millis | null;
}

/** One row per metadata entry, so filters are index lookups rather than JSON scans. */
export interface SecretMetadataTable {
  secret_id: string;
  developer_id: string;
  meta_key: string;
  /** SHA-256 hex of (key, canonical JSON value): exact, typed equality through an index. */
  entry_hash: string;
}

export interface AuditEventsTable {
  /** UUIDv7: time-ordered, the order the log is listed in. */
  id: string;
  developer_id: string;
  /** Which of the tenant's chains (writer node) the record belongs to. */
  chain_id: string;
  /** Position in its chain, from 1, without gaps. */
  seq: BigIntColumn;
  action: string;
  secret_name: string | null;
  version: number | null;
  actor: string | null;
  request_id: string | null;
  at: BigIntColumn;
  /** Small JSON object with non-secret details (e.g. api key name, scopes). Never a value. */
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface Database {
  developers: DevelopersTable;
  api_keys: ApiKeysTable;
  data_keys: DataKeysTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  secret_metadata: SecretMetadataTable;
  audit_events: AuditEventsTable;
  audit_chains: AuditChainsTable;
}

export type DeveloperRow = Selectable<DevelopersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type DataKeyRow = Selectable<DataKeysTable>;
export type SecretRow = Selectable<SecretsTable>;
export type SecretVersionRow = Selectable<SecretVersionsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
export type { Generated };
