/**
 * Frozen. Per-secret host binding: `allowed_hosts` holds the JSON array of host names (and
 * `*.example.com` patterns) a task may send the secret, or anything derived from it, to.
 * NULL means no binding (the server's network policy alone decides). Never filtered on, so
 * no index.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('secrets').addColumn('allowed_hosts', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('secrets').dropColumn('allowed_hosts').execute();
}
