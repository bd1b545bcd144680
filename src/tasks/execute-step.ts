import { buildApiRequest } from './api-call';
import type { ExpressionLimits, Scope, Value } from './expression';
import { unwrapDeep } from './expression/taint';
import { jsonSizeAtMost } from './size';
import { isDict, isList, newDict, type Dict } from './expression/values';
import { deadlineSignal, excerpt, fetchLimited, StepFailure } from './http';
import { callLlm, type ChatMessage } from './llm-client';
import { baseUrlFor, defaultKeyFor, type LlmConfig } from './llm-providers';
import type { EvaluateStep, PromptStep, Step, Task, ToolCallStep } from './model';
import type { Redactor } from './redaction';
import { renderValue, type TemplateValue } from './template';
import type { LlmPlan } from './validate';

/**
 * Runs one step of a validated task. Outputs are returned raw (later steps may need the
 * real values); the runner redacts what leaves the run.
 */

export interface StepContext {
  readonly task: Task;
  readonly fetch: typeof fetch;
  readonly llmConfig: LlmConfig | undefined;
  readonly llmPlan: LlmPlan | undefined;
  /** Secret values by name (only those the task references). */
  readonly revealed: ReadonlyMap<string, string>;
  readonly scope: Scope;
  readonly signal: AbortSignal;
  readonly deadline: number;
  readonly maxResponseBytes: number;
  readonly maxRequestBytes: number;
  readonly expressionLimits: Partial<ExpressionLimits> | undefined;
  readonly redactor: Redactor;
  readonly allowUrl: ((url: URL) => boolean | Promise<boolean>) | undefined;
  /** Hosts each secret is bound to (`allowedHosts`); a secret not listed may go anywhere the policy allows. */
  readonly bindings: ReadonlyMap<string, (host: string) => boolean>;
  /** Called (and awaited) before a request is refused because a bound secret would leave. */
  readonly onSecretDenied: ((secret: string, host: string) => Promise<void>) | undefined;
}

/**
 * Values headed out in a request: boxes opened (this is the one place secret data may go),
 * and the secrets involved collected for the host binding check.
 */
class Outbound {
  readonly secrets = new Set<string>();

  constructor(private readonly ctx: StepContext) {}

  open(v: Value): Value {
    if (jsonSizeAtMost(v, this.ctx.maxRequestBytes) === null) {
      throw new StepFailure(`the request would be larger than its limit of ${this.ctx.maxRequestBytes} bytes`, 'too_large');
    }
    const u = unwrapDeep(v);
    if (u.secrets !== null) for (const name of u.secrets) this.secrets.add(name);
    if (u.failed !== null) {
      throw new StepFailure(`a value computed from ${secretList(u.secrets)} could not be computed (an operation failed at ${u.failed})`, 'invalid_request');
    }
    return u.value;
  }

  use(secret: string): void {
    this.secrets.add(secret);
  }

  /** Refuses (before any connection) when a bound secret, or data derived from it, would go to `host`. */
  async check(host: string): Promise<void> {
    for (const name of [...this.secrets].sort()) {
      const allowed = this.ctx.bindings.get(name);
      if (allowed === undefined || allowed(host)) continue;
      await this.ctx.onSecretDenied?.(name, host);
      throw new StepFailure(`secret '${name}' may not be sent to ${host}: its allowedHosts do not include that host`, 'secret_denied');
    }
  }
}

const secretList = (names: ReadonlySet<string> | null) => [...(names ?? [])].map((n) => `secret '${n}'`).join(', ') || 'a secret';

export async function executeStep(step: Step, ctx: StepContext): Promise<Value> {
  switch (step.kind) {
    case 'evaluate':
      return evaluateStep(step, ctx);
    case 'tool_call':
      return toolCallStep(step, ctx);
    case 'prompt':
      return promptStep(step, ctx);
  }
}

function render(value: TemplateValue, ctx: StepContext, scope: Scope = ctx.scope): Value {
  return renderValue(value, scope, { limits: ctx.expressionLimits, deadline: ctx.deadline });
}

function evaluateStep(step: EvaluateStep, ctx: StepContext): Value {
  const out = newDict();
  for (const entry of step.values) out[entry.key] = render(entry.value, ctx);
  return out;
}

