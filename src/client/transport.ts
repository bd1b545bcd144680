import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { LocksmithError } from './errors';

/**
 * The one place the client touches HTTP: POST a typed document, get typed data back or a
 * LocksmithError. Everything above this works with plain typed objects.
 */

/** The response fields the client reads. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * The subset of fetch the client needs, so `(url, init) => yoga.fetch(url, init)` (which may
 * answer synchronously) or a test double fits as well as the global fetch.
 */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => PromiseLike<FetchResponse> | FetchResponse;

export interface TransportOptions {
  /** The server (`http://host:port`) or its GraphQL endpoint; a bare origin gets `/graphql`. */
  readonly url: string;
  /** Bearer token: an API key (`lsk_...`) or the admin token. */
  readonly token?: string | undefined;
  /** Defaults to the global fetch. */
  readonly fetch?: FetchLike | undefined;
  /** Per-request timeout; default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Extra headers on every request, e.g. X-Request-Id. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

export interface Transport {
  readonly endpoint: string;
  request<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables): Promise<TransportResult<TResult>>;
}

export interface TransportResult<TResult> {
  readonly data: TResult;
  readonly requestId: string | undefined;
}

interface GraphQLErrorJson {
  message?: string;
  extensions?: { code?: string; field?: string; requestId?: string };
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function resolveEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LocksmithError('INVALID_ARGUMENT', `not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new LocksmithError('INVALID_ARGUMENT', `the server URL must be http:// or https:// (got ${parsed.protocol})`);
  }
  // The dev banner prints .../graphql but people type the origin; accept both.
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/graphql';
  return parsed.toString();
}

/** The URL for messages: credentials in a URL (user:pass@) must not end up on a terminal. */
function displayUrl(endpoint: string): string {
  const parsed = new URL(endpoint);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

export function createTransport(options: TransportOptions): Transport {
  const endpoint = resolveEndpoint(options.url);
  // fetch would reject such a header with a confusing TypeError at request time; say what is wrong
  // now (without quoting the token).
  if (options.token && !/^[\x21-\x7e]+$/.test(options.token)) {
    throw new LocksmithError('INVALID_ARGUMENT', 'the token has characters a bearer token cannot contain (spaces, line breaks or non-ASCII)');
  }
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    endpoint,
    async request(document, variables) {
      const headers: Record<string, string> = {
        ...options.headers,
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
      };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const exchange = async (body: string) => {
        try {
          const answer = await doFetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
          return { response: answer, text: await answer.text() };
        } catch (error) {
          throw new LocksmithError('UNAVAILABLE', `cannot reach ${displayUrl(endpoint)}: ${describeNetworkError(error, timeoutMs)}`, {
            cause: error,
          });
        }
      };
      // A codegen document carries its hash: the server knows the text (persisted operations),
      // so the hash goes instead. A server of another build answers that it does not know it,
      // and the text goes after all.
      const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
      let answer =
        typeof hash === 'string'
          ? await exchange(JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }))
          : undefined;
      if (!answer || unknownPersisted(answer.text)) answer = await exchange(JSON.stringify({ query: document.toString(), variables }));
      const { response, text } = answer;
      const status = response.status;
      const headerRequestId = response.headers.get('x-request-id') ?? undefined;

      let json: { data?: unknown; errors?: GraphQLErrorJson[] } | undefined;
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        json = undefined;
      }
      const firstError = Array.isArray(json?.errors) ? json.errors[0] : undefined;

      // 401 is the server's answer to a missing, unknown, expired or revoked token, whatever the body.
      if (status === 401) {
        throw new LocksmithError('UNAUTHENTICATED', firstError?.message ?? 'missing, unknown, expired or revoked bearer token', {
          status,
          requestId: headerRequestId,
        });
      }
      if (firstError) {
        throw new LocksmithError(firstError.extensions?.code ?? 'GRAPHQL_ERROR', firstError.message ?? 'GraphQL error', {
          status,
          field: firstError.extensions?.field,
          requestId: firstError.extensions?.requestId ?? headerRequestId,
        });
      }
      if (!json || typeof json !== 'object' || json.data === undefined || json.data === null) {
        const code = status >= 500 ? 'UNAVAILABLE' : 'BAD_RESPONSE';
        throw new LocksmithError(code, `${displayUrl(endpoint)} answered HTTP ${status} without a GraphQL result`, {
          status,
          requestId: headerRequestId,
        });
      }
      return { data: json.data as never, requestId: headerRequestId };
    },
  };
}

/** The server did not take the hash: it does not know it, or it predates persisted operations. */
function unknownPersisted(text: string): boolean {
  if (!text.includes('PERSISTED_QUERY_NOT_FOUND') && !text.includes('Must provide query string')) return false;
  try {
    const first = (JSON.parse(text) as { errors?: GraphQLErrorJson[] }).errors?.[0];
    return first?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND' || /Must provide query string/.test(first?.message ?? '');
  } catch {
    return false;
  }
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  // undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
