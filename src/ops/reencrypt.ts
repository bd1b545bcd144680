import { performance } from 'node:perf_hooks';
import { DataKeyRepository } from '../crypto/data-key-repository';
import { EnvelopeError, open, seal } from '../crypto/envelope';
import { forEachDeveloper, type OpsDeps, requireDeveloper } from './deps';
import { checkBatch, type JobOptions, type ReencryptProgress, type ReencryptSummary } from './progress';
import { OperatorRepository, type RetiredVersion } from './repository';

export interface ReencryptOptions extends JobOptions<ReencryptProgress> {
  /** Only this developer (default: every developer). */
  readonly developerId?: string;
}

/**
 * Re-seals every live secret version that is not under its developer's newest data key with
 * that key, under the same (developer, secret, version) binding, so retired data keys end up
 * unreferenced and can be pruned. Each version is swapped by compare-and-set on the row as read,
 * so a version destroyed or purged meanwhile is never brought back and nothing a concurrent
 * writer stored is overwritten (writers only ever add versions). Data keys are fetched through
 * the DataKeyService cache.
 */
export async function reencryptSecretVersions(deps: OpsDeps, options: ReencryptOptions = {}): Promise<ReencryptSummary> {
  const started = performance.now();
  const batchSize = checkBatch(options.batchSize);
  const repo = new OperatorRepository(deps.db);
  await requireDeveloper(repo, options.developerId);
  const progress: ReencryptProgress = { total: await repo.countRetired(options.developerId), scanned: 0, reencrypted: 0, raced: 0, failed: 0 };
  let developers = 0;
  let unreferencedDataKeys = 0;
  const run = async (developerId: string): Promise<boolean> => {
    developers++;
    const result = await reencryptDeveloper(deps, repo, developerId, batchSize, progress, options);
    unreferencedDataKeys += result.unreferenced;
    return result.aborted;
  };
  const aborted = options.developerId !== undefined ? await run(options.developerId) : await forEachDeveloper(repo, batchSize, options.signal, run);
  const summary: ReencryptSummary = { ...progress, developers, unreferencedDataKeys, aborted, durationMs: Math.round(performance.now() - started) };
  deps.logger?.info({ job: 'secret.reencrypt', ...summary }, aborted ? 're-encryption interrupted' : 're-encrypted secret versions');
  return summary;
}

async function reencryptDeveloper(
  deps: OpsDeps,
  repo: OperatorRepository,
  developerId: string,
  batchSize: number,
  progress: ReencryptProgress,
  options: JobOptions<ReencryptProgress>,
): Promise<{ aborted: boolean; unreferenced: number }> {
  const newest = await new DataKeyRepository(deps.db).findNewest(developerId);
  if (!newest) return { aborted: false, unreferenced: 0 }; // no data key: no versions either
  let after: { secretId: string; version: number } | null = null;
  for (;;) {
    const page: RetiredVersion[] = await repo.retiredVersions(developerId, newest.generation, after, batchSize);
    for (const version of page) {
      if (options.signal?.aborted) return { aborted: true, unreferenced: 0 };
      after = { secretId: version.secret_id, version: version.version };
      progress.scanned++;
      progress[await reencryptOne(deps, repo, developerId, newest.id, version)]++;
      options.onProgress?.(progress);
    }
    if (page.length < batchSize) break;
  }
  await repo.repointTombstones(developerId, newest.generation, newest.id);
  return { aborted: false, unreferenced: await repo.unreferencedDataKeys(developerId, newest.generation) };
}

async function reencryptOne(
  deps: OpsDeps,
  repo: OperatorRepository,
  developerId: string,
  currentKeyId: string,
  version: RetiredVersion,
): Promise<'reencrypted' | 'raced' | 'failed'> {
  const binding = { developerId, secretId: version.secret_id, version: version.version };
  const oldKey = await deps.dataKeys.get(developerId, version.data_key_id);
  let plaintext: Buffer;
  try {
    plaintext = open(oldKey, Buffer.from(version.ciphertext!), binding);
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    deps.logger?.warn(
      { job: 'secret.reencrypt', developerId, secretId: version.secret_id, version: version.version },
      'secret version does not open; left unchanged',
    );
    return 'failed';
  }
  let ciphertext: Buffer;
  try {
    // Fetched after the old key's await and used synchronously, as DataKeyService asks.
    const currentKey = await deps.dataKeys.get(developerId, currentKeyId);
    ciphertext = seal(currentKey, plaintext, binding);
  } finally {
    plaintext.fill(0);
  }
  return (await repo.replaceCiphertext(developerId, version, { dataKeyId: currentKeyId, ciphertext })) ? 'reencrypted' : 'raced';
}
