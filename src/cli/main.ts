import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerApiKeys } from './commands/api-keys';
import { registerAudit } from './commands/audit';
import { registerDevelopers } from './commands/developers';
import { registerEnvFiles } from './commands/env-files';
import { registerInit } from './commands/init';
import { registerRun } from './commands/run';
import { registerSecrets } from './commands/secrets';
import { registerSession } from './commands/session';
import { registerTasks } from './commands/tasks';
import { DEFAULT_URL } from './config';
import { ChildExit, describeError, EXIT, EXIT_CODE_HELP, exitCodeFor } from './exit-codes';
import { processIo } from './io';
import { runtimeFactory, type RunState, type RuntimeOptions } from './runtime';
import { isLocksmithError } from '../client/errors';

/**
 * The `locksmith` CLI. bin/locksmith.js calls `run` and exits with what it returns; nothing
 * here calls process.exit, so output is flushed and tests can run it in-process.
 *
 * Command groups live in ./commands, one file each.
 */

const CONNECTION_HELP = `Server and token, highest precedence first: --url/--token, LOCKSMITH_URL/LOCKSMITH_TOKEN,
the config file from \`locksmith login\` (LOCKSMITH_CONFIG, else $XDG_CONFIG_HOME/locksmith/config.json,
else ~/.config/locksmith/config.json). Default URL ${DEFAULT_URL}.`;

function packageVersion(): string {
  // src/cli (tsx) and dist/src/cli (built) sit at different depths: walk up to our package.json.
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '0.0.0';
  }
  return '0.0.0';
}

export function buildProgram(options: RuntimeOptions, state: RunState = {}, argv: readonly string[] = []): Command {
  const { io } = options;
  const program = addGlobalOptions(new Command('locksmith'))
    .description('locksmith: secrets for AI-agent platforms, by name')
    .version(packageVersion(), '-V, --version')
    // Program options are parsed only before the subcommand, so a subcommand may reuse a name
    // (`secrets get --version 3`); the globals are re-declared on every command below instead.
    .enablePositionalOptions()
    .addHelpText('after', `\n${CONNECTION_HELP}\n\n${EXIT_CODE_HELP}\n`)
    .showSuggestionAfterError()
    // Inherited by every subcommand added below: usage errors come back to `run` instead of exiting.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // A mistyped `--valeu=sk-...` must not echo the value: drop what follows `=` in an unknown option.
      outputError: (text, write) => write(`locksmith: ${text.replace(/^error: /, '').replace(/(unknown option '[^'=]*)=[^']*'/, "$1=...'")}`),
    });

  const runtime = runtimeFactory(options, state);
  registerSecrets(program, runtime);
  registerApiKeys(program, runtime);
  registerDevelopers(program, runtime);
  registerSession(program, runtime);
  registerEnvFiles(program, runtime);
  registerAudit(program, runtime);
  registerTasks(program, runtime);
  registerInit(program, io);
  registerRun(program, runtime);
  // `keys` opens the server's database and key providers itself, so its module loads the whole
  // server stack (~0.5 s). Only load it when the command line is about `keys`; otherwise a stub
  // keeps it listed in `locksmith --help`.
  if (operands(argv)[0] === 'keys' || operands(argv).join(' ') === 'help keys') {
    (require('./commands/keys') as typeof import('./commands/keys')).registerKeysCommands(program, io);
  } else {
    program.command('keys').description(KEYS_DESCRIPTION);
  }
  for (const command of leafCommands(program)) addGlobalOptions(command);
  return program;
}

const KEYS_DESCRIPTION = 'operator: rotate, rewrap, re-encrypt and prune data keys (see `locksmith keys --help`)';

/** The words of a command line that are not program options (nor their values). */
function operands(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--url' || word === '--token') i++;
    else if (!word.startsWith('-')) words.push(word);
  }
  return words;
}

/** --url, --token and --json work before or after the subcommand: `locksmith secrets list --json`. */
function addGlobalOptions(command: Command): Command {
  return command
    .option('--url <url>', 'server URL, e.g. http://127.0.0.1:4000 (env LOCKSMITH_URL)')
    .option('--token <token>', 'API key or admin token (env LOCKSMITH_TOKEN; prefer the env or `login`)')
    .option('--json', 'machine-readable JSON on stdout');
}

function leafCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => (sub.commands.length === 0 ? [sub] : leafCommands(sub)));
}

/** Runs the CLI on process-style argv (`[node, script, ...args]`); resolves to the exit code. */
export async function run(argv: readonly string[], options: RuntimeOptions = { io: processIo() }): Promise<number> {
  const { io } = options;
  const state: RunState = {};
  const program = buildProgram(options, state, argv);
  try {
    await program.parseAsync([...argv]);
    return EXIT.OK;
  } catch (error) {
    // commander has already printed its message (or the help/version text).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (error instanceof ChildExit) return error.status;
    io.stderr.write(`locksmith: ${describeError(error, Boolean(io.env.LOCKSMITH_DEBUG))}\n`);
    if (isLocksmithError(error) && error.code === 'UNAUTHENTICATED' && state.connection?.tokenSource === 'none') {
      io.stderr.write(`locksmith: no token for ${state.connection.url}: run \`locksmith login\`, set LOCKSMITH_TOKEN or pass --token\n`);
    }
    return exitCodeFor(error);
  }
}
