import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { KeyProviderError } from '../../crypto/key-provider';
import { resolveProviderModule } from '../../crypto/load-provider';
import { CliError, EXIT } from '../exit-codes';
import type { CliIo } from '../io';
import { note, printJson, printLine } from '../output';

type LocalKeyring = Pick<typeof import('../../../plugins/key-provider-local'), 'createKeyringFile' | 'newMasterKeysSpec'>;

/**
 * `locksmith init`: the secrets a production install starts from, generated on this machine.
 * Prints the environment to set (stdout, `KEY=value` lines an EnvironmentFile or a shell
 * accepts) and writes nothing but the keyring file when --key-file asks for one. It talks to
 * no server and no database: it runs before either is set up.
 */
export function registerInit(program: Command, io: CliIo): void {
  program
    .command('init')
    .description(
      'operator: generate a local master key (printed as LOCKSMITH_MASTER_KEYS, or written to a 0600 keyring file with --key-file) ' +
        'and an admin token, and print the production environment to set; writes nothing else',
    )
    .option('--key-file <path>', 'write the master key to a new keyring file (mode 0600; never overwrites) instead of printing it')
    .action((opts: { keyFile?: string }, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
      // The keyring format belongs to the local provider plugin; load it the way the server does.
      const local = require(resolveProviderModule('local')) as LocalKeyring;
      const env: Record<string, string> = { NODE_ENV: 'production' };
      env.LOCKSMITH_ADMIN_TOKEN = `lsa_${randomBytes(32).toString('base64url')}`;
      env.LOCKSMITH_KEY_PROVIDER = 'local';
      let keyFile: string | undefined;
      if (opts.keyFile) {
        keyFile = isAbsolute(opts.keyFile) ? opts.keyFile : resolve(io.cwd, opts.keyFile);
        try {
          local.createKeyringFile(keyFile);
        } catch (error) {
          if (error instanceof KeyProviderError) throw new CliError(error.message, EXIT.USAGE);
          throw error;
        }
        env.LOCKSMITH_MASTER_KEY_FILE = keyFile;
      } else {
        env.LOCKSMITH_MASTER_KEYS = local.newMasterKeysSpec();
      }
      if (json) return printJson(io, { env, keyFile: keyFile ?? null });
      printLine(io, '# locksmith production environment: keep it secret (mode 0600), e.g. /etc/locksmith/locksmith.env');
      for (const [name, value] of Object.entries(env)) printLine(io, `${name}=${value}`);
      printLine(io, '# and the database (see docs/operations.md):');
      printLine(io, '# LOCKSMITH_DATABASE_URL=mysql://locksmith:PASSWORD@db.internal:3306/locksmith');
      if (keyFile) note(io, `wrote the master keyring ${keyFile} (mode 0600)`);
      note(io, 'back up the master key now, apart from the database backups: without it no secret can ever be decrypted');
    });
}
