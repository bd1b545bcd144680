import type { Command } from 'commander';
import { LocksmithError } from '../../client/errors';
import type { RevealedSecret, Secret, SecretFilter, SecretVersion } from '../../client/types';
import { UsageError } from '../exit-codes';
import { collect, integer, parseMetadata, readValue, timestamp, type ValueFlags } from '../input';
import { formatMetadata, orDash, printFields, printJson, printLine, printTable } from '../output';
import type { RuntimeFactory } from '../runtime';

/** `locksmith secrets ...`: create, get, list, update, delete, restore, rollback, destroy-version, history. */

const VALUE_HELP = 'the value; "-" reads stdin (hidden prompt on a terminal). Visible in shell history: prefer --value-file or -';

function secretFields(secret: Secret): Array<[string, string | null]> {
  const fields: Array<[string, string | null]> = [
    ['name', secret.name],
    ['version', String(secret.version)],
    ['description', secret.description],
    ['metadata', formatMetadata(secret.metadata)],
    ['created', secret.createdAt],
    ['updated', secret.updatedAt],
    ['value changed', secret.valueChangedAt],
  ];
  if (secret.rotateEveryDays !== null) fields.push(['rotate every', `${secret.rotateEveryDays} days`], ['rotation due', secret.rotationDueAt]);
  if (secret.expiresAt) fields.push(['expires', secret.expiresAt]);
  if (secret.allowedHosts && secret.allowedHosts.length > 0) fields.push(['allowed hosts', secret.allowedHosts.join(', ')]);
  if (secret.lastRevealedAt) fields.push(['last revealed', secret.lastRevealedAt]);
  if (secret.deletedAt) fields.push(['deleted', secret.deletedAt], ['purge at', secret.purgeAt]);
  return fields;
}

interface CreateOptions extends ValueFlags {
  name?: string;
  description?: string;
  metadata?: string[];
  rotateEveryDays?: number;
  expiresAt?: string;
  allowedHost?: string[];
}

interface UpdateOptions extends CreateOptions {
  clearDescription?: boolean;
  clearMetadata?: boolean;
  clearAllowedHosts?: boolean;
  /** false after --no-rotation (commander's negatable flag; true otherwise). */
  rotation: boolean;
  /** false after --no-expiry. */
  expiry: boolean;
  expectedVersion?: number;
}

function nameFrom(positional: string | undefined, flag: string | undefined): string {
  if (positional && flag && positional !== flag) throw new UsageError(`two names given: ${positional} and --name ${flag}`);
  const name = positional ?? flag;
  if (!name) throw new UsageError('give the secret name (NAME or --name NAME)');
  return name;
}

