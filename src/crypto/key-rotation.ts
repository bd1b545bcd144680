import { appendAuditEvents } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { DataKeyRow } from '../db/database';
import type { TenantTransactions } from '../db/tenant-transaction';
import { DataKeyRepository } from './data-key-repository';
import { NotFoundError } from '../errors';
import type { DataKeyService } from './data-keys';

/**
 * A tenant's own data key rotation (the `rotateDataKey` mutation, `locksmith keys rotate
 * --developer`): a new data key generation for one developer. New writes use it at once; old
 * versions keep their data key and stay readable. Audited as `datakey.rotate`. The cross-tenant
 * operator jobs (rewrap, re-encrypt, prune, rotate every developer) live in src/ops; the design
 * is in docs/encryption.md.
 */

export interface KeyRotationDeps {
  readonly tenants: TenantTransactions;
  readonly dataKeys: DataKeyService;
  readonly clock: Clock;
  /** Looks a developer up, so a rotation for an unknown id is a NotFoundError (the CLI takes any id). */
  readonly developers: { get(id: string): Promise<unknown | null> };
}

/** Who asked, for the audit record: an API key (GraphQL) or an operator (CLI). */
export interface RotationActor {
  readonly actorId: string;
  readonly requestId?: string | null;
}

export interface RotatedDataKey {
  readonly id: string;
  readonly developerId: string;
  readonly generation: number;
  readonly provider: string;
  readonly createdAt: Date;
}

export class KeyRotationService {
  constructor(private readonly deps: KeyRotationDeps) {}

  /** A new data key generation for one developer, stored together with its `datakey.rotate` audit record. */
  async rotateDataKey(developerId: string, actor: RotationActor): Promise<RotatedDataKey> {
    if (!(await this.deps.developers.get(developerId))) throw new NotFoundError(`no developer ${developerId}`);
    let stored: DataKeyRow | undefined;
    // The new generation and its audit record commit together, in a tenant transaction.
    const rotated = await this.deps.dataKeys.rotate(developerId, (row) =>
      this.deps.tenants.run(developerId, async (trx) => {
        if (!(await new DataKeyRepository(trx).insert(row))) return false;
        stored = row;
        await appendAuditEvents(
          trx,
          developerId,
          [
            {
              action: 'datakey.rotate',
              actor: actor.actorId,
              requestId: actor.requestId ?? null,
              detail: { generation: row.generation, provider: row.provider },
            },
          ],
          Number(row.created_at),
        );
        return true;
      }),
    );
    return {
      id: rotated.id,
      developerId,
      generation: rotated.generation,
      provider: rotated.provider,
      createdAt: new Date(Number(stored?.created_at ?? this.deps.clock.now())),
    };
  }
}
