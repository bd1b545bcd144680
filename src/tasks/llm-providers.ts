/**
 * Which LLM provider serves a model, which secret holds its key, and where its API lives.
 * This table is the only place that knows providers; the client switches on `protocol`
 * (the wire format), never on a provider name.
 *
 * Key precedence for a prompt step (resolved in validate.ts, before anything runs):
 *   1. a key the step names: `secret_name`, or `settings.api_key` as an expression
 *   2. the developer's secret with the provider's conventional name (OPENAI_API_KEY), then
 *      the same name in lower case (openai_api_key)
 *   3. the server's default key for the provider, if the operator configured one
 *   4. otherwise the task is invalid (a problem naming the secret to create)
 */

export type ProviderId = 'openai' | 'anthropic' | 'google' | 'mistral' | 'groq' | 'openrouter';

export type LlmProtocol = 'openai-chat' | 'anthropic-messages';

export interface LlmProvider {
  readonly id: ProviderId;
  /** The conventional secret name, e.g. OPENAI_API_KEY. */
  readonly keyName: string;
  readonly protocol: LlmProtocol;
  readonly defaultBaseUrl: string;
  /** Environment variable an operator uses to point the provider elsewhere. */
  readonly baseUrlEnv: string;
  /** Environment variable holding the server-wide default key, if any. */
  readonly defaultKeyEnv: string;
  /** Model names this provider serves directly. */
  readonly models: RegExp | null;
  /** Routing prefix (groq/llama-3...), stripped before the model name is sent. */
  readonly routePrefix: string | null;
}

const provider = (p: Omit<LlmProvider, 'baseUrlEnv' | 'defaultKeyEnv'>): LlmProvider => {
  const upper = p.keyName.replace(/_API_KEY$/, '');
  return { ...p, baseUrlEnv: `LOCKSMITH_${upper}_BASE_URL`, defaultKeyEnv: `LOCKSMITH_DEFAULT_${upper}_API_KEY` };
};

export const LLM_PROVIDERS: readonly LlmProvider[] = Object.freeze([
  // Routing prefixes first: "openrouter/anthropic/claude-3.5" must not match claude-*.
  provider({ id: 'groq', keyName: 'GROQ_API_KEY', protocol: 'openai-chat', defaultBaseUrl: 'https://api.groq.com/openai/v1', models: null, routePrefix: 'groq/' }),
  provider({ id: 'openrouter', keyName: 'OPENROUTER_API_KEY', protocol: 'openai-chat', defaultBaseUrl: 'https://openrouter.ai/api/v1', models: null, routePrefix: 'openrouter/' }),
  provider({ id: 'openai', keyName: 'OPENAI_API_KEY', protocol: 'openai-chat', defaultBaseUrl: 'https://api.openai.com/v1', models: /^(gpt-|chatgpt-|o[134](-|$))/, routePrefix: null }),
  provider({ id: 'anthropic', keyName: 'ANTHROPIC_API_KEY', protocol: 'anthropic-messages', defaultBaseUrl: 'https://api.anthropic.com/v1', models: /^claude-/, routePrefix: null }),
  // Gemini through Google's OpenAI-compatible endpoint: one wire format fewer.
  provider({ id: 'google', keyName: 'GEMINI_API_KEY', protocol: 'openai-chat', defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', models: /^gemini-/, routePrefix: null }),
  provider({ id: 'mistral', keyName: 'MISTRAL_API_KEY', protocol: 'openai-chat', defaultBaseUrl: 'https://api.mistral.ai/v1', models: /^(mistral-|codestral-|open-mistral-|ministral-|pixtral-|magistral-)/, routePrefix: null }),
]);

export function providerById(id: string): LlmProvider | undefined {
  return LLM_PROVIDERS.find((p) => p.id === id);
}

export interface ModelRoute {
  readonly provider: LlmProvider;
  /** The model name as sent to the provider (routing prefix removed). */
  readonly model: string;
}

/** `explicitProvider` (a step's `provider:`) wins over the name-based table. */
export function routeModel(model: string, explicitProvider?: string | null): ModelRoute | null {
  if (explicitProvider !== undefined && explicitProvider !== null) {
    const p = providerById(explicitProvider);
    if (p === undefined) return null;
    const stripped = p.routePrefix !== null && model.startsWith(p.routePrefix) ? model.slice(p.routePrefix.length) : model;
    return { provider: p, model: stripped };
  }
  for (const p of LLM_PROVIDERS) {
    if (p.routePrefix !== null && model.startsWith(p.routePrefix) && model.length > p.routePrefix.length) {
      return { provider: p, model: model.slice(p.routePrefix.length) };
    }
    if (p.models !== null && p.models.test(model)) return { provider: p, model };
  }
  return null;
}

/** Secret names tried, in order, when the step names no key. */
export function keyCandidates(p: LlmProvider): string[] {
  return [p.keyName, p.keyName.toLowerCase()];
}

/** Operator configuration, passed in (the library never reads process.env itself). */
export interface LlmConfig {
  readonly baseUrls?: Partial<Record<ProviderId, string>>;
  /** Server-wide fallback keys. They are redacted from outputs like secrets. */
  readonly defaultKeys?: Partial<Record<ProviderId, string>>;
}

export function baseUrlFor(p: LlmProvider, config: LlmConfig | undefined): string {
  return (config?.baseUrls?.[p.id] ?? p.defaultBaseUrl).replace(/\/+$/, '');
}

export function defaultKeyFor(p: LlmProvider, config: LlmConfig | undefined): string | undefined {
  const key = config?.defaultKeys?.[p.id];
  return key === undefined || key === '' ? undefined : key;
}

/**
 * Builds an LlmConfig from environment variables: LOCKSMITH_<P>_BASE_URL and
 * LOCKSMITH_DEFAULT_<P>_API_KEY, where <P> is OPENAI, ANTHROPIC, GEMINI, MISTRAL, GROQ or
 * OPENROUTER. Called by config.ts with the environment it has validated (URLs checked), so
 * the service never reads these variables unvalidated.
 */
export function llmConfigFromEnv(env: Readonly<Record<string, string | undefined>>): LlmConfig {
  const baseUrls: Partial<Record<ProviderId, string>> = {};
  const defaultKeys: Partial<Record<ProviderId, string>> = {};
  for (const p of LLM_PROVIDERS) {
    const url = env[p.baseUrlEnv];
    if (url !== undefined && url !== '') baseUrls[p.id] = url;
    const key = env[p.defaultKeyEnv];
    if (key !== undefined && key !== '') defaultKeys[p.id] = key;
  }
  return { baseUrls, defaultKeys };
}
