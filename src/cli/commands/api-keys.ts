import type { Command } from 'commander';
import type { ApiKey } from '../../client/types';
import { collect, timestamp } from '../input';
import { note, orDash, printFields, printJson, printTable } from '../output';
import type { RuntimeFactory } from '../runtime';

/** `locksmith api-keys ...`: the calling developer's keys (needs keys:manage). */

const SCOPE_HELP = 'scope, repeatable: secrets:read secrets:reveal secrets:write tasks:run audit:read keys:manage (default: those of the calling key)';

function keyStatus(key: ApiKey, now = Date.now()): string {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return 'active';
}

export function registerApiKeys(program: Command, runtime: RuntimeFactory): void {
  const apiKeys = program.command('api-keys').description('create, list and revoke API keys');

  apiKeys
    .command('create')
    .description('create an API key; its token is printed this once')
    .requiredOption('--name <name>', 'a label to tell keys apart')
    .option('--scope <scope>', SCOPE_HELP, collect)
    .option('--expires-at <time>', 'expiry: ISO 8601 time or a duration like 30d', timestamp)
    .action(async (opts: { name: string; scope?: string[]; expiresAt?: string }, cmd: Command) => {
      const rt = runtime(cmd);
      const issued = await rt.client().apiKeys.create({ name: opts.name, scopes: opts.scope, expiresAt: opts.expiresAt });
      if (rt.json) return printJson(rt.io, issued);
      printFields(rt.io, [
        ['id', issued.apiKey.id],
        ['name', issued.apiKey.name],
        ['scopes', issued.apiKey.scopes.join(' ')],
        ['expires', issued.apiKey.expiresAt],
        ['token', issued.token],
      ]);
      note(rt.io, 'store the token now: it cannot be shown again');
    });

  apiKeys
    .command('list')
    .description('list API keys, newest first (never their tokens)')
    .action(async (_opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const keys = await rt.client().apiKeys.list();
      if (rt.json) return printJson(rt.io, keys);
      printTable(
        rt.io,
        ['ID', 'NAME', 'PREFIX', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED'],
        keys.map((k) => [k.id, k.name, k.prefix, keyStatus(k), k.scopes.join(' '), k.createdAt, orDash(k.expiresAt), orDash(k.lastUsedAt)]),
      );
    });

  apiKeys
    .command('revoke')
    .description('revoke an API key at once')
    .argument('<id>', 'key id (from api-keys list)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const key = await rt.client().apiKeys.revoke(id);
      if (rt.json) printJson(rt.io, key);
      else rt.io.stdout.write(`revoked API key ${key.id} (${key.name})\n`);
    });
}
