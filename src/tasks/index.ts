/**
 * The task engine: parse, validate and run tasks that use secrets by name. The engine itself
 * imports no GraphQL and touches no database: its caller supplies secret lookup and reveal,
 * fetch and configuration. That caller is TaskService (task-service.ts), which binds it to a
 * tenant, reaches the database through SecretService and runs it on the worker pool.
 * Language: docs/task-language.md; security model: docs/tasks-security.md.
 */

export { runTask, DEFAULT_RUN_LIMITS } from './runner';
export type { RunTaskDeps, RunLimits, TaskSecrets, TaskLogger, TaskRunResult, TaskStepResult, TaskRunStatus, TaskErrorCode, RevealedSecret } from './runner';

export { validateTask } from './validate';
export type { ValidateTaskOptions, TaskValidation } from './validate';
export type { TaskProblem } from './problems';

export { parseTask, SECRET_NAME_PATTERN } from './document';
export type { ParseOptions, ParseResult } from './document';
export type { Task, Step, StepKind, ApiCallTool, CredentialPlacement } from './model';
export { analyzeTask } from './analyze';
export type { TaskAnalysis, SecretReference, LlmKeyRequirement } from './analyze';

export { Redactor, encodedForms } from './redaction';

export { AddressPolicy, parseNetworks } from './network/address-policy';
export { createGuardedFetch, systemResolver, NETWORK_POLICY_CODE } from './network/guarded-fetch';
export type { Resolver, ResolvedAddress } from './network/guarded-fetch';
export { TaskWorkerPool } from './worker/pool';

export { LLM_PROVIDERS, routeModel, keyCandidates, llmConfigFromEnv } from './llm-providers';
export type { LlmConfig, LlmProvider, ProviderId } from './llm-providers';

export {
  compileExpression, evaluateExpression, ExpressionError, DEFAULT_EXPRESSION_LIMITS,
} from './expression';
export type { CompiledExpression, ExpressionLimits, Value as ExpressionValue } from './expression';
