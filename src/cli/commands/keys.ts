import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { type Config, ConfigError, loadConfig } from '../../config';
import { createAuditSink } from '../../audit/sink';
import { type Core, createCore } from '../../core';
import { type KeyProvider, KeyProviderError } from '../../crypto/key-provider';
import type { RotationActor } from '../../crypto/key-rotation';
import { loadKeyProvider } from '../../crypto/load-provider';
import type {
  PruneProgress,
  PruneSummary,
  ReencryptProgress,
  ReencryptSummary,
  RewrapProgress,
  RewrapSummary,
  RotateAllProgress,
  RotateAllSummary,
} from '../../ops/progress';
import { KeyServiceUnavailableError, NotFoundError } from '../../errors';
import { createLogger } from '../../logger';
import { CliError, EXIT, UsageError } from '../exit-codes';
import { type CliIo, processIo } from '../io';
import { note, printFields, printJson } from '../output';

/**
 * `locksmith keys rotate|rewrap|reencrypt|prune`: operator commands. Unlike the rest of the CLI they
 * do not talk to a server: moving root keys is an operator's job, not a tenant API, so they open
 * the database and key providers directly with the server's own configuration (the same
 * LOCKSMITH_* environment, LOCKSMITH_PREVIOUS_KEY_PROVIDERS included) and may run next to a
 * live server. Each is resumable: interrupt it (Ctrl-C) or let it fail, run it again, and it
 * carries on where it stopped. Progress goes to stderr, the summary to stdout (--json for JSON).
 */

const DEFAULT_BATCH = 100;
/** Plain progress lines (stderr not a terminal): at most one per this many ms. */
const PLAIN_PROGRESS_EVERY_MS = 2000;

