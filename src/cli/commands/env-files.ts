import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isLocksmithError, type LocksmithClient } from '../../client';
import type { SecretFilter } from '../../client/types';
import { CliError, EXIT, exitCodeForCode, UsageError } from '../exit-codes';
import { collect, decodeUtf8, parseMetadata, readStdin } from '../input';
import { note, printJson, printLine } from '../output';
import type { RuntimeFactory } from '../runtime';
import { writePrivateFile } from '../private-file';

/**
 * `locksmith import FILE` and `locksmith export --reveal`: .env files in dotenv's format.
 *
 * Import creates each key, or updates it when the name is taken (a new version, even when the
 * value is unchanged: comparing would mean revealing every current value). Empty values are
 * skipped (the server stores 1 byte to 64 KiB, and `KEY=` placeholders are common in .env files).
 * Errors are per key; auth and availability errors stop the run since every later key would
 * fail the same way. Export prints values, so it refuses to run without --reveal.
 */

type Outcome = 'created' | 'updated' | 'skipped';

interface Failure {
  name: string;
  code: string;
  message: string;
}

const STOP_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'UNAVAILABLE', 'KEY_SERVICE_UNAVAILABLE']);

async function importOne(
  client: LocksmithClient,
  name: string,
  value: string,
  options: { overwrite: boolean; metadata: ReturnType<typeof parseMetadata> },
): Promise<Outcome> {
  try {
    await client.secrets.create({ name, value, metadata: options.metadata });
    return 'created';
  } catch (error) {
    if (!(isLocksmithError(error) && error.code === 'NAME_TAKEN')) throw error;
  }
  if (!options.overwrite) return 'skipped';
  await client.secrets.update({ name, value });
  return 'updated';
}

export function registerEnvFiles(program: Command, runtime: RuntimeFactory): void {
  program
    .command('import')
    .description('create or update one secret per entry of a .env file ("-" reads stdin)')
    .argument('<file>')
    .option('--no-overwrite', 'leave existing secrets alone (default: update them, adding a version)')
    .option('--metadata <key=value>', 'metadata for secrets this creates; repeatable', collect)
    .action(async (file: string, opts: { overwrite: boolean; metadata?: string[] }, cmd: Command) => {
      const rt = runtime(cmd);
      const metadata = parseMetadata(opts.metadata);
      let bytes: Buffer;
      try {
        bytes = file === '-' ? await readStdin(rt.io) : readFileSync(file);
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      // Loaded on use: every other command starts faster without dotenv and cli-progress.
      const { parseDotenv } = require('../dotenv') as typeof import('../dotenv');
      const entries = parseDotenv(decodeUtf8(bytes, file));
      if (entries.length === 0) throw new UsageError(`${file} has no KEY=value entries`);

      const client = rt.client();
      const result: Record<Outcome, string[]> & { failed: Failure[]; skippedEmpty: string[] } = {
        created: [],
        updated: [],
        skipped: [],
        skippedEmpty: [],
        failed: [],
      };
      // A bar only for people watching: redirected stderr (CI logs, scripts) gets no escape codes.
      const bar = rt.io.stderr.isTTY
        ? new (require('cli-progress') as typeof import('cli-progress')).SingleBar({
            stream: rt.io.stderr as NodeJS.WriteStream,
            format: 'importing [{bar}] {value}/{total} {name}',
            hideCursor: true,
            clearOnComplete: true,
          })
        : undefined;
      bar?.start(entries.length, 0, { name: '' });
      let stoppedBy: unknown;
      try {
        for (const [name, value] of entries) {
          bar?.update({ name });
          if (value === '') result.skippedEmpty.push(name);
          else {
            try {
              result[await importOne(client, name, value, { overwrite: opts.overwrite, metadata })].push(name);
            } catch (error) {
              const code = isLocksmithError(error) ? error.code : 'UNEXPECTED';
              if (STOP_CODES.has(code) || !isLocksmithError(error)) {
                stoppedBy = error;
                break;
              }
              result.failed.push({ name, code, message: error.message });
            }
          }
          bar?.increment();
        }
      } finally {
        bar?.stop();
      }
      const processed = result.created.length + result.updated.length + result.skipped.length + result.skippedEmpty.length + result.failed.length;
      // Stopped at the first entry (e.g. a wrong token): the error alone says it all.
      if (stoppedBy && processed === 0) throw stoppedBy;

      for (const failure of result.failed) note(rt.io, `${failure.name}: ${failure.message}`);
      for (const name of result.skippedEmpty) note(rt.io, `${name}: skipped (empty value)`);
      if (rt.json) printJson(rt.io, result);
      else {
        printLine(
          rt.io,
          `imported ${file}: ${result.created.length} created, ${result.updated.length} updated, ` +
            `${result.skipped.length + result.skippedEmpty.length} skipped, ${result.failed.length} failed`,
        );
      }
      if (stoppedBy) throw stoppedBy;
      const first = result.failed[0];
      if (first) {
        throw new CliError(`${result.failed.length} of ${entries.length} entries failed`, exitCodeForCode(first.code));
      }
    });

  program
    .command('export')
    .description('print secrets with their values as a .env file; needs --reveal')
    .option('--reveal', 'confirm that values may be printed (each read is audited)')
    .option('--prefix <prefix>', 'names starting with this')
    .option('--metadata <key=value>', 'only secrets with this metadata entry; repeatable', collect)
    .option('-o, --output <file>', 'write to a file (created with mode 0600) instead of stdout')
    .action(async (opts: { reveal?: boolean; prefix?: string; metadata?: string[]; output?: string }, cmd: Command) => {
      const rt = runtime(cmd);
      if (!opts.reveal) {
        throw new UsageError('export prints secret values: pass --reveal to confirm (and -o FILE to keep them off the terminal)');
      }
      const filter: SecretFilter = { namePrefix: opts.prefix, metadata: parseMetadata(opts.metadata) };
      const entries: Array<[string, string]> = [];
      for await (const secret of rt.client().secrets.revealAll({ filter, pageSize: 100 })) entries.push([secret.name, secret.value]);
      const { DotenvEncodingError, encodeDotenv } = require('../dotenv') as typeof import('../dotenv');
      let text: string;
      try {
        text = encodeDotenv(entries);
      } catch (error) {
        if (error instanceof DotenvEncodingError) throw new CliError(error.message, EXIT.UNEXPECTED);
        throw error;
      }
      if (opts.output) {
        writePrivateFile(opts.output, text);
        if (!rt.json) note(rt.io, `wrote ${entries.length} secrets to ${opts.output}`);
        else printJson(rt.io, { output: opts.output, count: entries.length });
      } else rt.io.stdout.write(text);
    });
}
