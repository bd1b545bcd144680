import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate';
import { type AppError, LimitExceededError, RateLimitedError } from '../errors';
import { clientAddress, peerOf } from './client-address';
import type { RateLimits } from './rate-limit';
import { type AdmittedRequests, newRequestState, type RequestState, type RequestStates } from './request-state';

export interface EdgeOptions {
  readonly authenticate: Authenticator;
  readonly rateLimits: RateLimits;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
}

/** A refusal of the edge, as status, headers and a JSON body; each transport writes it its own way. */
export interface EdgeAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Reads one request header (lower-case name); null when absent. */
export type HeaderReader = (name: string) => string | null;

/** What admission reads of a request: its path (for the log), whether it is REST, its headers. */
export interface EdgeRequest {
  readonly path: string;
  readonly rest: boolean;
  readonly header: HeaderReader;
}

/**
 * Admits one API request, or says how to refuse it: rate limits, authentication and the body
 * size bound, before GraphQL or REST read a byte of the body. An unauthenticated request is
 * refused here, so it costs a header lookup and one hash, never a parse: parsing, validation
 * and the document cache only ever work for authenticated callers. On admission the principal
 * is set on `state`. Both ways in use it: yoga's plugin below and the persisted-operation lane.
 */
export type Admit = (state: RequestState, request: EdgeRequest) => Promise<EdgeAnswer | undefined>;

export function createAdmission(options: EdgeOptions): Admit {
  const { logger } = options;
  return async (state, { path, rest, header }) => {
    const refuse = (error: AppError, headers: Record<string, string> = {}) => errorAnswer(error, rest, state.requestId, headers);
    const busy = await options.rateLimits.request(state.clientAddress);
    if (busy) return refuse(new RateLimitedError(busy.retryAfterSeconds, busy.what), { 'retry-after': String(busy.retryAfterSeconds) });

    const blocked = await options.rateLimits.authBlocked(state.clientAddress);
    if (blocked) return refuse(new RateLimitedError(blocked.retryAfterSeconds, blocked.what), { 'retry-after': String(blocked.retryAfterSeconds) });

    let principal;
    try {
      principal = await options.authenticate(header('authorization'));
    } catch (error) {
      logger.error({ err: error, requestId: state.requestId }, 'authentication failed unexpectedly');
      return jsonAnswer(500, rest, [{ message: 'Unexpected error', code: 'INTERNAL_SERVER_ERROR', requestId: state.requestId }]);
    }
    if (!principal) {
      // Not audited (no tenant to attribute it to), but logged: never the token itself.
      logger.info({ requestId: state.requestId, path, client: state.clientAddress }, 'refused: missing, unknown, expired or revoked bearer token');
      const spent = await options.rateLimits.authFailed(state.clientAddress);
      if (spent) return refuse(new RateLimitedError(spent.retryAfterSeconds, spent.what), { 'retry-after': String(spent.retryAfterSeconds) });
      return jsonAnswer(401, rest, [{ message: 'missing, unknown, expired or revoked bearer token', code: 'UNAUTHENTICATED' }], {
        'www-authenticate': 'Bearer',
        ...closeIfBody(header),
      });
    }
    const actor = principal.kind === 'admin' ? 'admin' : principal.actorId;
    const keyBusy = await options.rateLimits.principal(actor);
    if (keyBusy) return refuse(new RateLimitedError(keyBusy.retryAfterSeconds, keyBusy.what), { 'retry-after': String(keyBusy.retryAfterSeconds) });

    const tooLarge = bodyTooLarge(header, options.maxBodyBytes, rest);
    if (tooLarge) return refuse(tooLarge, closeIfBody(header));
    state.principal = principal;
    return undefined;
  };
}

/**
 * Gives every request its server-generated id (and keeps the caller's beside it) before any
 * other plugin answers, so /healthz and refusals carry one too. A request the persisted lane
 * already admitted keeps the state (id, principal) the lane gave it.
 */
export function useRequestState(states: RequestStates, admitted: AdmittedRequests, trustProxy: boolean): Plugin {
  return {
    onRequest({ request, serverContext }) {
      const node = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      const known = node && admitted.get(node);
      states.set(
        request,
        known ?? newRequestState(request.headers.get('x-request-id'), clientAddress(request.headers.get('x-forwarded-for'), peerOf(serverContext), trustProxy)),
      );
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

/** The edge as a yoga plugin: every GraphQL and REST request passes `admit` before anything else reads it. */
export function useEdge(options: { states: RequestStates; admit: Admit; graphqlEndpoint: string; restBasePath: string }): Plugin {
  const { states } = options;
  const isApi = (path: string) =>
    path === options.graphqlEndpoint || path === `${options.graphqlEndpoint}/` || path === options.restBasePath || path.startsWith(`${options.restBasePath}/`);

  return {
    async onRequest({ request, url, endResponse }) {
      const state = states.get(request);
      if (!state) throw new Error('useRequestState must run before useEdge');
      if (!isApi(url.pathname) || request.method === 'OPTIONS') return;
      if (state.principal) return; // admitted by the persisted lane already
      const rest = !url.pathname.startsWith(options.graphqlEndpoint);
      const refusal = await options.admit(state, { path: url.pathname, rest, header: (name) => request.headers.get(name) });
      if (refusal) endResponse(new Response(refusal.body, { status: refusal.status, headers: refusal.headers }));
    },
  };
}

/**
 * Content-Length over the bound: 413 at once. GraphQL bodies without a length (chunked) are
 * counted as they stream by yoga's own limit (maxRequestBodySize, set to the same bound);
 * SOFA reads REST bodies whole, so REST requires a length.
 */
function bodyTooLarge(header: HeaderReader, max: number, rest: boolean): AppError | undefined {
  const length = header('content-length');
  if (length !== null) {
    if (!/^\d+$/.test(length)) return new LimitExceededError('body', max, 'LOCKSMITH_MAX_BODY_BYTES', 'Content-Length is not a number');
    if (Number(length) > max) return new LimitExceededError('body', max, 'LOCKSMITH_MAX_BODY_BYTES', 'the request body is too large', 413);
    return undefined;
  }
  if (rest && header('transfer-encoding')) {
    return new LimitExceededError('body', max, 'LOCKSMITH_MAX_BODY_BYTES', 'REST request bodies need a Content-Length', 411);
  }
  return undefined;
}

/** Unread bodies are not worth draining: close the connection after refusing. */
function closeIfBody(header: HeaderReader): Record<string, string> {
  return header('content-length') || header('transfer-encoding') ? { connection: 'close' } : {};
}

function errorAnswer(error: AppError, rest: boolean, requestId: string, headers: Record<string, string> = {}): EdgeAnswer {
  const body: Record<string, unknown> = { message: error.message, code: error.code };
  if (error instanceof LimitExceededError) Object.assign(body, { limit: error.limit, max: error.max, setting: error.setting });
  if (error instanceof RateLimitedError) body.retryAfterSeconds = error.retryAfterSeconds;
  body.requestId = requestId;
  return jsonAnswer(error.httpStatus, rest, [body], headers);
}

/** GraphQL clients get `{ errors: [{ message, extensions: { code } }] }`; REST clients `{ errors: [{ message, code }] }`. */
function jsonAnswer(status: number, rest: boolean, errors: Array<Record<string, unknown>>, headers: Record<string, string> = {}): EdgeAnswer {
  const shaped = rest ? errors : errors.map(({ message, ...extensions }) => ({ message, extensions }));
  return { status, body: JSON.stringify({ errors: shaped }), headers: { 'content-type': 'application/json', ...headers } };
}
