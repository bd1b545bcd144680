import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { appendAuditEvents, auditedTransaction } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { Database, DataKeyRow } from '../db/database';
import { NotFoundError } from '../errors';
import { DataKeyRepository } from './data-key-repository';
import { asKeyServiceError, type DataKeyService } from './data-keys';
import { EnvelopeError, open, seal } from './envelope';
import { type EncryptionContext, type KeyProvider, KeyProviderError, type KeyProviderLogger, type WrappedKey } from './key-provider';
import { KeyProviderSet } from './key-provider-set';
import { KeyRotationRepository, type RetiredVersion } from './key-rotation-repository';

/**
 * Key rotation at both levels of the envelope (PRODUCT.md §4):
 *
 * - rotateDataKey: a new data key generation for a developer. New writes use it at once; old
 *   versions keep their data key and stay readable. Audited as `datakey.rotate`.
 * - rewrapDataKeys: every stored data key not under the primary provider's newest root key is
 *   re-wrapped (same provider: the provider's own rewrap, e.g. KMS ReEncrypt; another provider:
 *   unwrap with the old, wrap with the new, verified before the row changes). No secret value
 *   is touched. This is also how data keys move from one provider to another.
 * - reencryptSecretVersions: old secret versions re-sealed under their developer's newest data
 *   key, so retired data keys end up unreferenced and can eventually be dropped.
 * - pruneDataKeys: deletes those retired, unreferenced data keys. Audited as `datakey.prune`.
 *
 * The operator jobs are resumable and idempotent: each row is updated on its own, guarded
 * by compare-and-set, and a run skips rows already done, so an interrupted run (signal, crash,
 * provider outage) is finished by running it again. They log counts, never keys or values.
 */

export interface KeyRotationDeps {
  readonly db: Kysely<Database>;
  readonly dataKeys: DataKeyService;
  readonly clock: Clock;
  readonly logger?: KeyProviderLogger;
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

export interface JobOptions<P> {
  /** Rows per database round trip (default 100). */
  readonly batchSize?: number;
  /** Called after every row. */
  readonly onProgress?: (progress: Readonly<P>) => void;
  /** Stops the job between two rows; the summary then says `aborted` and a new run resumes. */
  readonly signal?: AbortSignal;
}

export interface RotateAllProgress {
  /** Developers at the start (the progress bar's end). */
  total: number;
  scanned: number;
  rotated: number;
  /** Developers without any data key yet: their first write creates one under the newest root key. */
  skipped: number;
}

export interface RewrapProgress {
  /** Data keys at the start (the progress bar's end). */
  total: number;
  scanned: number;
  rewrapped: number;
  /** Already under the target's newest root key. */
  current: number;
  /** Changed by someone else (another rewrap run) between read and write; that run's wrapping stands. */
  raced: number;
  /** Could not be unwrapped (damaged row, root key gone); left unchanged and logged by id. */
  failed: number;
}

export interface RewrapSummary extends RewrapProgress {
  /** The target provider's name. */
  readonly provider: string;
  /** Rewrapped data keys by the provider that wrapped them before. */
  readonly from: Record<string, number>;
  readonly aborted: boolean;
  readonly durationMs: number;
}

export interface ReencryptProgress {
  /** Versions not under their developer's newest data key at the start. */
  total: number;
  scanned: number;
  reencrypted: number;
  /** Destroyed, purged or re-sealed by someone else meanwhile; left as they are. */
  raced: number;
  /** Did not open (damaged ciphertext); left unchanged and logged by id. */
  failed: number;
}

export interface ReencryptSummary extends ReencryptProgress {
  readonly developers: number;
  /** Older data keys that no version references any more: nothing needs them to read. */
  readonly unreferencedDataKeys: number;
  readonly aborted: boolean;
  readonly durationMs: number;
}

export interface PruneProgress {
  /** Data keys below their developer's newest generation at the start (the progress bar's end). */
  total: number;
  /** Retired data keys examined. */
  scanned: number;
  /** Deleted (with dryRun: would be deleted). */
  pruned: number;
  /** Kept: a secret version (live or destroyed) still references them, or came to meanwhile. */
  referenced: number;
}

export interface PruneSummary extends PruneProgress {
  readonly developers: number;
  readonly dryRun: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
}

export interface PruneOptions extends JobOptions<PruneProgress> {
  /** Only this developer (default: every developer). */
  readonly developerId?: string;
  /** Count what would be pruned; delete nothing, audit nothing. */
  readonly dryRun?: boolean;
  /** For the `datakey.prune` audit records (default: `operator`). */
  readonly actor?: RotationActor;
}

export interface RotateAllSummary extends RotateAllProgress {
  readonly aborted: boolean;
  readonly durationMs: number;
}

const DEFAULT_BATCH = 100;

export class KeyRotationService {
  private readonly dataKeyRepo: DataKeyRepository;
  private readonly repo: KeyRotationRepository;

