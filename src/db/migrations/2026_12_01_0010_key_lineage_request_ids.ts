/**
 * Frozen. API key lineage and caller request ids.
 * - api_keys.parent_id: the key that minted this one (NULL for keys made by the admin token,
 *   a JWT, or before this migration). A child expires no later than its parent and is revoked
 *   with it; the index serves the cascade's "children of" lookup.
 * - audit_events.caller_request_id: the caller's X-Request-Id, kept beside the server's own
 *   request_id (which is what the hash chain covers and what logs carry).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('parent_id', 'varchar(36)').execute();
  await db.schema.createIndex('api_keys_parent').on('api_keys').columns(['developer_id', 'parent_id']).execute();
  await db.schema.alterTable('audit_events').addColumn('caller_request_id', 'varchar(64)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('caller_request_id').execute();
  await db.schema.dropIndex('api_keys_parent').on('api_keys').execute();
  await db.schema.alterTable('api_keys').dropColumn('parent_id').execute();
}
