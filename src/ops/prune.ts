import { performance } from 'node:perf_hooks';
import { appendAuditEvents } from '../audit/audit-log';
import { DataKeyRepository } from '../crypto/data-key-repository';
import type { RotationActor } from '../crypto/key-rotation';
import { forEachDeveloper, type OpsDeps, requireDeveloper } from './deps';
import { checkBatch, type JobOptions, type PruneProgress, type PruneSummary } from './progress';
import { OperatorRepository } from './repository';

export interface PruneOptions extends JobOptions<PruneProgress> {
  /** Only this developer (default: every developer). */
  readonly developerId?: string;
  /** Count what would be pruned; delete nothing, audit nothing. */
  readonly dryRun?: boolean;
  /** For the `datakey.prune` audit records (default: `operator`). */
  readonly actor?: RotationActor;
}

/**
 * Deletes data keys that are (a) below their developer's newest generation and (b) referenced
 * by no secret_versions row. Destroyed versions keep their data_key_id and so count as
 * references, until the re-encrypt job points them at the newest key; run `reencrypt` first.
 * Nothing is unwrapped and no provider is called; the newest generation is never touched, so
 * every developer that had a data key still has one.
 *
 * Safe next to live writers:
 * - New versions are sealed under the newest generation, which is never pruned: candidates are
 *   strictly below the newest generation read at the start, and generations only grow.
 * - The one gap: a writer looks its data key up before its transaction, so a writer that read
 *   generation N just before a rotation to N+1 may insert its version under N afterwards. The
 *   DELETE therefore re-checks `NOT EXISTS (secret_versions where data_key_id = ...)` itself,
 *   inside the developer's audited transaction (on MySQL that takes the developer row lock that
 *   every audited write of the tenant takes first, so the two serialise), and the foreign key
 *   from secret_versions to data_keys backs it up. Either the version lands first and the key
 *   is kept (counted as `referenced`), or the key goes first and that write fails on the
 *   foreign key and can be retried under the newest key. No version is ever left pointing at a
 *   deleted key.
 *
 * One transaction per developer: its deletes and its `datakey.prune` audit record (a count)
 * commit together. Pruned keys are evicted from this process's DataKeyService cache; another
 * process (a server next to the CLI) drops them at its cache TTL, and nothing asks for them.
 * Stops between developers on `signal`; a new run carries on (already pruned keys are gone).
 */
export async function pruneDataKeys(deps: OpsDeps, options: PruneOptions = {}): Promise<PruneSummary> {
  const started = performance.now();
  const batchSize = checkBatch(options.batchSize);
  const dryRun = options.dryRun ?? false;
  const actor = options.actor ?? { actorId: 'operator', requestId: null };
  const repo = new OperatorRepository(deps.db);
  await requireDeveloper(repo, options.developerId);
  const progress: PruneProgress = { total: await repo.countRetiredDataKeys(options.developerId), scanned: 0, pruned: 0, referenced: 0 };
  let developers = 0;
  let aborted = false;
  const run = async (developerId: string): Promise<void> => {
    developers++;
    await pruneDeveloper(deps, repo, developerId, dryRun, actor, progress, options);
  };
  if (options.developerId !== undefined) {
    if (options.signal?.aborted) aborted = true;
    else await run(options.developerId);
  } else {
    aborted = await forEachDeveloper(repo, batchSize, options.signal, run);
  }
  const summary: PruneSummary = { ...progress, developers, dryRun, aborted, durationMs: Math.round(performance.now() - started) };
  deps.logger?.info(
    { job: 'datakey.prune', ...summary },
    aborted ? 'data key pruning interrupted' : dryRun ? 'counted data keys to prune (dry run)' : 'pruned data keys',
  );
  return summary;
}

async function pruneDeveloper(
  deps: OpsDeps,
  repo: OperatorRepository,
  developerId: string,
  dryRun: boolean,
  actor: RotationActor,
  progress: PruneProgress,
  options: PruneOptions,
): Promise<void> {
  const newest = await new DataKeyRepository(deps.db).findNewest(developerId);
  if (!newest) return;
  const retired = await repo.retiredDataKeys(developerId, newest.generation);
  const candidates = retired.filter((k) => !k.referenced);
  const pruned = new Set<string>();
  if (!dryRun && candidates.length > 0) {
    await deps.tenants.run(developerId, async (trx) => {
      const inTrx = repo.with(trx);
      // The DELETE (a write) comes first: on SQLite it takes the write lock before anything is read.
      for (const key of candidates) {
        if (await inTrx.deleteUnreferencedDataKey(developerId, key.id, newest.generation)) pruned.add(key.id);
      }
      if (pruned.size === 0) return;
      await appendAuditEvents(
        trx,
        developerId,
        [{ action: 'datakey.prune', actor: actor.actorId, requestId: actor.requestId ?? null, detail: { pruned: pruned.size } }],
        deps.clock.now(),
      );
    });
    for (const id of pruned) deps.dataKeys.forget(developerId, id);
  }
  for (const key of retired) {
    progress.scanned++;
    if (dryRun ? !key.referenced : pruned.has(key.id)) progress.pruned++;
    else progress.referenced++;
    options.onProgress?.(progress);
  }
}