  constructor(private readonly deps: KeyRotationDeps) {
    this.dataKeyRepo = new DataKeyRepository(deps.db);
    this.repo = new KeyRotationRepository(deps.db);
  }

  get providers(): KeyProviderSet {
    return this.deps.dataKeys.providers;
  }

  /** A new data key generation for one developer, stored together with its `datakey.rotate` audit record. */
  async rotateDataKey(developerId: string, actor: RotationActor): Promise<RotatedDataKey> {
    if (!(await this.repo.developerExists(developerId))) throw new NotFoundError(`no developer ${developerId}`);
    let stored: DataKeyRow | undefined;
    const rotated = await this.deps.dataKeys.rotate(developerId, async (trx, row) => {
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
    });
    return {
      id: rotated.id,
      developerId,
      generation: rotated.generation,
      provider: rotated.provider,
      createdAt: new Date(Number(stored?.created_at ?? this.deps.clock.now())),
    };
  }

  /**
   * Visits every developer, in id order and in batches. Returns true when it stopped early:
   * `signal` aborted before the next developer, or `visit` reported its own interruption.
   */
  private async forEachDeveloper(
    batchSize: number,
    signal: AbortSignal | undefined,
    visit: (developerId: string) => Promise<boolean | void>,
  ): Promise<boolean> {
    let after: string | null = null;
    for (;;) {
      const ids = await this.repo.developerIdsAfter(after, batchSize);
      for (const id of ids) {
        if (signal?.aborted) return true;
        after = id;
        if ((await visit(id)) === true) return true;
      }
      if (ids.length < batchSize) return false;
    }
  }

  /** rotateDataKey for every developer that has a data key. */
  async rotateAll(actor: RotationActor, options: JobOptions<RotateAllProgress> = {}): Promise<RotateAllSummary> {
    const started = performance.now();
    const batchSize = checkBatch(options.batchSize);
    const progress: RotateAllProgress = { total: await this.repo.countDevelopers(), scanned: 0, rotated: 0, skipped: 0 };
    const aborted = await this.forEachDeveloper(batchSize, options.signal, async (id) => {
      progress.scanned++;
      if (await this.dataKeyRepo.findNewest(id)) {
        await this.rotateDataKey(id, actor);
        progress.rotated++;
      } else {
        progress.skipped++;
      }
      options.onProgress?.(progress);
    });
    const summary = { ...progress, aborted, durationMs: Math.round(performance.now() - started) };
    this.deps.logger?.info({ job: 'datakey.rotate', ...summary }, aborted ? 'data key rotation interrupted' : 'rotated data keys');
    return summary;
  }

  /**
   * Re-wraps every data key that is not under `to`'s newest root key (default: the primary
   * provider). `to` may be a provider the server does not use yet: the set's providers then
   * unwrap, `to` wraps. The target is health-checked first, which also refreshes what its
   * isCurrent() answers from.
   */
  async rewrapDataKeys(options: JobOptions<RewrapProgress> & { to?: KeyProvider | KeyProviderSet } = {}): Promise<RewrapSummary> {
    const started = performance.now();
    const batchSize = checkBatch(options.batchSize);
    const set = options.to instanceof KeyProviderSet ? options.to : options.to ? this.providers.withPrimary(options.to) : this.providers;
    const target = set.primary;
    await callProvider(target, () => target.checkHealth());

    const progress: RewrapProgress = { total: await this.dataKeyRepo.countAll(), scanned: 0, rewrapped: 0, current: 0, raced: 0, failed: 0 };
    const from: Record<string, number> = {};
    let aborted = false;
    let after: string | null = null;
    outer: for (;;) {
      const rows = await this.dataKeyRepo.listAfter(after, batchSize);
      for (const row of rows) {
        if (options.signal?.aborted) {
          aborted = true;
          break outer;
        }
        after = row.id;
        progress.scanned++;
        const outcome = await this.rewrapOne(set, row);
        progress[outcome]++;
        if (outcome === 'rewrapped') from[row.provider] = (from[row.provider] ?? 0) + 1;
        options.onProgress?.(progress);
      }
      if (rows.length < batchSize) break;
    }
    const summary: RewrapSummary = { ...progress, provider: target.name, from, aborted, durationMs: Math.round(performance.now() - started) };
    this.deps.logger?.info({ job: 'datakey.rewrap', ...summary }, aborted ? 'data key rewrap interrupted' : 'rewrapped data keys');
    return summary;
  }

