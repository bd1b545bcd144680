import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DataKeyRepository } from '../crypto/data-key-repository';
import { asKeyServiceError } from '../crypto/data-keys';
import { type EncryptionContext, type KeyProvider, KeyProviderError, type WrappedKey } from '../crypto/key-provider';
import { KeyProviderSet } from '../crypto/key-provider-set';
import type { DataKeyRow } from '../db/database';
import type { OpsDeps } from './deps';
import { checkBatch, type JobOptions, type RewrapProgress, type RewrapSummary } from './progress';
import { OperatorRepository } from './repository';

export interface RewrapOptions extends JobOptions<RewrapProgress> {
  /** The target: a provider (wraps; the configured set unwraps) or a whole set. Default: the primary provider. */
  readonly to?: KeyProvider | KeyProviderSet;
}

/**
 * Re-wraps every stored data key that is not under the target's newest root key. Same provider:
 * the provider's own rewrap (KMS ReEncrypt, Vault rewrap); another provider: unwrap with the old,
 * wrap with the new, verified before the row changes. No secret value is touched; this is also how
 * data keys move from one provider to another (docs/encryption.md). `to` may be a provider the
 * server does not use yet. The target is health-checked first, which also refreshes what its
 * isCurrent() answers from. Each row is swapped by compare-and-set, so a run is resumable.
 */
export async function rewrapDataKeys(deps: OpsDeps, options: RewrapOptions = {}): Promise<RewrapSummary> {
  const started = performance.now();
  const batchSize = checkBatch(options.batchSize);
  const providers = deps.dataKeys.providers;
  const set = options.to instanceof KeyProviderSet ? options.to : options.to ? providers.withPrimary(options.to) : providers;
  const target = set.primary;
  await callProvider(target, () => target.checkHealth());

  const repo = new OperatorRepository(deps.db);
  const dataKeys = new DataKeyRepository(deps.db);
  const progress: RewrapProgress = { total: await repo.countDataKeys(), scanned: 0, rewrapped: 0, current: 0, raced: 0, failed: 0 };
  const from: Record<string, number> = {};
  let aborted = false;
  let after: string | null = null;
  outer: for (;;) {
    const rows = await repo.dataKeysAfter(after, batchSize);
    for (const row of rows) {
      if (options.signal?.aborted) {
        aborted = true;
        break outer;
      }
      after = row.id;
      progress.scanned++;
      const outcome = await rewrapOne(deps, dataKeys, set, row);
      progress[outcome]++;
      if (outcome === 'rewrapped') from[row.provider] = (from[row.provider] ?? 0) + 1;
      options.onProgress?.(progress);
    }
    if (rows.length < batchSize) break;
  }
  const summary: RewrapSummary = { ...progress, provider: target.name, from, aborted, durationMs: Math.round(performance.now() - started) };
  deps.logger?.info({ job: 'datakey.rewrap', ...summary }, aborted ? 'data key rewrap interrupted' : 'rewrapped data keys');
  return summary;
}

async function rewrapOne(
  deps: OpsDeps,
  dataKeys: DataKeyRepository,
  set: KeyProviderSet,
  row: DataKeyRow,
): Promise<'rewrapped' | 'current' | 'raced' | 'failed'> {
  const target = set.primary;
  const wrapped: WrappedKey = { keyRef: row.key_ref, ciphertext: Buffer.from(row.wrapped) };
  if (row.provider === target.name && target.isCurrent(wrapped)) return 'current';
  const context: EncryptionContext = { developerId: row.developer_id, dataKeyId: row.id };
  let next: WrappedKey;
  try {
    next =
      row.provider === target.name
        ? await callProvider(target, () => target.rewrapDataKey(wrapped, context))
        : await move(set, row, wrapped, context);
  } catch (error) {
    if (!isRowProblem(error)) throw error;
    deps.logger?.warn(
      { job: 'datakey.rewrap', developerId: row.developer_id, dataKeyId: row.id, provider: row.provider, code: (error as KeyProviderError).code },
      'data key could not be rewrapped; left unchanged',
    );
    return 'failed';
  }
  if (row.provider === target.name && next.keyRef === row.key_ref && next.ciphertext.equals(wrapped.ciphertext)) return 'current';
  const to = { provider: target.name, keyRef: next.keyRef, wrapped: next.ciphertext };
  const replaced = await dataKeys.replaceWrapped(row, to, deps.clock.now());
  return replaced ? 'rewrapped' : 'raced';
}

/** Another provider's data key into the target: unwrap, wrap, and prove the new wrapping opens to the same key. */
async function move(set: KeyProviderSet, row: DataKeyRow, wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
  const target = set.primary;
  const source = set.forName(row.provider);
  const plaintext = await callProvider(source, () => source.unwrapDataKey(wrapped, context));
  try {
    // From here on a failure is the target's, not this row's: it ends the job.
    const next = await targetCall(target, () => target.wrapDataKey(plaintext, context));
    const check = await targetCall(target, () => target.unwrapDataKey(next, context));
    const same = check.length === plaintext.length && timingSafeEqual(check, plaintext);
    check.fill(0);
    if (!same) {
      throw new KeyProviderError('MISCONFIGURED', `key provider "${target.name}" did not give back the data key it wrapped; nothing was changed`);
    }
    return next;
  } finally {
    plaintext.fill(0);
  }
}

/** A failure that concerns one row (the job goes on); anything else (an outage) ends the job. */
function isRowProblem(error: unknown): boolean {
  return error instanceof KeyProviderError && (error.code === 'INVALID_CIPHERTEXT' || error.code === 'KEY_NOT_FOUND');
}

/** A call to the rewrap target: its row-looking failures (key not found, refused bytes) are configuration problems. */
async function targetCall<T>(target: KeyProvider, call: () => Promise<T>): Promise<T> {
  try {
    return await callProvider(target, call);
  } catch (error) {
    if (isRowProblem(error)) {
      throw new KeyProviderError('MISCONFIGURED', `rewrap target "${target.name}": ${(error as Error).message}`);
    }
    throw error;
  }
}

async function callProvider<T>(provider: KeyProvider, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asKeyServiceError(error, provider.name);
  }
}
