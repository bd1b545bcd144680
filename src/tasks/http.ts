/**
 * Outbound HTTP for tool calls and LLM calls: the injected fetch, an abort signal that
 * carries the step and run deadlines, no redirects (a redirect could carry a credential
 * header or query parameter to another host), and a response size cap enforced while
 * streaming, so an oversized body is never buffered whole.
 */

import { NETWORK_POLICY_CODE } from './network/guarded-fetch';

export type StepFailureCode =
  | 'timeout'
  | 'too_large'
  | 'http_status'
  | 'network'
  /** The server's network policy refused the destination; nothing was sent. */
  | 'policy'
  /** A secret (or data derived from it) would have gone to a host it is not bound to. */
  | 'secret_denied'
  | 'invalid_request'
  | 'invalid_response';

export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    message: string,
    readonly code: StepFailureCode,
  ) {
    super(message);
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed body when it is JSON (by content type or by shape); otherwise undefined. */
  readonly json: unknown;
  readonly isJson: boolean;
}

export interface FetchLimits {
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

/** A signal that aborts at `ms` or when `parent` aborts, whichever is first; reasons are StepFailures. */
export function deadlineSignal(parent: AbortSignal, ms: number, message: string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onParent = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => controller.abort(new StepFailure(message, 'timeout')), Math.max(0, ms));
  timer.unref?.();
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

function abortFailure(signal: AbortSignal): StepFailure {
  const reason: unknown = signal.reason;
  return reason instanceof StepFailure ? reason : new StepFailure('the request was aborted', 'timeout');
}

export async function fetchLimited(fetchImpl: typeof fetch, url: string, init: RequestInit, limits: FetchLimits): Promise<HttpResult> {
  const { signal, maxBytes } = limits;
  if (signal.aborted) throw abortFailure(signal);
  let res: Response;
  try {
    res = await fetchImpl(url, { ...init, signal, redirect: 'manual' });
  } catch (err) {
    if (signal.aborted) throw abortFailure(signal);
    if ((err as { code?: unknown } | null)?.code === NETWORK_POLICY_CODE) throw new StepFailure((err as Error).message, 'policy');
    throw new StepFailure(`request failed: ${networkMessage(err)}`, 'network');
  }
  try {
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      throw new StepFailure(`response of ${declared} bytes exceeds the limit of ${maxBytes} bytes`, 'too_large');
    }
    const text = await readCapped(res, maxBytes, signal);
    const { json, isJson } = parseJsonBody(text, res.headers.get('content-type') ?? '');
    return { status: res.status, headers: res.headers, text, json, isJson };
  } catch (err) {
    await res.body?.cancel().catch(() => undefined);
    if (err instanceof StepFailure) throw err;
    if (signal.aborted) throw abortFailure(signal);
    throw new StepFailure(`reading the response failed: ${networkMessage(err)}`, 'network');
  }
}

async function readCapped(res: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        throw new StepFailure(`response exceeds the limit of ${maxBytes} bytes; stopped reading`, 'too_large');
      }
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof StepFailure) throw err;
    if (signal.aborted) throw abortFailure(signal);
    throw err;
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

const MAX_JSON_DEPTH = 256;

/** JSON when the server says so or the body looks like it; too-deep JSON stays text. */
export function parseJsonBody(text: string, contentType: string): { json: unknown; isJson: boolean } {
  const trimmed = text.trimStart();
  const looksJson = /json/i.test(contentType) || trimmed.startsWith('{') || trimmed.startsWith('[');
  if (!looksJson || trimmed === '') return { json: undefined, isJson: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { json: undefined, isJson: false };
  }
  const stack: [unknown, number][] = [[parsed, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) return { json: undefined, isJson: false };
    if (v !== null && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return { json: parsed, isJson: true };
}

/**
 * The most useful message of a fetch failure: undici reports "fetch failed" and puts the
 * reason (ECONNREFUSED ...) in `cause`. Duck-typed, because errors from the platform's
 * fetch may come from another realm (instanceof Error is false under jest, for one).
 */
function networkMessage(err: unknown): string {
  const messageOf = (e: unknown): string => {
    if (e === null || typeof e !== 'object') return '';
    const { message, code } = e as { message?: unknown; code?: unknown };
    if (typeof message === 'string' && message !== '') return message;
    return typeof code === 'string' ? code : '';
  };
  const cause = err !== null && typeof err === 'object' ? (err as { cause?: unknown }).cause : undefined;
  return messageOf(cause) || messageOf(err) || String(err);
}

/** A short, single-line excerpt of a body for error messages (redacted by the caller). */
export function excerpt(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? oneLine.slice(0, max) + '...' : oneLine;
}