  private async rewrapOne(set: KeyProviderSet, row: DataKeyRow): Promise<'rewrapped' | 'current' | 'raced' | 'failed'> {
    const target = set.primary;
    const wrapped: WrappedKey = { keyRef: row.key_ref, ciphertext: Buffer.from(row.wrapped) };
    if (row.provider === target.name && target.isCurrent(wrapped)) return 'current';
    const context: EncryptionContext = { developerId: row.developer_id, dataKeyId: row.id };
    let next: WrappedKey;
    try {
      next =
        row.provider === target.name
          ? await callProvider(target, () => target.rewrapDataKey(wrapped, context))
          : await this.move(set, row, wrapped, context);
    } catch (error) {
      if (!isRowProblem(error)) throw error;
      this.deps.logger?.warn(
        { job: 'datakey.rewrap', developerId: row.developer_id, dataKeyId: row.id, provider: row.provider, code: (error as KeyProviderError).code },
        'data key could not be rewrapped; left unchanged',
      );
      return 'failed';
    }
    if (row.provider === target.name && next.keyRef === row.key_ref && next.ciphertext.equals(wrapped.ciphertext)) return 'current';
    const to = { provider: target.name, keyRef: next.keyRef, wrapped: next.ciphertext };
    const replaced = await this.dataKeyRepo.replaceWrapped(row, to, this.deps.clock.now());
    return replaced ? 'rewrapped' : 'raced';
  }