async function toolCallStep(step: ToolCallStep, ctx: StepContext): Promise<Value> {
  const tool = ctx.task.tools.get(step.tool);
  if (tool === undefined) throw new StepFailure(`unknown tool '${step.tool}'`, 'invalid_request');
  const out = new Outbound(ctx);
  let credential: string | null = null;
  if (step.secretName !== null) {
    credential = requireSecret(ctx, step.secretName.name);
    out.use(step.secretName.name);
  }
  const args = step.arguments === null ? null : out.open(render(step.arguments, ctx));
  const request = buildApiRequest({ tool, args, credential, render: (v) => out.open(render(v, ctx)) });
  if (ctx.allowUrl !== undefined && !(await ctx.allowUrl(request.url))) {
    throw new StepFailure(`requests to ${request.url.host} are not allowed by the server's policy`, 'policy');
  }
  await out.check(request.url.hostname);
  // A tool's own timeout may only shorten the step's.
  const limit = request.timeoutMs === null ? null : deadlineSignal(ctx.signal, request.timeoutMs, `tool '${tool.name}' timed out after ${request.timeoutMs} ms`);
  try {
    const res = await fetchLimited(
      ctx.fetch,
      request.url.toString(),
      { method: request.method, headers: request.headers, body: request.body },
      { signal: limit?.signal ?? ctx.signal, maxBytes: ctx.maxResponseBytes },
    );
    if (res.status >= 300 && res.status < 400) {
      throw new StepFailure(`HTTP ${res.status} redirect${res.headers.get('location') ? ` to ${res.headers.get('location')}` : ''} was not followed (redirects are never followed)`, 'http_status');
    }
    if (res.status < 200 || res.status > 299) {
      // Redact the whole body before cutting an excerpt from it: a cut could split a value.
      const body = excerpt(ctx.redactor.redact(res.text));
      throw new StepFailure(`HTTP ${res.status} from ${request.url.host}${body ? `: ${body}` : ''}`, 'http_status');
    }
    return res.isJson ? (res.json as Value) : res.text;
  } finally {
    limit?.dispose();
  }
}

async function promptStep(step: PromptStep, ctx: StepContext): Promise<Value> {
  const plan = ctx.llmPlan;
  if (plan === undefined) throw new StepFailure('no model provider was resolved for this step', 'invalid_request');
  const out = new Outbound(ctx);

  const variables: Dict = Object.assign(Object.create(null) as Dict, ctx.scope);
  for (const v of step.templateVariables) variables[v.key] = render(v.value, ctx);
  const messages = toMessages(out.open(render(step.prompt, ctx, variables)));

  const settings: Record<string, unknown> = {};
  for (const s of step.settings) settings[s.key] = out.open(render(s.value, ctx));

  let apiKey: string;
  switch (plan.key.kind) {
    case 'secret':
      apiKey = requireSecret(ctx, plan.key.name);
      out.use(plan.key.name);
      break;
    case 'settings.api_key': {
      const value = step.apiKey === null ? null : out.open(render(step.apiKey, ctx));
      if (typeof value !== 'string' || value === '') throw new StepFailure('settings.api_key must evaluate to a non-empty string', 'invalid_request');
      // It may be derived from secrets (a concatenation, a decoding): redact it as itself too.
      ctx.redactor.add('settings.api_key', value);
      apiKey = value;
      break;
    }
    case 'server-default': {
      const value = defaultKeyFor(plan.provider, ctx.llmConfig);
      if (value === undefined) throw new StepFailure(`no server default key is configured for ${plan.provider.id}`, 'invalid_request');
      apiKey = value;
      break;
    }
  }
  const baseUrl = baseUrlFor(plan.provider, ctx.llmConfig);
  await out.check(new URL(baseUrl).hostname);
  return callLlm(
    ctx.fetch,
    {
      protocol: plan.provider.protocol,
      baseUrl,
      apiKey,
      model: plan.model,
      messages,
      settings,
    },
    { signal: ctx.signal, maxBytes: ctx.maxResponseBytes, redact: (text) => ctx.redactor.redact(text) },
  );
}

function requireSecret(ctx: StepContext, name: string): string {
  const value = ctx.revealed.get(name);
  if (value === undefined) throw new StepFailure(`secret '${name}' was not revealed for this run`, 'invalid_request');
  return value;
}

const ROLES = new Set(['system', 'user', 'assistant', 'developer']);

function toMessages(prompt: Value): ChatMessage[] {
  if (typeof prompt === 'string') return [{ role: 'user', content: prompt }];
  if (!isList(prompt)) throw new StepFailure('prompt must be a string or a list of {role, content} messages', 'invalid_request');
  return prompt.map((m, i) => {
    if (!isDict(m)) throw new StepFailure(`prompt message ${i} must be a mapping`, 'invalid_request');
    const role = m.role;
    const content = m.content;
    if (typeof role !== 'string' || !ROLES.has(role)) throw new StepFailure(`prompt message ${i} has an invalid role`, 'invalid_request');
    if (typeof content !== 'string' && !isList(content)) throw new StepFailure(`prompt message ${i} content must be text or a list of parts`, 'invalid_request');
    return { role: role as ChatMessage['role'], content };
  });
}