export function registerSecrets(program: Command, runtime: RuntimeFactory): void {
  const secrets = program.command('secrets').description('create, read and manage secrets');

  secrets
    .command('create')
    .description('store a new secret')
    .argument('[name]', 'secret name (or --name)')
    .option('--name <name>', 'secret name: a letter, then letters, digits, underscores (max 128)')
    .option('--value <value>', VALUE_HELP)
    .option('--value-file <path>', 'read the value from a file ("-" for stdin)')
    .option('--keep-newline', 'keep a final newline from --value-file or stdin (dropped by default)')
    .option('--description <text>', 'free-text description')
    .option('--metadata <key=value>', 'metadata entry, repeatable; key:=3 or key:=true for numbers/booleans', collect)
    .option('--rotate-every-days <days>', 'rotation reminder period', integer(1))
    .option('--expires-at <time>', 'expiry: ISO 8601 time or a duration like 90d', timestamp)
    .option('--allowed-host <host>', 'bind the secret to a host tasks may send it to (api.example.com or *.example.com); repeatable', collect)
    .action(async (positional: string | undefined, opts: CreateOptions, cmd: Command) => {
      const rt = runtime(cmd);
      const name = nameFrom(positional, opts.name);
      const metadata = parseMetadata(opts.metadata);
      const value = await readValue(opts, rt.io);
      if (value === undefined) throw new UsageError('give the value with --value, --value-file PATH or --value - (stdin)');
      const secret = await rt.client().secrets.create({
        name,
        value,
        description: opts.description,
        metadata,
        rotateEveryDays: opts.rotateEveryDays,
        expiresAt: opts.expiresAt,
        allowedHosts: opts.allowedHost,
      });
      if (rt.json) printJson(rt.io, secret);
      else printLine(rt.io, `created secret ${secret.name} (version ${secret.version})`);
    });

  secrets
    .command('get')
    .description("show a secret's metadata; its value only with --reveal")
    .argument('<name>')
    .option('--reveal', 'include the value (needs secrets:reveal; the read is audited)')
    .option('--version <n>', 'with --reveal: an older version instead of the current one', integer(1))
    .option('--raw', 'with --reveal: print only the value, byte for byte, with no newline added')
    .action(async (name: string, opts: { reveal?: boolean; version?: number; raw?: boolean }, cmd: Command) => {
      const rt = runtime(cmd);
      if ((opts.version !== undefined || opts.raw) && !opts.reveal) {
        throw new UsageError(`${opts.raw ? '--raw' : '--version'} needs --reveal (see \`locksmith secrets history ${name}\` for version metadata)`);
      }
      const client = rt.client();
      if (!opts.reveal) {
        const secret = await client.secrets.get(name);
        if (!secret) throw new LocksmithError('NOT_FOUND', `no secret named "${name}"`);
        if (rt.json) printJson(rt.io, secret);
        else printFields(rt.io, secretFields(secret));
        return;
      }
      const revealed: RevealedSecret | (SecretVersion & { value: string; name: string }) =
        opts.version === undefined
          ? await client.secrets.reveal(name)
          : { name, ...(await client.secrets.revealVersion(name, opts.version)) };
      if (opts.raw) rt.io.stdout.write(revealed.value);
      else if (rt.json) printJson(rt.io, revealed);
      else if ('metadata' in revealed) printFields(rt.io, [...secretFields(revealed), ['value', revealed.value]]);
      else {
        printFields(rt.io, [
          ['name', name],
          ['version', String(revealed.version)],
          ['created', revealed.createdAt],
          ['value', revealed.value],
        ]);
      }
    });

  secrets
    .command('list')
    .description('list secrets by name (metadata only)')
    .option('--prefix <prefix>', 'names starting with this')
    .option('--metadata <key=value>', 'only secrets with this metadata entry; repeatable (all must match)', collect)
    .option('--deleted', 'list deleted secrets still in their recovery window instead')
    .option('--due-for-rotation', 'only secrets whose rotation is due or whose expiry has passed')
    .option('--limit <n>', 'stop after n secrets (default: all)', integer(1))
    .option('--page-size <n>', 'secrets per request', integer(1, 500), 100)
    .action(async (opts: { prefix?: string; metadata?: string[]; deleted?: boolean; dueForRotation?: boolean; limit?: number; pageSize: number }, cmd: Command) => {
      const rt = runtime(cmd);
      const filter: SecretFilter = {
        namePrefix: opts.prefix,
        metadata: parseMetadata(opts.metadata),
        deleted: opts.deleted,
        dueForRotation: opts.dueForRotation,
      };
      const found: Secret[] = [];
      for await (const secret of rt.client().secrets.listAll({ filter, pageSize: Math.min(opts.pageSize, opts.limit ?? 500) })) {
        found.push(secret);
        if (opts.limit !== undefined && found.length >= opts.limit) break;
      }
      if (rt.json) return printJson(rt.io, found);
      if (found.length === 0) return printLine(rt.io, opts.deleted ? 'no deleted secrets' : 'no secrets');
      printTable(
        rt.io,
        opts.deleted ? ['NAME', 'VERSION', 'DELETED', 'PURGE AT'] : ['NAME', 'VERSION', 'UPDATED', 'METADATA', 'DESCRIPTION'],
        found.map((s) =>
          opts.deleted
            ? [s.name, String(s.version), orDash(s.deletedAt), orDash(s.purgeAt)]
            : [s.name, String(s.version), s.updatedAt, formatMetadata(s.metadata), orDash(s.description)],
        ),
      );
    });

  secrets
    .command('update')
    .description('change the value (adds a version), description or metadata')
    .argument('[name]', 'secret name (or --name)')
    .option('--name <name>', 'secret name')
    .option('--value <value>', VALUE_HELP)
    .option('--value-file <path>', 'read the value from a file ("-" for stdin)')
    .option('--keep-newline', 'keep a final newline from --value-file or stdin')
    .option('--description <text>', 'new description')
    .option('--clear-description', 'remove the description')
    .option('--metadata <key=value>', 'replaces ALL metadata with these entries; repeatable', collect)
    .option('--clear-metadata', 'remove all metadata')
    .option('--rotate-every-days <days>', 'rotation reminder period', integer(1))
    .option('--no-rotation', 'turn the rotation reminder off')
    .option('--expires-at <time>', 'expiry: ISO 8601 time or a duration like 90d', timestamp)
    .option('--no-expiry', 'remove the expiry')
    .option('--allowed-host <host>', 'replaces ALL allowed hosts with these; repeatable', collect)
    .option('--clear-allowed-hosts', 'unbind: tasks may send it to any host the server policy allows')
    .option('--expected-version <n>', 'check-and-set: fail with exit 4 unless the current version is n', integer(1))
    .action(async (positional: string | undefined, opts: UpdateOptions, cmd: Command) => {
      const rt = runtime(cmd);
      const name = nameFrom(positional, opts.name);
      if (opts.description !== undefined && opts.clearDescription) throw new UsageError('--description and --clear-description conflict');
      if (opts.metadata && opts.clearMetadata) throw new UsageError('--metadata and --clear-metadata conflict');
      if (opts.rotateEveryDays !== undefined && opts.rotation === false) throw new UsageError('--rotate-every-days and --no-rotation conflict');
      if (opts.expiresAt !== undefined && opts.expiry === false) throw new UsageError('--expires-at and --no-expiry conflict');
      if (opts.allowedHost && opts.clearAllowedHosts) throw new UsageError('--allowed-host and --clear-allowed-hosts conflict');
      const allowedHosts: string[] | null | undefined = opts.clearAllowedHosts ? null : opts.allowedHost;
      const metadata = opts.clearMetadata ? {} : parseMetadata(opts.metadata);
      const value = await readValue(opts, rt.io);
      const description: string | null | undefined = opts.clearDescription ? null : opts.description;
      const rotateEveryDays: number | null | undefined = opts.rotation === false ? null : opts.rotateEveryDays;
      const expiresAt: string | null | undefined = opts.expiry === false ? null : opts.expiresAt;
      const changes = [value, description, metadata, rotateEveryDays, expiresAt, allowedHosts];
      if (changes.every((change) => change === undefined)) {
        throw new UsageError(
          'nothing to change: give --value/--value-file, --description, --metadata, --rotate-every-days, --expires-at, --allowed-host or a --clear/--no flag',
        );
      }
      const secret = await rt.client().secrets.update({
        name,
        value,
        description,
        metadata,
        rotateEveryDays,
        expiresAt,
        allowedHosts,
        expectedVersion: opts.expectedVersion,
      });
      if (rt.json) printJson(rt.io, secret);
      else printLine(rt.io, `updated secret ${secret.name} (version ${secret.version})`);
    });

  secrets
    .command('delete')
    .description('delete a secret: restorable for the recovery window (default 7 days), or purged at once with --force')
    .argument('<name>')
    .option('--recovery-window-days <days>', 'days it stays restorable (0-30; 0 purges now)', integer(0, 30))
    .option('--force', 'purge every version now; cannot be undone')
    .option('--expected-version <n>', 'check-and-set: fail with exit 4 unless the current version is n', integer(1))
    .action(async (name: string, opts: { recoveryWindowDays?: number; force?: boolean; expectedVersion?: number }, cmd: Command) => {
      const rt = runtime(cmd);
      const secret = await rt.client().secrets.delete({
        name,
        recoveryWindowDays: opts.recoveryWindowDays,
        force: opts.force,
        expectedVersion: opts.expectedVersion,
      });
      if (rt.json) printJson(rt.io, secret);
      else if (secret.purgeAt && !opts.force && opts.recoveryWindowDays !== 0) {
        printLine(rt.io, `deleted secret ${secret.name}; restorable until ${secret.purgeAt} (locksmith secrets restore ${secret.name})`);
      } else printLine(rt.io, `purged secret ${secret.name}`);
    });

  secrets
    .command('restore')
    .description('bring back a deleted secret within its recovery window')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const secret = await rt.client().secrets.restore(name);
      if (rt.json) printJson(rt.io, secret);
      else printLine(rt.io, `restored secret ${secret.name} (version ${secret.version})`);
    });

  secrets
    .command('rollback')
    .description("make an old version's value current again (as a new version)")
    .argument('<name>')
    .requiredOption('--version <n>', 'the old version to bring back', integer(1))
    .option('--expected-version <n>', 'check-and-set: fail with exit 4 unless the current version is n', integer(1))
    .action(async (name: string, opts: { version: number; expectedVersion?: number }, cmd: Command) => {
      const rt = runtime(cmd);
      const secret = await rt.client().secrets.rollback({ name, version: opts.version, expectedVersion: opts.expectedVersion });
      if (rt.json) printJson(rt.io, secret);
      else printLine(rt.io, `rolled back secret ${secret.name} to the value of version ${opts.version} (now version ${secret.version})`);
    });

  secrets
    .command('destroy-version')
    .description("erase one old version's value for good (history keeps its metadata)")
    .argument('<name>')
    .requiredOption('--version <n>', 'the version to destroy', integer(1))
    .action(async (name: string, opts: { version: number }, cmd: Command) => {
      const rt = runtime(cmd);
      const version = await rt.client().secrets.destroyVersion(name, opts.version);
      if (rt.json) printJson(rt.io, { name, ...version });
      else printLine(rt.io, `destroyed version ${version.version} of secret ${name}`);
    });

  secrets
    .command('history')
    .description('list versions, newest first (metadata only; reveal one with get --reveal --version N)')
    .argument('<name>')
    .option('--limit <n>', 'stop after n versions (default: all)', integer(1))
    .action(async (name: string, opts: { limit?: number }, cmd: Command) => {
      const rt = runtime(cmd);
      const versions: SecretVersion[] = [];
      for await (const version of rt.client().secrets.historyAll(name, { pageSize: Math.min(opts.limit ?? 100, 100) })) {
        versions.push(version);
        if (opts.limit !== undefined && versions.length >= opts.limit) break;
      }
      if (rt.json) return printJson(rt.io, versions);
      printTable(
        rt.io,
        ['VERSION', 'CREATED', 'CREATED BY', 'DESTROYED'],
        versions.map((v) => [String(v.version), v.createdAt, orDash(v.createdBy), v.destroyed ? orDash(v.destroyedAt ?? 'yes') : 'no']),
      );
    });
}
