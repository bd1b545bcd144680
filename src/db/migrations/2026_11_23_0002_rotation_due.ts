/**
 * Frozen. Rotation reminders: when a secret's value is next due for rotation, precomputed so
 * `secrets(filter: { dueForRotation: true })` is an index range scan, not arithmetic per row.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('secrets').addColumn('rotation_due_at', 'bigint').execute();
  await db.schema.createIndex('secrets_rotation_due').on('secrets').columns(['developer_id', 'rotation_due_at']).execute();
  await db.schema.createIndex('secrets_expires').on('secrets').columns(['developer_id', 'expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('secrets_expires').on('secrets').execute();
  await db.schema.dropIndex('secrets_rotation_due').on('secrets').execute();
  await db.schema.alterTable('secrets').dropColumn('rotation_due_at').execute();
}
