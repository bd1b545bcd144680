import { unwrapResult } from './errors';
import * as G from './generated/graphql';
import type { Transport } from './transport';

/** Tasks (needs tasks:run). Outputs come back with every secret value redacted as [secret:NAME]. */

export type TaskValidation = G.ValidateTaskQuery['validateTask'];
export type TaskRun = Extract<G.RunTaskMutation['runTask'], { __typename: 'RunTaskPayload' }>['run'];
export type TaskProblem = G.TaskProblemFieldsFragment;

export interface RunTaskInput {
  /** The YAML/JSON text (problems then point at its lines) or the parsed document. */
  task: unknown;
  /** Available to expressions as `inputs`. */
  input?: unknown;
}

export interface TasksApi {
  /** Checks without running: syntax, tools, expressions, secret names. */
  validate(task: unknown): Promise<TaskValidation>;
  /** Runs server-side. A run that fails is a result (`status: 'FAILED'`), not an exception. */
  run(input: RunTaskInput): Promise<TaskRun>;
}

export function tasksApi(transport: Transport): TasksApi {
  return {
    async validate(task) {
      const { data } = await transport.request(G.ValidateTaskDocument, { task });
      return data.validateTask;
    },
    async run(input) {
      const { data, requestId } = await transport.request(G.RunTaskDocument, { input: { task: input.task, input: input.input } });
      return unwrapResult(data.runTask, 'RunTaskPayload', requestId).run;
    },
  };
}
