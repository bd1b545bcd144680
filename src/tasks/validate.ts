import { analyzeTask, type LlmKeyRequirement } from './analyze';
import { parseTask, type ParseOptions } from './document';
import { defaultKeyFor, type LlmConfig, type LlmProvider } from './llm-providers';
import type { Task } from './model';
import { Problems, type TaskProblem } from './problems';
import { taintWarnings } from './taint-analysis';

/**
 * validateTask: parse, analyse, and check every secret the task names exists, without
 * running or decrypting anything. The runner calls the same `prepareTask`, so a task that
 * validates is exactly a task that will start.
 */

export interface ValidateTaskOptions {
  /** Of the given names, the ones the developer has (live) secrets for. One call per validation. */
  secretExists(names: string[]): Promise<Set<string>>;
  /** Needed to know whether a server default LLM key can stand in for a missing secret. */
  llm?: LlmConfig;
  maxSteps?: number;
  parse?: ParseOptions;
}

export interface TaskValidation {
  readonly valid: boolean;
  readonly problems: TaskProblem[];
  /** Not errors: e.g. step outputs computed from secrets, which will come back as [secret:NAME]. */
  readonly warnings: TaskProblem[];
  /** The secrets a run would decrypt, in order of first use. */
  readonly secrets: string[];
}

/** How a prompt step's LLM key will be obtained. */
export type LlmKeySource =
  | { readonly kind: 'secret'; readonly name: string }
  | { readonly kind: 'settings.api_key' }
  | { readonly kind: 'server-default' };

export interface LlmPlan {
  readonly provider: LlmProvider;
  readonly model: string;
  readonly key: LlmKeySource;
}

export interface PreparedTask extends TaskValidation {
  readonly task: Task | null;
  /** By step index, for prompt steps. */
  readonly llm: ReadonlyMap<number, LlmPlan>;
}

export async function validateTask(doc: unknown, options: ValidateTaskOptions): Promise<TaskValidation> {
  const { valid, problems, warnings, secrets } = await prepareTask(doc, options);
  return { valid, problems, warnings, secrets };
}

export async function prepareTask(doc: unknown, options: ValidateTaskOptions): Promise<PreparedTask> {
  const parsed = parseTask(doc, options.parse);
  const problems = new Problems();
  problems.list.push(...parsed.problems);
  const task = parsed.task;
  if (task === null) return { valid: false, problems: problems.list, warnings: [], secrets: [], task: null, llm: new Map() };

  if (options.maxSteps !== undefined && task.steps.length > options.maxSteps) {
    problems.add(null, `the task has ${task.steps.length} steps; the limit is ${options.maxSteps}`);
  }

  const analysis = analyzeTask(task);
  problems.list.push(...analysis.problems);

  const named = [...new Set(analysis.references.map((r) => r.name))];
  const candidates = analysis.llm.flatMap((l) => l.candidates);
  const toCheck = [...new Set([...named, ...candidates])];
  const existing = toCheck.length === 0 ? new Set<string>() : await options.secretExists(toCheck);

  const reported = new Set<string>();
  for (const r of analysis.references) {
    if (existing.has(r.name) || reported.has(r.name)) continue;
    reported.add(r.name);
    problems.list.push({
      message: `secret '${r.name}' does not exist${r.alias !== null ? ` (bound to alias '${r.alias}')` : ''}`,
      path: r.path,
      line: r.line,
      column: r.column,
    });
  }

  const secrets = [...named];
  const llm = new Map<number, LlmPlan>();
  for (const need of analysis.llm) {
    const key = chooseLlmKey(need, existing, options.llm);
    if (key === null) {
      problems.add(
        need.site,
        `no API key for model '${need.model}': create a secret named ${need.candidates[0]} (or set secret_name or settings.api_key on the step)`,
      );
      continue;
    }
    if (key.kind === 'secret' && !secrets.includes(key.name)) secrets.push(key.name);
    llm.set(need.stepIndex, { provider: need.provider, model: need.model, key });
  }

  return { valid: problems.size === 0, problems: problems.list, warnings: taintWarnings(task), secrets, task, llm };
}

function chooseLlmKey(need: LlmKeyRequirement, existing: ReadonlySet<string>, config: LlmConfig | undefined): LlmKeySource | null {
  if (need.explicit?.kind === 'settings.api_key') return { kind: 'settings.api_key' };
  // A named secret that does not exist is already a problem of its own.
  if (need.explicit?.kind === 'secret_name') return { kind: 'secret', name: need.explicit.name };
  const found = need.candidates.find((name) => existing.has(name));
  if (found !== undefined) return { kind: 'secret', name: found };
  if (defaultKeyFor(need.provider, config) !== undefined) return { kind: 'server-default' };
  return null;
}
