import type { Command } from 'commander';
import { note, printFields, printJson } from '../output';
import type { RuntimeFactory } from '../runtime';

/** `locksmith developers create`: tenants, with the admin token (--token or LOCKSMITH_TOKEN). */
export function registerDevelopers(program: Command, runtime: RuntimeFactory): void {
  const developers = program.command('developers').description('manage developers (tenants); needs the admin token');

  developers
    .command('create')
    .description('create a developer and its first API key (every scope); the token is printed this once')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const created = await rt.client().developers.create(name);
      if (rt.json) return printJson(rt.io, created);
      printFields(rt.io, [
        ['developer', created.developer.id],
        ['name', created.developer.name],
        ['api key id', created.apiKey.apiKey.id],
        ['token', created.apiKey.token],
      ]);
      note(rt.io, 'store the token now: it cannot be shown again');
    });
}
