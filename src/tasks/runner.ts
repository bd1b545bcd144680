import type { ExpressionLimits, Value } from './expression';
import { newDict, type Dict } from './expression/values';
import { executeStep } from './execute-step';
import { deadlineSignal, StepFailure } from './http';
import { defaultKeyFor, LLM_PROVIDERS, type LlmConfig } from './llm-providers';
import type { StepKind, Task } from './model';
import { describeLocation, type TaskProblem } from './problems';
import { hostMatcher } from './network/host-patterns';
import { taint } from './expression/taint';
import { Redactor } from './redaction';
import { jsonSizeAtMost } from './size';
import { TemplateEvaluationError } from './template';
import { prepareTask } from './validate';

/**
 * runTask: validate, decrypt exactly the secrets the task names (once), run the steps in
 * order, and return their outputs with every secret value redacted.
 *
 * Ordering is the security property: nothing leaves the process before validation passed
 * and every secret was revealed, so a missing secret or a bad expression fails the run
 * before any request is made.
 */

/** A decrypted secret; a bare string is a secret bound to no host. */
export type RevealedSecret = string | { readonly value: string; readonly allowedHosts: readonly string[] };

export interface TaskSecrets {
  /** Decrypts exactly these names (the caller audits each one). Called at most once per run. */
  reveal(names: string[]): Promise<Map<string, RevealedSecret>>;
  /** Of these names, the ones that exist. */
  exists(names: string[]): Promise<Set<string>>;
}

export interface RunLimits {
  /** Per step, including its expression evaluation and HTTP exchange. */
  readonly stepTimeoutMs: number;
  readonly totalTimeoutMs: number;
  /** Largest response body read from a tool or model; reading stops past it. */
  readonly maxResponseBytes: number;
  readonly maxSteps: number;
  /** Largest step output (as JSON, after redaction); a bigger one fails the step: TASK_OUTPUT_LIMIT. */
  readonly maxStepOutputBytes: number;
  /** Largest total of all step outputs of a run. */
  readonly maxRunOutputBytes: number;
  /** Largest request body (or argument value) a step may send. */
  readonly maxRequestBytes: number;
  readonly expression?: Partial<ExpressionLimits>;
}

export const DEFAULT_RUN_LIMITS: Readonly<RunLimits> = Object.freeze({
  stepTimeoutMs: 30_000,
  totalTimeoutMs: 120_000,
  maxResponseBytes: 5 * 1024 * 1024,
  maxSteps: 50,
  maxStepOutputBytes: 1024 * 1024,
  maxRunOutputBytes: 4 * 1024 * 1024,
  maxRequestBytes: 4 * 1024 * 1024,
});

/** pino-compatible subset; every message and field passed to it is already redacted. */
export interface TaskLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
}

export interface RunTaskDeps {
  readonly secrets: TaskSecrets;
  readonly fetch: typeof fetch;
  readonly llm?: LlmConfig;
  readonly limits?: Partial<RunLimits>;
  readonly logger?: TaskLogger;
  /**
   * Outbound policy for tool calls (not LLM base URLs, which the operator configures).
   * Return false to refuse, e.g. private address ranges in production. Default: allow.
   */
  readonly allowUrl?: (url: URL) => boolean | Promise<boolean>;
  /** Told (and awaited) when a run is refused for sending a bound secret to another host; the caller audits it. */
  readonly onSecretDenied?: (secret: string, host: string) => Promise<void>;
}

/**
 * Why a step or run failed, for callers that branch on it. The limits are the ones a run
 * cannot talk its way past: time (CPU or wall clock), memory and output size.
 */
export type TaskErrorCode =
  | 'TASK_TIME_LIMIT'
  | 'TASK_MEMORY_LIMIT'
  | 'TASK_OUTPUT_LIMIT'
  | 'TASK_NETWORK_POLICY'
  | 'TASK_SECRET_DENIED'
  | 'TASK_INVALID'
  | 'TASK_STEP_FAILED';

export type TaskRunStatus = 'SUCCEEDED' | 'FAILED';

export interface TaskStepResult {
  readonly index: number;
  readonly kind: StepKind;
  readonly status: TaskRunStatus;
  /** Redacted. Null when the step failed. */
  readonly output: unknown;
  /** Redacted. Null when the step succeeded. */
  readonly error: string | null;
  readonly errorCode: TaskErrorCode | null;
}

