/**
 * The ceiling for creates: the rows of N creates (secret, version, metadata, audit event), written
 * as multi-row inserts into the same tables (chunks of CHUNK creates) in ONE durable transaction,
 * with no HTTP, GraphQL, auth or per-create commit. What a create costs beyond this is
 * per-request overhead and per-request commits, which group commit and fewer round trips go after.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { appendAuditEvents } from '../src/audit/audit-log';
import { seal } from '../src/crypto/envelope';
import { createDatabase } from '../src/db/connect';
import { TenantTransactions } from '../src/db/tenant-transaction';
import { newId } from '../src/ids';
import { metadataEntryHash } from '../src/secrets/validation';
import type { DatabaseKind, TestDatabase } from '../tests/support/databases';

const CHUNK = 200;

export async function measureWriteCeiling(database: TestDatabase, _kind: DatabaseKind, creates = 1000): Promise<number> {
  const db = createDatabase(database.config);
  try {
    const developer = await db.selectFrom('developers').select('id').orderBy('created_at').executeTakeFirstOrThrow();
    const dataKey = await db.selectFrom('data_keys').select('id').where('developer_id', '=', developer.id).executeTakeFirstOrThrow();
    // The same lock order and audit chain as the server's writes, under a node id of its own.
    const tenants = new TenantTransactions(db, { nodeId: 'bench-ceiling' });
    const key = randomBytes(32); // the rows only need the right shape: nothing opens them
    const run = async (n: number, tag: string) => {
      const started = performance.now();
      await tenants.run(developer.id, async (trx) => {
        for (let from = 0; from < n; from += CHUNK) {
          const now = Date.now();
          const ids = Array.from({ length: Math.min(CHUNK, n - from) }, () => newId());
          const names = ids.map((_, i) => `ceiling_${tag}_${from + i}`);
          await trx
            .insertInto('secrets')
            .values(
              ids.map((id, i) => ({
                id,
                developer_id: developer.id,
                name: names[i]!,
                live_name: names[i]!,
                description: null,
                metadata: '{"env":"bench"}',
                current_version: 1,
                created_at: now,
                updated_at: now,
                deleted_at: null,
                purge_at: null,
                rotate_every_days: null,
                rotation_due_at: null,
                expires_at: null,
                value_changed_at: now,
                last_revealed_at: null,
              })),
            )
            .execute();
          await trx
            .insertInto('secret_versions')
            .values(
              ids.map((id) => ({
                secret_id: id,
                version: 1,
                developer_id: developer.id,
                data_key_id: dataKey.id,
                ciphertext: seal(key, Buffer.from('created-by-the-benchmark'), { developerId: developer.id, secretId: id, version: 1 }),
                created_at: now,
                created_by: 'bench',
                destroyed_at: null,
              })),
            )
            .execute();
          await trx
            .insertInto('secret_metadata')
            .values(ids.map((id, i) => ({ secret_id: id, developer_id: developer.id, meta_key: 'env', secret_name: names[i]!, entry_hash: metadataEntryHash('env', 'bench') })))
            .execute();
          await appendAuditEvents(
            trx,
            developer.id,
            names.map((name) => ({ action: 'secret.create' as const, secretName: name, version: 1, actor: 'bench' })),
            now,
          );
        }
      });
      return n / ((performance.now() - started) / 1000);
    };
    await run(Math.min(100, creates), `warm${Date.now()}`);
    return await run(creates, `${Date.now()}`);
  } finally {
    await db.destroy();
  }
}
