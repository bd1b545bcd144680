import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate';
import { type AppError, LimitExceededError, RateLimitedError } from '../errors';
import { clientAddress } from './client-address';
import type { RateLimits } from './rate-limit';
import type { RequestStates } from './request-state';

const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface EdgeOptions {
  readonly states: RequestStates;
  readonly authenticate: Authenticator;
  readonly rateLimits: RateLimits;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly graphqlEndpoint: string;
  readonly restBasePath: string;
}

/**
 * The HTTP edge, before GraphQL or REST read a byte of the body: request ids, rate limits,
 * the body size bound and authentication. An unauthenticated request is answered 401 here, so
 * it costs a header lookup and one hash, never a parse: parsing, validation and the document
 * cache only ever work for authenticated callers. Ops endpoints (/healthz, /readyz, /metrics)
 * and GraphiQL's page are answered by earlier plugins and never reach this.
 */
/**
 * Gives every request its server-generated id (and keeps the caller's beside it) before any
 * other plugin answers, so /healthz and refusals carry one too.
 */
export function useRequestState(states: RequestStates, trustProxy: boolean): Plugin {
  return {
    onRequest({ request, serverContext }) {
      const callerId = request.headers.get('x-request-id');
      states.set(request, {
        requestId: randomUUID(),
        callerRequestId: callerId && CALLER_REQUEST_ID.test(callerId) ? callerId : null,
        clientAddress: clientAddress(request, serverContext, trustProxy),
      });
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      if (state) response.headers.set('x-request-id', state.requestId);
      // A body refused part-way (yoga cuts a stream at the bound) is left unread on the socket:
      // the connection cannot carry another request.
      if (response.status === 411 || response.status === 413) response.headers.set('connection', 'close');
    },
  };
}

export function useEdge(options: EdgeOptions): Plugin {
  const { states, logger } = options;
  const isApi = (path: string) =>
    path === options.graphqlEndpoint || path === `${options.graphqlEndpoint}/` || path === options.restBasePath || path.startsWith(`${options.restBasePath}/`);

  return {
    async onRequest({ request, url, endResponse }) {
      const state = states.get(request);
      if (!state) throw new Error('useRequestState must run before useEdge');
      if (!isApi(url.pathname) || request.method === 'OPTIONS') return;
      const rest = !url.pathname.startsWith(options.graphqlEndpoint);
      const refuse = (error: AppError, headers: Record<string, string> = {}) => {
        endResponse(errorResponse(error, rest, state.requestId, headers));
      };

      const busy = await options.rateLimits.request(state.clientAddress);
      if (busy) return refuse(new RateLimitedError(busy.retryAfterSeconds, busy.what), { 'retry-after': String(busy.retryAfterSeconds) });

      const blocked = await options.rateLimits.authBlocked(state.clientAddress);
      if (blocked) return refuse(new RateLimitedError(blocked.retryAfterSeconds, blocked.what), { 'retry-after': String(blocked.retryAfterSeconds) });

      let principal;
      try {
        principal = await options.authenticate(request.headers.get('authorization'));
      } catch (error) {
        logger.error({ err: error, requestId: state.requestId }, 'authentication failed unexpectedly');
        endResponse(jsonResponse(500, rest, [{ message: 'Unexpected error', code: 'INTERNAL_SERVER_ERROR', requestId: state.requestId }]));
        return;
      }
      if (!principal) {
        // Not audited (no tenant to attribute it to), but logged: never the token itself.
        logger.info({ requestId: state.requestId, path: url.pathname, client: state.clientAddress }, 'refused: missing, unknown, expired or revoked bearer token');
        const spent = await options.rateLimits.authFailed(state.clientAddress);
        if (spent) return refuse(new RateLimitedError(spent.retryAfterSeconds, spent.what), { 'retry-after': String(spent.retryAfterSeconds) });
        endResponse(
          jsonResponse(401, rest, [{ message: 'missing, unknown, expired or revoked bearer token', code: 'UNAUTHENTICATED' }], {
            'www-authenticate': 'Bearer',
            ...closeIfBody(request),
          }),
        );
        return;
      }
      const actor = principal.kind === 'admin' ? 'admin' : principal.actorId;
      const keyBusy = await options.rateLimits.principal(actor);
      if (keyBusy) return refuse(new RateLimitedError(keyBusy.retryAfterSeconds, keyBusy.what), { 'retry-after': String(keyBusy.retryAfterSeconds) });

      const tooLarge = bodyTooLarge(request, options.maxBodyBytes, rest);
      if (tooLarge) return refuse(tooLarge, closeIfBody(request));
      state.principal = principal;
    },
  };
}

/**
 * Content-Length over the bound: 413 at once. GraphQL bodies without a length (chunked) are
 * counted as they stream by yoga's own limit (maxRequestBodySize, set to the same bound);
 * SOFA reads REST bodies whole, so REST requires a length.
 */
function bodyTooLarge(request: Request, max: number, rest: boolean): AppError | undefined {
  const length = request.headers.get('content-length');
  if (length !== null) {
    if (!/^\d+$/.test(length)) return new LimitExceededError('body', max, 'LOCKSMITH_MAX_BODY_BYTES', 'Content-Length is not a number');
    if (Number(length) > max) return new LimitExceededError('body', max, 'LOCKSMITH_MAX_BODY_BYTES', 'the request body is too large', 413);
    return undefined;
  }
  if (rest && request.headers.get('transfer-encoding')) {
    return new LimitExceededError('body', max, 'LOCKSMITH_MAX_BODY_BYTES', 'REST request bodies need a Content-Length', 411);
  }
  return undefined;
}

/** Unread bodies are not worth draining: close the connection after refusing. */
function closeIfBody(request: Request): Record<string, string> {
  return request.headers.get('content-length') || request.headers.get('transfer-encoding') ? { connection: 'close' } : {};
}

export function errorResponse(error: AppError, rest: boolean, requestId: string, headers: Record<string, string> = {}): Response {
  const body: Record<string, unknown> = { message: error.message, code: error.code };
  if (error instanceof LimitExceededError) Object.assign(body, { limit: error.limit, max: error.max, setting: error.setting });
  if (error instanceof RateLimitedError) body.retryAfterSeconds = error.retryAfterSeconds;
  body.requestId = requestId;
  return jsonResponse(error.httpStatus, rest, [body], headers);
}

/** GraphQL clients get `{ errors: [{ message, extensions: { code } }] }`; REST clients `{ errors: [{ message, code }] }`. */
function jsonResponse(status: number, rest: boolean, errors: Array<Record<string, unknown>>, headers: Record<string, string> = {}): Response {
  const shaped = rest
    ? errors
    : errors.map(({ message, ...extensions }) => ({ message, extensions }));
  return new Response(JSON.stringify({ errors: shaped }), { status, headers: { 'content-type': 'application/json', ...headers } });
}
