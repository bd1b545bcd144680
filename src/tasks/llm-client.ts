import { excerpt, fetchLimited, StepFailure, type FetchLimits } from './http';
import type { LlmProtocol } from './llm-providers';

/**
 * Chat calls in the two wire formats providers speak: OpenAI-compatible chat completions
 * (OpenAI, Gemini's compatibility endpoint, Mistral, Groq, OpenRouter) and Anthropic
 * messages. Non-streaming; the result is the assistant's text.
 */

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'developer';
  /** Text, or provider-native content parts passed through unchanged. */
  readonly content: string | readonly unknown[];
}

export interface LlmRequest {
  readonly protocol: LlmProtocol;
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  /** Extra body parameters (temperature, max_tokens ...). */
  readonly settings: Readonly<Record<string, unknown>>;
}

export const ANTHROPIC_VERSION = '2023-06-01';
const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** Settings a task may not override: they are ours to set. */
const RESERVED = new Set(['model', 'messages', 'stream', 'system', 'api_key']);

export interface LlmCallLimits extends FetchLimits {
  /** Applied to error bodies whole, before they are cut to an excerpt. */
  readonly redact: (text: string) => string;
}

export async function callLlm(fetchImpl: typeof fetch, req: LlmRequest, limits: LlmCallLimits): Promise<string> {
  const extra = Object.fromEntries(Object.entries(req.settings).filter(([k]) => !RESERVED.has(k)));
  let url: string;
  let headers: Record<string, string>;
  let body: Record<string, unknown>;
  if (req.protocol === 'anthropic-messages') {
    url = `${req.baseUrl}/messages`;
    headers = { 'x-api-key': req.apiKey, 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' };
    const system = req.messages.filter((m) => m.role === 'system' || m.role === 'developer');
    body = {
      model: req.model,
      max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      ...extra,
      ...(system.length > 0 ? { system: system.map((m) => textOf(m.content)).join('\n\n') } : {}),
      messages: req.messages.filter((m) => m.role === 'user' || m.role === 'assistant'),
    };
  } else {
    url = `${req.baseUrl}/chat/completions`;
    headers = { authorization: `Bearer ${req.apiKey}`, 'content-type': 'application/json' };
    body = { model: req.model, ...extra, messages: req.messages };
  }

  const res = await fetchLimited(fetchImpl, url, { method: 'POST', headers, body: JSON.stringify(body) }, limits);
  if (res.status < 200 || res.status > 299) {
    const detail = errorMessageOf(res.json, limits.redact) ?? excerpt(limits.redact(res.text));
    throw new StepFailure(`the model provider returned HTTP ${res.status}${detail ? `: ${detail}` : ''}`, 'http_status');
  }
  if (!res.isJson) throw new StepFailure('the model provider returned a response that is not JSON', 'invalid_response');
  const text = req.protocol === 'anthropic-messages' ? anthropicText(res.json) : openAiText(res.json);
  if (text === null) throw new StepFailure('the model provider returned no text in its response', 'invalid_response');
  return text;
}

function textOf(content: string | readonly unknown[]): string {
  if (typeof content === 'string') return content;
  return content
    .map((p) => (p !== null && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
    .join('');
}

function openAiText(json: unknown): string | null {
  const choice = (json as { choices?: unknown[] } | null)?.choices?.[0] as { message?: { content?: unknown } } | undefined;
  const content = choice?.message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return textOf(content);
  return null;
}

function anthropicText(json: unknown): string | null {
  const content = (json as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return null;
  return content
    .filter((b): b is { type: 'text'; text: string } => b !== null && typeof b === 'object' && (b as { type?: unknown }).type === 'text')
    .map((b) => b.text)
    .join('');
}

function errorMessageOf(json: unknown, redact: (text: string) => string): string | null {
  const err = (json as { error?: unknown } | null)?.error;
  if (typeof err === 'string') return excerpt(redact(err));
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? excerpt(redact(message)) : null;
}
