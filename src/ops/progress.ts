/**
 * What the operator jobs (src/ops) report while they run and when they end: the CLI turns these
 * into a progress bar and a summary. Counts only, never a key or a value.
 */

export interface JobOptions<P> {
  /** Rows per database round trip (default 100). */
  readonly batchSize?: number;
  /** Called after every row. */
  readonly onProgress?: (progress: Readonly<P>) => void;
  /** Stops the job between two rows; the summary then says `aborted` and a new run resumes. */
  readonly signal?: AbortSignal;
}

/** Ends every job's summary. */
interface JobEnd {
  readonly aborted: boolean;
  readonly durationMs: number;
}

export interface RotateAllProgress {
  /** Developers at the start (the progress bar's end). */
  total: number;
  scanned: number;
  rotated: number;
  /** Developers without any data key yet: their first write creates one under the newest root key. */
  skipped: number;
}

export interface RotateAllSummary extends RotateAllProgress, JobEnd {}

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

export interface RewrapSummary extends RewrapProgress, JobEnd {
  /** The target provider's name. */
  readonly provider: string;
  /** Rewrapped data keys by the provider that wrapped them before. */
  readonly from: Record<string, number>;
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

export interface ReencryptSummary extends ReencryptProgress, JobEnd {
  readonly developers: number;
  /** Older data keys that no version references any more: nothing needs them to read. */
  readonly unreferencedDataKeys: number;
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

export interface PruneSummary extends PruneProgress, JobEnd {
  readonly developers: number;
  readonly dryRun: boolean;
}

const DEFAULT_BATCH = 100;

export function checkBatch(batchSize: number | undefined): number {
  const n = batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RangeError('batchSize must be a whole number from 1 to 10000');
  return n;
}