  /** Another provider's data key into the target: unwrap, wrap, and prove the new wrapping opens to the same key. */
  private async move(set: KeyProviderSet, row: DataKeyRow, wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
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

  /**
   * Re-seals every live secret version that is not under its developer's newest data key with
   * that key, under the same (developer, secret, version) binding. Each version is swapped by
   * compare-and-set on the row as read, so a version destroyed or purged meanwhile is never
   * brought back and nothing a concurrent writer stored is overwritten (writers only ever add
   * versions). Data keys are fetched through the DataKeyService cache.
   */
  async reencryptSecretVersions(options: JobOptions<ReencryptProgress> & { developerId?: string } = {}): Promise<ReencryptSummary> {
    const started = performance.now();
    const batchSize = checkBatch(options.batchSize);
    if (options.developerId !== undefined && !(await this.repo.developerExists(options.developerId))) {
      throw new NotFoundError(`no developer ${options.developerId}`);
    }
    const progress: ReencryptProgress = { total: await this.repo.countRetired(options.developerId), scanned: 0, reencrypted: 0, raced: 0, failed: 0 };
    let developers = 0;
    let unreferencedDataKeys = 0;
    let aborted = false;
    const run = async (developerId: string): Promise<boolean> => {
      developers++;
      const result = await this.reencryptDeveloper(developerId, batchSize, progress, options);
      unreferencedDataKeys += result.unreferenced;
      return result.aborted;
    };
    if (options.developerId !== undefined) {
      aborted = await run(options.developerId);
    } else {
      aborted = await this.forEachDeveloper(batchSize, options.signal, run);
    }
    const summary: ReencryptSummary = { ...progress, developers, unreferencedDataKeys, aborted, durationMs: Math.round(performance.now() - started) };
    this.deps.logger?.info({ job: 'secret.reencrypt', ...summary }, aborted ? 're-encryption interrupted' : 're-encrypted secret versions');
    return summary;
  }

  private async reencryptDeveloper(
    developerId: string,
    batchSize: number,
    progress: ReencryptProgress,
    options: JobOptions<ReencryptProgress>,
  ): Promise<{ aborted: boolean; unreferenced: number }> {
    const newest = await this.dataKeyRepo.findNewest(developerId);
    if (!newest) return { aborted: false, unreferenced: 0 }; // no data key: no versions either
    let after: { secretId: string; version: number } | null = null;
    for (;;) {
      const page: RetiredVersion[] = await this.repo.retiredVersions(developerId, newest.generation, after, batchSize);
      for (const version of page) {
        if (options.signal?.aborted) return { aborted: true, unreferenced: 0 };
        after = { secretId: version.secret_id, version: version.version };
        progress.scanned++;
        progress[await this.reencryptOne(developerId, newest.id, version)]++;
        options.onProgress?.(progress);
      }
      if (page.length < batchSize) break;
    }
    await this.repo.repointTombstones(developerId, newest.generation, newest.id);
    return { aborted: false, unreferenced: await this.repo.unreferencedDataKeys(developerId, newest.generation) };
  }

  private async reencryptOne(developerId: string, currentKeyId: string, version: RetiredVersion): Promise<'reencrypted' | 'raced' | 'failed'> {
    const binding = { developerId, secretId: version.secret_id, version: version.version };
    const oldKey = await this.deps.dataKeys.get(developerId, version.data_key_id);
    let plaintext: Buffer;
    try {
      plaintext = open(oldKey, Buffer.from(version.ciphertext!), binding);
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      this.deps.logger?.warn(
        { job: 'secret.reencrypt', developerId, secretId: version.secret_id, version: version.version },
        'secret version does not open; left unchanged',
      );
      return 'failed';
    }
    let ciphertext: Buffer;
    try {
      // Fetched after the old key's await and used synchronously, as DataKeyService asks.
      const currentKey = await this.deps.dataKeys.get(developerId, currentKeyId);
      ciphertext = seal(currentKey, plaintext, binding);
    } finally {
      plaintext.fill(0);
    }
    return (await this.repo.replaceCiphertext(developerId, version, { dataKeyId: currentKeyId, ciphertext })) ? 'reencrypted' : 'raced';
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
  async pruneDataKeys(options: PruneOptions = {}): Promise<PruneSummary> {
    const started = performance.now();
    const batchSize = checkBatch(options.batchSize);
    const dryRun = options.dryRun ?? false;
    const actor = options.actor ?? { actorId: 'operator', requestId: null };
    if (options.developerId !== undefined && !(await this.repo.developerExists(options.developerId))) {
      throw new NotFoundError(`no developer ${options.developerId}`);
    }
    const progress: PruneProgress = { total: await this.repo.countRetiredDataKeys(options.developerId), scanned: 0, pruned: 0, referenced: 0 };
    let developers = 0;
    let aborted = false;
    const run = async (developerId: string): Promise<void> => {
      developers++;
      await this.pruneDeveloper(developerId, dryRun, actor, progress, options);
    };
    if (options.developerId !== undefined) {
      if (options.signal?.aborted) aborted = true;
      else await run(options.developerId);
    } else {
      aborted = await this.forEachDeveloper(batchSize, options.signal, run);
    }
    const summary: PruneSummary = { ...progress, developers, dryRun, aborted, durationMs: Math.round(performance.now() - started) };
    this.deps.logger?.info(
      { job: 'datakey.prune', ...summary },
      aborted ? 'data key pruning interrupted' : dryRun ? 'counted data keys to prune (dry run)' : 'pruned data keys',
    );
    return summary;
  }

  private async pruneDeveloper(
    developerId: string,
    dryRun: boolean,
    actor: RotationActor,
    progress: PruneProgress,
    options: PruneOptions,
  ): Promise<void> {
    const newest = await this.dataKeyRepo.findNewest(developerId);
    if (!newest) return;
    const retired = await this.repo.retiredDataKeys(developerId, newest.generation);
    const candidates = retired.filter((k) => !k.referenced);
    const pruned = new Set<string>();
    if (!dryRun && candidates.length > 0) {
      await auditedTransaction(this.deps.db, developerId, async (trx) => {
        const repo = new KeyRotationRepository(trx);
        // The DELETE (a write) comes first: on SQLite it takes the write lock before anything is read.
        for (const key of candidates) {
          if (await repo.deleteUnreferencedDataKey(developerId, key.id, newest.generation)) pruned.add(key.id);
        }
        if (pruned.size === 0) return;
        await appendAuditEvents(
          trx,
          developerId,
          [{ action: 'datakey.prune', actor: actor.actorId, requestId: actor.requestId ?? null, detail: { pruned: pruned.size } }],
          this.deps.clock.now(),
        );
      });
      for (const id of pruned) this.deps.dataKeys.forget(developerId, id);
    }
    for (const key of retired) {
      progress.scanned++;
      if (dryRun ? !key.referenced : pruned.has(key.id)) progress.pruned++;
      else progress.referenced++;
      options.onProgress?.(progress);
    }
  }
}

function checkBatch(batchSize: number | undefined): number {
  const n = batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RangeError('batchSize must be a whole number from 1 to 10000');
  return n;
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