export interface TaskRunResult {
  readonly status: TaskRunStatus;
  /** Steps that ran, in order; a failed step is the last one (later steps do not run). */
  readonly steps: TaskStepResult[];
  /** Secrets decrypted for this run (for the audit trail). */
  readonly usedSecrets: string[];
  /** Redacted. Null on success. */
  readonly error: string | null;
  readonly errorCode: TaskErrorCode | null;
  /** Validation problems when the task did not start. */
  readonly problems: TaskProblem[];
}

export async function runTask(doc: unknown, input: unknown, deps: RunTaskDeps): Promise<TaskRunResult> {
  const limits: RunLimits = { ...DEFAULT_RUN_LIMITS, ...(deps.limits ?? {}) };
  const failed = (error: string, extra: Partial<TaskRunResult> = {}): TaskRunResult => ({
    status: 'FAILED',
    steps: [],
    usedSecrets: [],
    error,
    errorCode: 'TASK_INVALID',
    problems: [],
    ...extra,
  });

  let inputs: Value;
  try {
    inputs = input === undefined || input === null ? newDict() : (JSON.parse(JSON.stringify(input)) as Value);
  } catch {
    return failed('the task input must be JSON data');
  }

  // Errors from deps.secrets (a database down ...) are infrastructure failures, not task
  // failures: they propagate, so the caller masks and logs them like any unexpected error.
  const prepared = await prepareTask(doc, {
    secretExists: (names) => deps.secrets.exists(names),
    llm: deps.llm,
    maxSteps: limits.maxSteps,
    parse: { expression: limits.expression },
  });
  const task = prepared.task;
  if (!prepared.valid || task === null) {
    const shown = prepared.problems.slice(0, 5).map((p) => `${p.message} at ${describeLocation(p)}`);
    const more = prepared.problems.length > 5 ? ` (and ${prepared.problems.length - 5} more)` : '';
    return failed(`the task is invalid: ${shown.join('; ')}${more}`, { problems: prepared.problems });
  }

  // Exactly the statically found names, once.
  const got = prepared.secrets.length === 0 ? new Map<string, RevealedSecret>() : await deps.secrets.reveal([...prepared.secrets]);
  const revealed = new Map<string, string>();
  const bindings = new Map<string, (host: string) => boolean>();
  for (const name of prepared.secrets) {
    const secret = got.get(name);
    if (secret === undefined) continue;
    if (typeof secret === 'string') revealed.set(name, secret);
    else {
      revealed.set(name, secret.value);
      if (secret.allowedHosts.length > 0) bindings.set(name, hostMatcher(secret.allowedHosts));
    }
  }
  const usedSecrets = [...revealed.keys()];
  const missing = prepared.secrets.filter((n) => !revealed.has(n));
  if (missing.length > 0) return failed(`secret(s) ${missing.map((n) => `'${n}'`).join(', ')} could not be read`, { usedSecrets, errorCode: 'TASK_STEP_FAILED' });

  const redactor = new Redactor(revealed);
  for (const p of LLM_PROVIDERS) {
    const key = defaultKeyFor(p, deps.llm);
    if (key !== undefined) redactor.add(`server:${p.id}`, key);
  }

  const total = new AbortController();
  const runDeadline = Date.now() + limits.totalTimeoutMs;
  const totalTimer = setTimeout(
    () => total.abort(new StepFailure(`the run exceeded its total time limit of ${limits.totalTimeoutMs} ms`, 'timeout')),
    limits.totalTimeoutMs,
  );
  totalTimer.unref?.();

  const results: TaskStepResult[] = [];
  const history: Dict[] = [];
  const named = new Map<string, Value>();
  let previous: Value = inputs;
  let runError: string | null = null;
  let runErrorCode: TaskErrorCode | null = null;
  let outputBytes = 0;
  try {
    for (const step of task.steps) {
      const started = Date.now();
      const stepLimit = deadlineSignal(total.signal, limits.stepTimeoutMs, `the step timed out after ${limits.stepTimeoutMs} ms`);
      try {
        if (total.signal.aborted) throw total.signal.reason;
        // Output names first, so the fixed names always win (the document forbids the clash).
        const scope = {
          ...Object.fromEntries(named),
          secrets: secretsFor(step.secrets, revealed),
          inputs,
          input: inputs,
          steps: history.slice(),
          _: previous,
        };
        const output = await executeStep(step, {
          task,
          fetch: deps.fetch,
          llmConfig: deps.llm,
          llmPlan: prepared.llm.get(step.index),
          revealed,
          scope,
          signal: stepLimit.signal,
          deadline: Math.min(started + limits.stepTimeoutMs, runDeadline),
          maxResponseBytes: limits.maxResponseBytes,
          maxRequestBytes: limits.maxRequestBytes,
          expressionLimits: limits.expression,
          redactor,
          allowUrl: deps.allowUrl,
          bindings,
          onSecretDenied: deps.onSecretDenied,
        });
        const record = newDict();
        record.index = step.index;
        record.kind = step.kind;
        record.input = previous;
        record.output = output;
        history.push(record);
        if (step.outputName !== null) named.set(step.outputName.name, output);
        previous = output;
        // Sizes are measured before redaction copies anything, and the walk stops at the cap,
        // so `[big] * 400` costs a few megabytes of counting, not 400 copies.
        const size = jsonSizeAtMost(output, Math.min(limits.maxStepOutputBytes, limits.maxRunOutputBytes - outputBytes));
        if (size === null) {
          const cap = outputBytes + limits.maxStepOutputBytes > limits.maxRunOutputBytes ? `the run's output limit of ${limits.maxRunOutputBytes}` : `the step output limit of ${limits.maxStepOutputBytes}`;
          throw new StepFailure(`the step's output is larger than ${cap} bytes`, 'too_large');
        }
        outputBytes += size;
        results.push({ index: step.index, kind: step.kind, status: 'SUCCEEDED', output: redactor.redactValue(output), error: null, errorCode: null });
        deps.logger?.info?.({ step: step.index, kind: step.kind, ms: Date.now() - started }, 'task step succeeded');
      } catch (err) {
        const message = redactor.redact(stepErrorMessage(err, stepLimit.signal));
        runErrorCode = stepErrorCode(err, stepLimit.signal);
        results.push({ index: step.index, kind: step.kind, status: 'FAILED', output: null, error: message, errorCode: runErrorCode });
        runError = `step ${step.index} (${step.kind}) failed: ${message}`;
        deps.logger?.warn?.({ step: step.index, kind: step.kind, ms: Date.now() - started, error: message }, 'task step failed');
        break;
      } finally {
        stepLimit.dispose();
      }
    }
  } finally {
    clearTimeout(totalTimer);
  }
  return { status: runError === null ? 'SUCCEEDED' : 'FAILED', steps: results, usedSecrets, error: runError, errorCode: runErrorCode, problems: [] };
}