export function registerKeysCommands(program: Command, io: CliIo = processIo()): void {
  const keys = program
    .command('keys')
    .description(
      'operator: rotate data keys, rewrap them under a new root key or provider, re-encrypt old versions, prune retired data keys ' +
        '(uses the server configuration and database directly, not --url/--token)',
    );

  keys
    .command('rotate')
    .description("start a new data key generation for one developer or all: new writes use it at once, older versions stay readable")
    .addOption(new Option('--developer <id>', 'the developer whose data key to rotate'))
    .addOption(new Option('--all', 'every developer that has a data key').conflicts('developer'))
    .option('--batch <n>', 'developers per database round trip', parseBatch, DEFAULT_BATCH)
    .action(async (opts: { developer?: string; all?: boolean; batch: number }, cmd: Command) => {
      if (!opts.developer && !opts.all) throw new UsageError('give --developer <id> or --all');
      const json = wantsJson(cmd);
      await withOperator(io, async ({ services, ops }) => {
        const actor = operatorActor(io);
        if (opts.developer) {
          const rotated = await services.keys.rotateDataKey(opts.developer, actor);
          if (json) return printJson(io, rotated);
          printFields(io, [
            ['developer', rotated.developerId],
            ['data key', rotated.id],
            ['generation', String(rotated.generation)],
            ['provider', rotated.provider],
          ]);
          return;
        }
        const summary = await runJob<RotateAllSummary, RotateAllProgress>(
          io,
          'keys rotate',
          (onProgress, signal) => ops.rotateAll(actor, { batchSize: opts.batch, onProgress, signal }),
          (p) => `rotated ${p.rotated}, skipped ${p.skipped}`,
        );
        report(io, json, summary, [
          ['developers', String(summary.scanned)],
          ['rotated', String(summary.rotated)],
          ['skipped (no data key yet)', String(summary.skipped)],
          ['time', seconds(summary.durationMs)],
        ]);
        finish(summary.aborted, 0, '');
      });
    });

  keys
    .command('rewrap')
    .description('re-wrap every stored data key under the newest root key of the key provider (or --to another provider); no value is re-encrypted')
    .option('--to <provider>', 'target provider (name or module path), configured from the same environment; default LOCKSMITH_KEY_PROVIDER')
    .option('--batch <n>', 'data keys per database round trip', parseBatch, DEFAULT_BATCH)
    .action(async (opts: { to?: string; batch: number }, cmd: Command) => {
      const json = wantsJson(cmd);
      await withOperator(io, async ({ ops, providers, config, providerOptions, closeLater }) => {
        let to: KeyProvider | undefined;
        if (opts.to !== undefined) {
          to = providers.has(opts.to) ? providers.forName(opts.to) : await loadKeyProvider(opts.to, providerOptions);
          if (providers.has(to.name) && providers.forName(to.name) !== to) {
            await to.close?.();
            to = providers.forName(to.name);
          } else if (!providers.has(to.name)) {
            closeLater(to);
            // A server with this configuration could not unwrap the moved keys once its cache expires.
            note(
              io,
              `warning: "${to.name}" is not in LOCKSMITH_KEY_PROVIDER or LOCKSMITH_PREVIOUS_KEY_PROVIDERS: a server running with this ` +
                `configuration cannot unwrap data keys moved to it; stop it first, or restart it with "${to.name}" configured`,
            );
          }
        }
        const summary = await runJob<RewrapSummary, RewrapProgress>(
          io,
          'keys rewrap',
          (onProgress, signal) => ops.rewrapDataKeys({ to, batchSize: opts.batch, onProgress, signal }),
          (p) => `rewrapped ${p.rewrapped}, current ${p.current}${p.failed ? `, failed ${p.failed}` : ''}`,
        );
        const moved = Object.entries(summary.from).map(([name, n]) => `${n} from ${name}`).join(', ');
        report(io, json, summary, [
          ['provider', summary.provider],
          ['data keys', String(summary.scanned)],
          ['rewrapped', `${summary.rewrapped}${moved ? ` (${moved})` : ''}`],
          ['already current', String(summary.current)],
          ['changed meanwhile', String(summary.raced)],
          ['failed', String(summary.failed)],
          ['time', seconds(summary.durationMs)],
        ]);
        if (!json && !summary.aborted && summary.provider !== providers.primary.name) {
          note(
            io,
            `data keys are now under "${summary.provider}": set LOCKSMITH_KEY_PROVIDER=${summary.provider} with ` +
              `LOCKSMITH_PREVIOUS_KEY_PROVIDERS=${config.keyProvider}, restart, ` +
              'and run `locksmith keys rewrap` once more for keys written meanwhile',
          );
        }
        finish(summary.aborted, summary.failed, 'data keys could not be rewrapped (ids in the log lines above)');
      });
    });

  keys
    .command('reencrypt')
    .description("re-seal old secret versions under their developer's newest data key, so retired data keys are no longer needed")
    .option('--developer <id>', 'only this developer (default: every developer)')
    .option('--batch <n>', 'versions per database round trip', parseBatch, DEFAULT_BATCH)
    .action(async (opts: { developer?: string; batch: number }, cmd: Command) => {
      const json = wantsJson(cmd);
      await withOperator(io, async ({ ops }) => {
        const summary = await runJob<ReencryptSummary, ReencryptProgress>(
          io,
          'keys reencrypt',
          (onProgress, signal) => ops.reencryptSecretVersions({ developerId: opts.developer, batchSize: opts.batch, onProgress, signal }),
          (p) => `re-encrypted ${p.reencrypted}${p.failed ? `, failed ${p.failed}` : ''}`,
        );
        report(io, json, summary, [
          ['developers', String(summary.developers)],
          ['versions', String(summary.scanned)],
          ['re-encrypted', String(summary.reencrypted)],
          ['changed meanwhile', String(summary.raced)],
          ['failed', String(summary.failed)],
          ['unreferenced data keys', String(summary.unreferencedDataKeys)],
          ['time', seconds(summary.durationMs)],
        ]);
        finish(summary.aborted, summary.failed, 'secret versions could not be re-encrypted (ids in the log lines above)');
      });
    });

  keys
    .command('prune')
    .description(
      "delete retired data keys (below a developer's newest generation) that no secret version references any more; " +
        'run `keys reencrypt` first. The newest data key of each developer is never deleted',
    )
    .option('--developer <id>', 'only this developer (default: every developer)')
    .option('--dry-run', 'count what would be deleted; delete nothing')
    .option('--batch <n>', 'developers per database round trip', parseBatch, DEFAULT_BATCH)
    .action(async (opts: { developer?: string; dryRun?: boolean; batch: number }, cmd: Command) => {
      const json = wantsJson(cmd);
      const dryRun = Boolean(opts.dryRun);
      await withOperator(io, async ({ ops }) => {
        const actor = operatorActor(io);
        const summary = await runJob<PruneSummary, PruneProgress>(
          io,
          'keys prune',
          (onProgress, signal) =>
            ops.pruneDataKeys({ developerId: opts.developer, dryRun, actor, batchSize: opts.batch, onProgress, signal }),
          (p) => `${dryRun ? 'would prune' : 'pruned'} ${p.pruned}, referenced ${p.referenced}`,
        );
        report(io, json, summary, [
          ['developers', String(summary.developers)],
          ['retired data keys', String(summary.scanned)],
          [dryRun ? 'would prune' : 'pruned', String(summary.pruned)],
          ['still referenced', String(summary.referenced)],
          ['time', seconds(summary.durationMs)],
        ]);
        if (!json && dryRun) note(io, 'dry run: nothing was deleted');
        if (!json && !dryRun && summary.referenced > 0) {
          note(io, 'data keys still referenced by secret versions were kept: `locksmith keys reencrypt` moves those versions to the newest key');
        }
        finish(summary.aborted, 0, '');
      });
    });
}

interface Operator extends Core {
  /** Providers the command loaded on top of the configured set (--to), closed at the end. */
  closeLater(provider: KeyProvider): void;
}

