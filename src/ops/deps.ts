import type { Kysely } from 'kysely';
import type { Clock } from '../clock';
import type { DataKeyService } from '../crypto/data-keys';
import type { KeyProviderLogger } from '../crypto/key-provider';
import type { KeyRotationService } from '../crypto/key-rotation';
import type { Database } from '../db/database';
import type { TenantTransactions } from '../db/tenant-transaction';
import { NotFoundError } from '../errors';
import { OperatorRepository } from './repository';

/** What every operator job runs on; built by createCore (src/core.ts). */
export interface OpsDeps {
  readonly db: Kysely<Database>;
  /** Audited writes go through tenant transactions like every other tenant write. */
  readonly tenants: TenantTransactions;
  readonly dataKeys: DataKeyService;
  /** The tenant rotation, which rotate-all repeats per developer. */
  readonly rotation: KeyRotationService;
  readonly clock: Clock;
  readonly logger?: KeyProviderLogger;
}

/**
 * Visits every developer, in id order and in batches. Returns true when it stopped early:
 * `signal` aborted before the next developer, or `visit` reported its own interruption.
 */
export async function forEachDeveloper(
  repo: OperatorRepository,
  batchSize: number,
  signal: AbortSignal | undefined,
  visit: (developerId: string) => Promise<boolean | void>,
): Promise<boolean> {
  let after: string | null = null;
  for (;;) {
    const ids = await repo.developerIdsAfter(after, batchSize);
    for (const id of ids) {
      if (signal?.aborted) return true;
      after = id;
      if ((await visit(id)) === true) return true;
    }
    if (ids.length < batchSize) return false;
  }
}

/** A job limited to one developer (`--developer`) fails on an unknown id before it starts. */
export async function requireDeveloper(repo: OperatorRepository, developerId: string | undefined): Promise<void> {
  if (developerId !== undefined && !(await repo.developerExists(developerId))) throw new NotFoundError(`no developer ${developerId}`);
}
