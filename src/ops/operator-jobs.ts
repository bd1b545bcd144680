import type { RotationActor } from '../crypto/key-rotation';
import type { OpsDeps } from './deps';
import type { JobOptions, PruneSummary, ReencryptSummary, RewrapSummary, RotateAllProgress, RotateAllSummary } from './progress';
import { type PruneOptions, pruneDataKeys } from './prune';
import { type ReencryptOptions, reencryptSecretVersions } from './reencrypt';
import { type RewrapOptions, rewrapDataKeys } from './rewrap';
import { rotateAllDataKeys } from './rotate-all';

/**
 * The operator's cross-tenant key jobs, run by `locksmith keys ...` (never by a GraphQL
 * request). Each is resumable and idempotent: every row is updated on its own, guarded by
 * compare-and-set, and a run skips rows already done, so an interrupted run (signal, crash,
 * provider outage) is finished by running it again. They log counts, never keys or values.
 * The order of a full rotation (rotate, rewrap, re-encrypt, prune) is in docs/encryption.md.
 */
export class OperatorJobs {
  constructor(private readonly deps: OpsDeps) {}

  /** A new data key generation for every developer that has one. */
  rotateAll(actor: RotationActor, options?: JobOptions<RotateAllProgress>): Promise<RotateAllSummary> {
    return rotateAllDataKeys(this.deps, actor, options);
  }

  /** Every data key re-wrapped under the target provider's newest root key. */
  rewrapDataKeys(options?: RewrapOptions): Promise<RewrapSummary> {
    return rewrapDataKeys(this.deps, options);
  }

  /** Old secret versions re-sealed under their developer's newest data key. */
  reencryptSecretVersions(options?: ReencryptOptions): Promise<ReencryptSummary> {
    return reencryptSecretVersions(this.deps, options);
  }

  /** Retired, unreferenced data keys deleted. */
  pruneDataKeys(options?: PruneOptions): Promise<PruneSummary> {
    return pruneDataKeys(this.deps, options);
  }
}