/** Opens the core (database and providers) as the server would, runs `fn`, and closes everything. */
async function withOperator(io: CliIo, fn: (op: Operator) => Promise<void>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.USAGE);
    throw error;
  }
  if (config.database.kind === 'sqlite') {
    if (!existsSync(config.database.path)) {
      // Opening would create an empty database (and, in development, a new master key).
      throw new CliError(
        `no database at ${config.database.path}: run this with the server's configuration (LOCKSMITH_DATABASE_URL or LOCKSMITH_DATA_DIR)`,
        EXIT.USAGE,
      );
    }
  }
  // Warnings only by default (provider retries, rows that fail): stderr also carries the progress bar.
  const logger = createLogger(io.env.LOCKSMITH_LOG_LEVEL || 'warn', io.stderr as unknown as Parameters<typeof createLogger>[1]);
  const extra: KeyProvider[] = [];
  let core: Core | undefined;
  try {
    // The server applies pending migrations at start; so does this, with the same code.
    // A file audit stream gets the operator's records too (stdout is this command's own output).
    const sink = config.auditLog?.kind === 'file' ? createAuditSink(config.auditLog) : undefined;
    core = await createCore(config, { logger, onAuditCommitted: sink?.write });
    await fn({ ...core, closeLater: (p) => extra.push(p) });
  } catch (error) {
    throw toCliError(error);
  } finally {
    await Promise.allSettled(extra.map((p) => p.close?.()));
    await core?.close();
  }
}

type Job<S, P> = (onProgress: (p: Readonly<P>) => void, signal: AbortSignal) => Promise<S>;

/**
 * Runs a job with a progress bar on stderr (a terminal) or periodic plain lines (a log, a pipe),
 * and Ctrl-C stopping it cleanly between two rows (a second Ctrl-C kills the process).
 */
async function runJob<S, P extends { total: number; scanned: number }>(
  io: CliIo,
  label: string,
  job: Job<S, P>,
  detail: (p: Readonly<P>) => string,
): Promise<S> {
  const controller = new AbortController();
  const onSigint = () => {
    note(io, `${label}: stopping after the current row; run it again to resume`);
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const bar = io.stderr.isTTY
    ? new SingleBar(
        { stream: io.stderr, format: `${label} [{bar}] {percentage}% {value}/{total} | {detail} | {duration_formatted}`, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastLine = 0;
  let last: Readonly<P> | undefined;
  /** The last plain line written: the closing line is written only when it says something new. */
  let printed: string | undefined;
  const line = (p: Readonly<P>) => {
    const total = Math.max(p.total, p.scanned);
    const pct = total === 0 ? 100 : Math.floor((p.scanned / total) * 100);
    return `${label}: ${p.scanned}/${total} (${pct}%) ${detail(p)}`;
  };
  const plain = (p: Readonly<P>) => {
    printed = line(p);
    note(io, printed);
  };
  try {
    return await job((p) => {
      last = p;
      const total = Math.max(p.total, p.scanned);
      if (bar) {
        if (!started) bar.start(total, 0, { detail: '' });
        started = true;
        bar.setTotal(total);
        bar.update(p.scanned, { detail: detail(p) });
        return;
      }
      const now = Date.now();
      if (now - lastLine >= PLAIN_PROGRESS_EVERY_MS) {
        lastLine = now;
        plain(p);
      }
    }, controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (bar && started) bar.stop();
    else if (!bar && last && printed !== undefined && line(last) !== printed) plain(last);
  }
}

function report(io: CliIo, json: boolean, summary: object, fields: Array<readonly [string, string]>): void {
  if (json) printJson(io, summary);
  else printFields(io, fields);
}

function finish(aborted: boolean, failed: number, failedWhat: string): void {
  if (aborted) throw new CliError('interrupted: run the same command again to resume', EXIT.UNEXPECTED);
  if (failed > 0) throw new CliError(`${failed} ${failedWhat}`, EXIT.UNEXPECTED);
}

/** Our own errors carry safe messages (no key material, value or token); others stay masked by `run`. */
function toCliError(error: unknown): unknown {
  if (error instanceof CliError || error instanceof UsageError) return error;
  if (error instanceof KeyServiceUnavailableError) return new CliError(error.message, EXIT.UNAVAILABLE);
  if (error instanceof NotFoundError) return new CliError(error.message, EXIT.NOT_FOUND);
  if (error instanceof KeyProviderError) {
    const unavailable = error.code === 'PROVIDER_UNAVAILABLE' || error.code === 'PROVIDER_DENIED';
    return new CliError(error.message, error.code === 'MISCONFIGURED' ? EXIT.USAGE : unavailable ? EXIT.UNAVAILABLE : EXIT.UNEXPECTED);
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|ER_ACCESS_DENIED_ERROR|ER_BAD_DB_ERROR)$/.test(code)) {
    return new CliError(`cannot open the database (${code})`, EXIT.UNAVAILABLE);
  }
  return error;
}

/** The audit actor for rotations run from the CLI: the operator's login name where known. */
function operatorActor(io: CliIo): RotationActor {
  const user = (io.env.USER || io.env.LOGNAME || '').replace(/[^A-Za-z0-9._@-]/g, '').slice(0, 40);
  return { actorId: user ? `operator:${user}` : 'operator', requestId: null };
}

function wantsJson(cmd: Command): boolean {
  return Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
}

function parseBatch(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
  return n;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
