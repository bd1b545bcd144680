import { performance } from 'node:perf_hooks';
import { DataKeyRepository } from '../crypto/data-key-repository';
import type { RotationActor } from '../crypto/key-rotation';
import { forEachDeveloper, type OpsDeps } from './deps';
import { checkBatch, type JobOptions, type RotateAllProgress, type RotateAllSummary } from './progress';
import { OperatorRepository } from './repository';

/** The tenant rotation (rotateDataKey) for every developer that has a data key. */
export async function rotateAllDataKeys(
  deps: OpsDeps,
  actor: RotationActor,
  options: JobOptions<RotateAllProgress> = {},
): Promise<RotateAllSummary> {
  const started = performance.now();
  const batchSize = checkBatch(options.batchSize);
  const repo = new OperatorRepository(deps.db);
  const dataKeys = new DataKeyRepository(deps.db);
  const progress: RotateAllProgress = { total: await repo.countDevelopers(), scanned: 0, rotated: 0, skipped: 0 };
  const aborted = await forEachDeveloper(repo, batchSize, options.signal, async (id) => {
    progress.scanned++;
    if (await dataKeys.findNewest(id)) {
      await deps.rotation.rotateDataKey(id, actor);
      progress.rotated++;
    } else {
      progress.skipped++;
    }
    options.onProgress?.(progress);
  });
  const summary = { ...progress, aborted, durationMs: Math.round(performance.now() - started) };
  deps.logger?.info({ job: 'datakey.rotate', ...summary }, aborted ? 'data key rotation interrupted' : 'rotated data keys');
  return summary;
}
