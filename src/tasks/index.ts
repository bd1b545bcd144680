/**
 * The task engine: parse, validate and run tasks that use secrets by name. A pure library:
 * no GraphQL and no database; the caller supplies secret lookup/reveal, fetch and config.
 */

export { runTask, DEFAULT_RUN_LIMITS } from './runner';
export type { RunTaskDeps, RunLimits, TaskSecrets, TaskLogger, TaskRunResult, TaskStepResult, TaskRunStatus } from './runner';

export { validateTask } from './validate';
export type { ValidateTaskOptions, TaskValidation } from './validate';
export type { TaskProblem } from './problems';

export { parseTask, SECRET_NAME_PATTERN } from './document';
export type { ParseOptions, ParseResult } from './document';
export type { Task, Step, StepKind, ApiCallTool, CredentialPlacement } from './model';
export { analyzeTask } from './analyze';
export type { TaskAnalysis, SecretReference, LlmKeyRequirement } from './analyze';

export { Redactor, encodedForms } from './redaction';

export { LLM_PROVIDERS, routeModel, keyCandidates, llmConfigFromEnv } from './llm-providers';
export type { LlmConfig, LlmProvider, ProviderId } from './llm-providers';

export {
  compileExpression, evaluateExpression, ExpressionError, DEFAULT_EXPRESSION_LIMITS,
} from './expression';
export type { CompiledExpression, ExpressionLimits, Value as ExpressionValue } from './expression';
