import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TaskProblem } from '../../client/tasks';
import { CliError, EXIT, UsageError } from '../exit-codes';
import { decodeUtf8, readStdin } from '../input';
import { note, printFields, printJson, printLine } from '../output';
import type { CliIo } from '../io';
import type { RuntimeFactory } from '../runtime';

/**
 * `locksmith tasks validate | run FILE`: the task is sent as text, so the server's problems
 * carry lines and columns of FILE. Outputs arrive with secret values already redacted
 * server-side ([secret:NAME]); the CLI prints them as they come.
 */

/** How messages name the task's source: "-" is stdin, not a file called "-". */
const sourceName = (file: string) => (file === '-' ? 'the task on stdin' : file);

async function readTask(io: CliIo, file: string): Promise<string> {
  try {
    return decodeUtf8(file === '-' ? await readStdin(io) : readFileSync(file), sourceName(file));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${sourceName(file)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function describeProblem(problem: TaskProblem): string {
  const at = problem.line !== null ? `line ${problem.line}${problem.column !== null ? `, column ${problem.column}` : ''}` : '';
  const where = [at, problem.path].filter(Boolean).join(' ');
  return where ? `${where}: ${problem.message}` : problem.message;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function parseInput(opts: { input?: string; inputFile?: string }): unknown {
  if (opts.input !== undefined && opts.inputFile !== undefined) throw new UsageError('give --input or --input-file, not both');
  const [text, what] =
    opts.inputFile !== undefined ? [readFileSync(opts.inputFile, 'utf8'), `--input-file ${opts.inputFile}`] : [opts.input, '--input'];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} must be JSON, e.g. '{"city": "Paris"}'`);
  }
}

export function registerTasks(program: Command, runtime: RuntimeFactory): void {
  const tasks = program.command('tasks').description('validate and run tasks that use secrets by name (needs tasks:run)');

  tasks
    .command('validate')
    .description(`check a YAML/JSON task without running it; exit ${EXIT.USAGE} when it has problems`)
    .argument('<file>', 'task file, or "-" for stdin')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const result = await rt.client().tasks.validate(await readTask(rt.io, file));
      if (rt.json) printJson(rt.io, result);
      else if (result.valid) printLine(rt.io, `valid; uses secrets: ${result.secrets.join(', ') || '(none)'}`);
      else for (const problem of result.problems) note(rt.io, describeProblem(problem));
      if (!rt.json) for (const warning of result.warnings) note(rt.io, `warning: ${describeProblem(warning)}`);
      if (!result.valid) throw new CliError(`${sourceName(file)} is not a valid task (${plural(result.problems.length, 'problem')})`, EXIT.USAGE);
    });

  tasks
    .command('run')
    .description(`run a task server-side; outputs come back redacted; exit ${EXIT.TASK_FAILED} when the run fails`)
    .argument('<file>', 'task file, or "-" for stdin')
    .option('--input <json>', 'inputs for the task, as JSON (available as `inputs`)')
    .option('--input-file <path>', 'inputs from a JSON file')
    .action(async (file: string, opts: { input?: string; inputFile?: string }, cmd: Command) => {
      const rt = runtime(cmd);
      const input = parseInput(opts);
      const run = await rt.client().tasks.run({ task: await readTask(rt.io, file), input });
      if (rt.json) printJson(rt.io, run);
      else {
        // run.error ends the output as the `locksmith:` line (exit code below), so it is not repeated here.
        printFields(rt.io, [
          ['status', run.status],
          ['secrets used', run.usedSecrets.join(', ') || '-'],
        ]);
        for (const step of run.steps) {
          printLine(rt.io, `step ${step.index} ${step.kind} ${step.status}${step.error ? `: ${step.error}` : ''}`);
          if (step.output !== null && step.output !== undefined) printLine(rt.io, `  ${JSON.stringify(step.output)}`);
        }
        for (const problem of run.problems) note(rt.io, describeProblem(problem));
      }
      if (run.status === 'FAILED') {
        // A task that never started because it is invalid is a validation error, like `tasks validate`.
        const invalid = run.problems.length > 0 && run.steps.length === 0;
        if (invalid && !rt.json) throw new CliError(`${sourceName(file)} is not a valid task (${plural(run.problems.length, 'problem')})`, EXIT.USAGE);
        throw new CliError(run.error ?? 'the task failed', invalid ? EXIT.USAGE : EXIT.TASK_FAILED);
      }
    });
}
