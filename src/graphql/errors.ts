import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Context } from '../context';
import { AppError, LimitExceededError, RateLimitedError } from '../errors';
import type { RequestStates } from '../http/request-state';
import { limitError } from './limits';

/**
 * How errors reach clients. Domain errors (AppError) keep their message and code (and field,
 * limit...); GraphQL's own errors (syntax, validation, variable coercion) are the client's
 * mistake and pass as they are; anything else is a bug and is masked: the client sees
 * "Unexpected error" and the request id, the log gets the detail (never a value: values do
 * not appear in error messages). This holds for every phase: parsing, validation, the context
 * factory, execution and REST, so texts like "Maximum call stack size exceeded" never leak.
 */
export class DomainGraphQLError extends GraphQLError {
  /** The AppError's own status, which REST answers with. */
  readonly httpStatus: number;
  constructor(error: AppError, base?: GraphQLError) {
    const extensions: Record<string, unknown> = { code: error.code };
    if ('field' in error) extensions.field = (error as { field: unknown }).field;
    if (error instanceof LimitExceededError) Object.assign(extensions, { limit: error.limit, max: error.max, setting: error.setting });
    if (error instanceof RateLimitedError) extensions.retryAfterSeconds = error.retryAfterSeconds;
    super(error.message, { nodes: base?.nodes, path: base?.path, extensions });
    this.httpStatus = error.httpStatus;
  }
}

const masked = new WeakMap<GraphQLError, unknown>();

function unexpected(original: unknown, base: GraphQLError | undefined, requestId: string | undefined): GraphQLError {
  const error = new GraphQLError('Unexpected error', {
    nodes: base?.nodes,
    path: base?.path,
    extensions: requestId ? { code: 'INTERNAL_SERVER_ERROR', requestId } : { code: 'INTERNAL_SERVER_ERROR' },
  });
  masked.set(error, original);
  return error;
}

/** One error as a client may see it; `requestId` when known (execution), else added later. */
export function presentError(error: unknown, requestId?: string): GraphQLError {
  if (error instanceof DomainGraphQLError) return error;
  if (error instanceof GraphQLError) {
    if (masked.has(error)) return error;
    const original = error.originalError;
    if (!original) return isOwnGraphQLError(error) ? error : unexpected(error, error, requestId);
    if (original instanceof GraphQLError) return presentError(original, requestId);
    if (original instanceof AppError) return new DomainGraphQLError(original, error);
    return unexpected(original, error, requestId);
  }
  if (error instanceof AppError) return new DomainGraphQLError(error);
  return unexpected(error, undefined, requestId);
}

/**
 * GraphQL's own errors (syntax, validation, coercion) and ours are plain GraphQLErrors; library
 * subclasses (Pothos' "Invalid global ID: <input>", for one) are internals and get masked.
 */
function isOwnGraphQLError(error: GraphQLError): boolean {
  return Object.getPrototypeOf(error) === GraphQLError.prototype || error instanceof DomainGraphQLError;
}

/** yoga's maskError hook (phases without a context): present, request id added by the plugin below. */
export function maskError(error: unknown): Error {
  return presentError(error);
}

/** The detail of a masked error goes to the log (it is ours: values never appear in error messages). */
function logUnexpected(logger: Logger, error: GraphQLError, requestId: string | undefined): void {
  const original = masked.get(error);
  if (original !== undefined) logger.error({ err: original, requestId, path: error.path?.join('.') }, 'unexpected error');
}

/**
 * A whole result's errors as clients may see them, each unexpected one logged once (with the
 * request id, never a value): what the plugin below does across yoga's phases, in one step for
 * the persisted-operation lane.
 */
export function presentResult(result: ExecutionResult, requestId: string, logger: Logger): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((e) => {
      const presented = presentError(e, requestId);
      if (presented !== e) logUnexpected(logger, presented, requestId);
      return presented;
    }),
  };
}

export function useErrorPresentation(logger: Logger, states: RequestStates, maxBodyBytes: number): Plugin<Context> {
  const log = (error: GraphQLError, requestId: string | undefined) => logUnexpected(logger, error, requestId);
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          const ctx = args.contextValue as Context | undefined;
          setResult({
            ...result,
            errors: result.errors.map((e) => {
              const presented = presentError(e, ctx?.requestId);
              if (presented !== e) log(presented, ctx?.requestId);
              return presented;
            }),
          });
        },
      };
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors?.length) return;
      const requestId = states.get(request)?.requestId;
      let changed = false;
      const errors = result.errors.map((e) => {
        // yoga's own cut of a streamed (chunked) body over the bound: the same typed error the
        // edge gives a declared Content-Length over it.
        if ((e as GraphQLError).extensions?.code === 'REQUEST_ENTITY_TOO_LARGE') {
          changed = true;
          return limitError(new LimitExceededError('body', maxBodyBytes, 'LOCKSMITH_MAX_BODY_BYTES', 'the request body is too large', 413));
        }
        const presented = presentError(e, requestId);
        if (masked.has(presented) && presented.extensions.requestId === undefined) {
          log(presented, requestId);
          changed = true;
          const withId = new GraphQLError(presented.message, { path: presented.path, extensions: { ...presented.extensions, requestId } });
          masked.set(withId, masked.get(presented));
          return withId;
        }
        if (presented !== e) changed = true;
        return presented;
      });
      if (changed) setResult({ ...result, errors });
    },
  };
}
