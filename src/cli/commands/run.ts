import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { isLocksmithError } from '../../client/errors';
import { ChildExit, CliError, EXIT, exitCodeForCode, UsageError } from '../exit-codes';
import { collect, parseMetadata } from '../input';
import type { RuntimeFactory } from '../runtime';

/**
 * `locksmith run --secret NAME[=ENV]... [--metadata k=v]... -- command args`: runs a program
 * with secrets as environment variables (what `doppler run`, `infisical run` and envconsul do).
 * Every value is fetched with an audited reveal before the program starts; values live only in
 * this process's memory and the child's environment, never in a file. Signals this process
 * receives go to the child, and the child's exit status becomes ours.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Signals passed on to the child; SIGKILL/SIGSTOP cannot be caught. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

interface RunOptions {
  secret?: string[];
  metadata?: string[];
}

export function registerRun(program: Command, runtime: RuntimeFactory): void {
  program
    .command('run')
    .description(
      'run a command with secrets as environment variables (audited reveals, never written to disk); ' +
        "exits with the command's status (needs secrets:reveal)",
    )
    .usage('[--secret NAME[=ENV]]... [--metadata key=value]... -- command [args...]')
    .option('--secret <NAME[=ENV]>', 'put secret NAME in the environment as ENV (default: NAME); repeatable', collect)
    .option('--metadata <key=value>', 'also every secret whose metadata matches (all pairs), as its own name; repeatable', collect)
    .argument('<command>', 'the program to run (looked up on PATH)')
    .argument('[args...]', 'its arguments (put -- before the command so its options stay its own)')
    .passThroughOptions()
    .action(async (command: string, args: string[], opts: RunOptions, cmd: Command) => {
      const rt = runtime(cmd);
      const wanted = parseSecretFlags(opts.secret ?? []);
      const metadata = parseMetadata(opts.metadata);
      if (wanted.size === 0 && !metadata) throw new UsageError('name the secrets to pass: --secret NAME[=ENV] or --metadata key=value');

      const client = rt.client();
      const values = new Map<string, string>(); // env name -> value
      try {
        if (metadata) {
          for await (const secret of client.secrets.revealAll({ filter: { metadata }, pageSize: 100 })) values.set(secret.name, secret.value);
          if (values.size === 0) {
            throw new CliError(`no secret matches --metadata ${opts.metadata!.join(' --metadata ')} (nothing was run)`, EXIT.NOT_FOUND);
          }
        }
        for (const [env, name] of wanted) values.set(env, (await client.secrets.reveal(name)).value);
      } catch (error) {
        throw explain(error);
      }

      const env: NodeJS.ProcessEnv = { ...rt.io.env };
      // The child gets the secrets it was given, not the token that could fetch every other one.
      delete env.LOCKSMITH_TOKEN;
      for (const [name, value] of values) env[name] = value;
      const code = await runChild(command, args, env);
      throw new ChildExit(code);
    });
}

/** `NAME` or `NAME=ENV`, as env name -> secret name. */
function parseSecretFlags(flags: readonly string[]): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    const env = eq === -1 ? flag : flag.slice(eq + 1);
    if (name === '') throw new UsageError(`--secret takes NAME or NAME=ENV, got ${JSON.stringify(flag)}`);
    if (!ENV_NAME.test(env)) throw new UsageError(`--secret ${flag}: ${JSON.stringify(env)} is not a valid environment variable name`);
    if (wanted.has(env)) throw new UsageError(`--secret: two secrets would both set ${env}`);
    wanted.set(env, name);
  }
  return wanted;
}

/** Refusals say what is missing, and that nothing ran. */
function explain(error: unknown): unknown {
  if (!isLocksmithError(error)) return error;
  if (error.code === 'FORBIDDEN') {
    return new CliError(`${error.message}: locksmith run needs a token with the secrets:reveal scope (nothing was run)`, EXIT.AUTH);
  }
  if (error.code === 'NOT_FOUND' || error.code === 'SECRET_EXPIRED') return new CliError(`${error.message} (nothing was run)`, EXIT.NOT_FOUND);
  return new CliError(`${error.message} (nothing was run)`, exitCodeForCode(error.code));
}

/** Runs the child with our terminal, forwarding signals; resolves to its status (128+n when a signal ended it). */
function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const done = () => {
      for (const signal of FORWARDED) process.removeListener(signal, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      done();
      if (error.code === 'ENOENT') reject(new CliError(`command not found: ${command}`, EXIT.COMMAND_NOT_FOUND));
      else if (error.code === 'EACCES') reject(new CliError(`command not executable: ${command}`, EXIT.COMMAND_NOT_RUNNABLE));
      else reject(error);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
