import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { isLocksmithError } from '../../client';
import { readConfig, writeConfig, DEFAULT_URL } from '../config';
import { UsageError } from '../exit-codes';
import { decodeUtf8, promptHidden, readStdin } from '../input';
import { note, printFields, printJson, printLine } from '../output';
import type { GlobalOptions, RuntimeFactory } from '../runtime';

/** `locksmith login | logout | me | whoami`. */
export function registerSession(program: Command, runtime: RuntimeFactory): void {
  program
    .command('login')
    .description('check a token against the server and save URL + token to the config file (mode 0600)')
    .option('--no-verify', 'save without asking the server first')
    .addHelpText(
      'after',
      '\nThe token comes from --token, else stdin when piped, else a hidden prompt.\n' +
        'Config file: $LOCKSMITH_CONFIG, else $XDG_CONFIG_HOME/locksmith/config.json, else ~/.config/locksmith/config.json.',
    )
    .action(async (opts: { verify: boolean }, cmd: Command) => {
      const rt = runtime(cmd);
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const stored = readConfig(rt.configPath, (m) => note(rt.io, `warning: ${m}`));
      const url = globals.url || rt.io.env.LOCKSMITH_URL || stored.url || DEFAULT_URL;
      let token = globals.token;
      if (!token) {
        token = rt.io.stdin.isTTY
          ? await promptHidden(rt.io, 'API key or admin token (input hidden): ')
          : decodeUtf8(await readStdin(rt.io), 'stdin');
        token = token.trim();
      }
      if (!token) throw new UsageError('no token given (--token, stdin, or the prompt)');

      let who = 'not verified';
      if (opts.verify) {
        try {
          const me = await rt.clientFor(url, token).me();
          who = `developer ${me.name} (${me.id})`;
        } catch (error) {
          // The admin token authenticates but may not call `me`: FORBIDDEN proves it is valid.
          if (!(isLocksmithError(error) && error.code === 'FORBIDDEN')) throw error;
          who = 'admin token';
        }
      }
      writeConfig(rt.configPath, { url, token });
      if (rt.json) printJson(rt.io, { url, configPath: rt.configPath, verified: opts.verify });
      else printLine(rt.io, `logged in to ${url} as ${who}; saved to ${rt.configPath}`);
    });

  program
    .command('logout')
    .description('remove the saved token from the config file (the URL stays)')
    .action(async (_opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      if (!existsSync(rt.configPath)) return printLine(rt.io, 'not logged in');
      const { url } = readConfig(rt.configPath, () => {});
      writeConfig(rt.configPath, url ? { url } : {});
      printLine(rt.io, `removed the token from ${rt.configPath}`);
    });

  program
    .command('me')
    .alias('whoami')
    .description('show the developer the token belongs to')
    .action(async (_opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const connection = rt.connection();
      const me = await rt.client().me();
      if (rt.json) return printJson(rt.io, { ...me, url: connection.url, tokenSource: connection.tokenSource });
      printFields(rt.io, [
        ['developer', me.id],
        ['name', me.name],
        ['created', me.createdAt],
        ['server', connection.url],
        ['token from', connection.tokenSource],
      ]);
    });
}
