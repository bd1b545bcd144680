import type { Site } from './problems';
import type { TemplateValue } from './template';

/**
 * The one internal model both document shapes normalise to (see document.ts for the
 * accepted syntax). Everything the runner and the analyser need is here, already compiled;
 * `site`s keep the way back to the document for problems and runtime errors.
 */

export interface Task {
  /** Which top-level key held the steps: the seed shape (`steps:`) or Julep's (`main:`). */
  readonly shape: 'steps' | 'main';
  readonly name: string | null;
  readonly tools: ReadonlyMap<string, ApiCallTool>;
  readonly steps: readonly Step[];
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Where a step's `secret_name` credential goes in the request. */
export type CredentialPlacement =
  | { readonly in: 'header'; readonly name: string; readonly prefix: string }
  | { readonly in: 'query'; readonly name: string };

export const DEFAULT_CREDENTIAL_PLACEMENT: CredentialPlacement = Object.freeze({ in: 'header', name: 'Authorization', prefix: 'Bearer ' });

export interface ApiCallTool {
  readonly name: string;
  readonly type: 'api_call';
  readonly site: Site;
  readonly method: HttpMethod;
  /** Null when every call passes `url` in its arguments. */
  readonly url: TemplateValue | null;
  readonly headers: TemplateValue | null;
  readonly query: TemplateValue | null;
  /** At most one of json / body / form is set. */
  readonly json: TemplateValue | null;
  readonly body: TemplateValue | null;
  readonly form: TemplateValue | null;
  readonly timeoutMs: number | null;
  readonly auth: CredentialPlacement;
}

export interface SecretBinding {
  /** The name used in expressions: secrets.<alias>. */
  readonly alias: string;
  /** The developer's secret it stands for. */
  readonly name: string;
  readonly site: Site;
}

/** A literal name from the document (a secret name, an output name) and where it is. */
export interface Named {
  readonly name: string;
  readonly site: Site;
}

export interface Entry {
  readonly key: string;
  readonly keySite: Site;
  readonly value: TemplateValue;
}

interface StepBase {
  readonly index: number;
  readonly site: Site;
  readonly label: string | null;
  /** `output: NAME`: later steps can use this step's output as the bare name NAME. */
  readonly outputName: Named | null;
  /** tool_call: the credential sent per the tool's auth; prompt: the LLM key. */
  readonly secretName: Named | null;
  readonly secrets: readonly SecretBinding[];
}

export interface ToolCallStep extends StepBase {
  readonly kind: 'tool_call';
  readonly tool: string;
  readonly toolSite: Site;
  readonly arguments: TemplateValue | null;
}

export interface PromptStep extends StepBase {
  readonly kind: 'prompt';
  readonly model: string | null;
  readonly modelSite: Site;
  readonly provider: string | null;
  /** A string (one user message) or a list of {role, content}. */
  readonly prompt: TemplateValue;
  /** Evaluated first; visible by name inside `prompt`. */
  readonly templateVariables: readonly Entry[];
  /** Extra request parameters (temperature, max_tokens ...), without model and api_key. */
  readonly settings: readonly Entry[];
  /** settings.api_key: an expression naming the key explicitly. */
  readonly apiKey: TemplateValue | null;
}

export interface EvaluateStep extends StepBase {
  readonly kind: 'evaluate';
  readonly values: readonly Entry[];
}

export type Step = ToolCallStep | PromptStep | EvaluateStep;
export type StepKind = Step['kind'];
