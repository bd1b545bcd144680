import { builder } from '../builder';
import { actorOf } from '../context';
import type { TaskProblem, TaskRunResult, TaskStepResult, TaskValidation } from '../tasks';
import { WRITE_ERRORS } from './errors';

/** Tasks use secrets by name: runTask runs one server-side, validateTask checks one without running. */

const TaskRunStatus = builder.enumType('TaskRunStatus', { values: ['SUCCEEDED', 'FAILED'] as const });

const TaskErrorCodeRef = builder.enumType('TaskErrorCode', {
  description: 'Why a run or step failed. The three limits are hard: the run is stopped, whatever it was doing.',
  values: {
    TASK_TIME_LIMIT: { description: 'A time or evaluation budget ran out (expression, step, run, or the hard wall-clock limit).' },
    TASK_MEMORY_LIMIT: { description: 'The run needed more memory (heap, string or collection size) than it may use.' },
    TASK_OUTPUT_LIMIT: { description: 'A response, step output or run output exceeded its size limit.' },
    TASK_NETWORK_POLICY: { description: "The server's network policy refused the destination; nothing was sent." },
    TASK_SECRET_DENIED: { description: "A secret, or data derived from it, would have gone to a host outside its allowedHosts; nothing was sent." },
    TASK_INVALID: { description: 'The task did not validate; see problems.' },
    TASK_STEP_FAILED: { description: 'Any other step failure (HTTP status, bad expression, ...).' },
  } as const,
});

const TaskProblemRef = builder.objectRef<TaskProblem>('TaskProblem').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    path: t.exposeString('path', { nullable: true }),
    line: t.exposeInt('line', { nullable: true }),
    column: t.exposeInt('column', { nullable: true }),
  }),
});

const TaskStepResultRef = builder.objectRef<TaskStepResult>('TaskStepResult').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    kind: t.exposeString('kind'),
    status: t.field({ type: TaskRunStatus, resolve: (s) => s.status }),
    output: t.field({ type: 'JSON', nullable: true, description: 'Every secret value is redacted as [secret:NAME].', resolve: (s) => s.output }),
    error: t.exposeString('error', { nullable: true }),
    errorCode: t.field({ type: TaskErrorCodeRef, nullable: true, resolve: (s) => s.errorCode }),
  }),
});

const TaskRunRef = builder.objectRef<TaskRunResult>('TaskRun').implement({
  fields: (t) => ({
    status: t.field({ type: TaskRunStatus, resolve: (r) => r.status }),
    steps: t.field({ type: [TaskStepResultRef], resolve: (r) => r.steps }),
    usedSecrets: t.exposeStringList('usedSecrets', { description: 'Names of the secrets this run decrypted (never values).' }),
    error: t.exposeString('error', { nullable: true }),
    errorCode: t.field({ type: TaskErrorCodeRef, nullable: true, description: 'Why the run failed, for callers that branch on it.', resolve: (r) => r.errorCode }),
    problems: t.field({ type: [TaskProblemRef], description: 'Why the task did not start, when it was invalid.', resolve: (r) => r.problems }),
  }),
});

const TaskValidationRef = builder.objectRef<TaskValidation>('TaskValidation').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    problems: t.field({ type: [TaskProblemRef], resolve: (v) => v.problems }),
    warnings: t.field({
      type: [TaskProblemRef],
      description: 'Not errors: e.g. step outputs computed from secrets, which come back as [secret:NAME].',
      resolve: (v) => v.warnings,
    }),
    secrets: t.exposeStringList('secrets', { description: 'The secrets the task would use.' }),
  }),
});

const RunTaskInput = builder.inputType('RunTaskInput', {
  fields: (t) => ({
    task: t.field({ type: 'JSON', required: true, description: 'The parsed task document, or its YAML/JSON text.' }),
    input: t.field({ type: 'JSON', description: 'Available to expressions as `inputs`.' }),
  }),
});

const RunTaskPayload = builder.objectRef<{ run: TaskRunResult }>('RunTaskPayload').implement({
  fields: (t) => ({ run: t.field({ type: TaskRunRef, resolve: (p) => p.run }) }),
});

builder.queryField('validateTask', (t) =>
  t.field({
    type: TaskValidationRef,
    description: 'Checks a task without running it: syntax (with line and column), tools, expressions, secret names.',
    authScopes: { scope: 'tasks:run' },
    args: { task: t.arg({ type: 'JSON', required: true }) },
    resolve: (_root, { task }, ctx) => ctx.services.tasks.validate(actorOf(ctx), task),
  }),
);

builder.mutationField('runTask', (t) =>
  t.field({
    type: RunTaskPayload,
    description: 'Runs a task server-side with the secrets it names; outputs come back redacted.',
    authScopes: { scope: 'tasks:run' },
    args: { input: t.arg({ type: RunTaskInput, required: true }) },
    errors: { types: WRITE_ERRORS, union: { name: 'RunTaskResult' } },
    resolve: async (_root, { input }, ctx) => ({
      run: await ctx.services.tasks.run(actorOf(ctx), input.task, input.input, ctx.logger.child({ requestId: ctx.requestId })),
    }),
  }),
);