/**
 * `secrets` as a step sees it: every revealed name, plus the step's aliases. Each value is
 * tainted with the name of the secret it is (an alias carries the real name).
 */
function secretsFor(bindings: readonly { alias: string; name: string }[], revealed: ReadonlyMap<string, string>): Dict {
  const view = newDict();
  for (const [name, value] of revealed) view[name] = taint(value, new Set([name]));
  for (const b of bindings) {
    const value = revealed.get(b.name);
    if (value !== undefined) view[b.alias] = taint(value, new Set([b.name]));
  }
  return view;
}

const BUDGET_CODES: Readonly<Record<string, TaskErrorCode>> = { time: 'TASK_TIME_LIMIT', steps: 'TASK_TIME_LIMIT', size: 'TASK_MEMORY_LIMIT', depth: 'TASK_MEMORY_LIMIT' };

function stepErrorCode(err: unknown, signal: AbortSignal): TaskErrorCode {
  const failure = err instanceof StepFailure ? err : signal.aborted && signal.reason instanceof StepFailure ? signal.reason : null;
  if (failure !== null) {
    switch (failure.code) {
      case 'timeout':
        return 'TASK_TIME_LIMIT';
      case 'too_large':
        return 'TASK_OUTPUT_LIMIT';
      case 'policy':
        return 'TASK_NETWORK_POLICY';
      case 'secret_denied':
        return 'TASK_SECRET_DENIED';
      default:
        return 'TASK_STEP_FAILED';
    }
  }
  if (err instanceof TemplateEvaluationError && err.expressionError.code === 'budget') {
    return BUDGET_CODES[err.expressionError.budget ?? 'steps'] ?? 'TASK_TIME_LIMIT';
  }
  return 'TASK_STEP_FAILED';
}

function stepErrorMessage(err: unknown, signal: AbortSignal): string {
  if (err instanceof StepFailure || err instanceof TemplateEvaluationError) return err.message;
  if (signal.aborted && signal.reason instanceof StepFailure) return signal.reason.message;
  // Anything else is a bug or a platform error; keep the message (it is redacted) but not
  // the stack. Duck-typed: platform errors may come from another realm.
  const message = err !== null && typeof err === 'object' ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? `unexpected error: ${message}` : 'unexpected error';
}
