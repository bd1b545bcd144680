import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { Authenticator } from './auth/authenticate';
import { actorOf, type Context, type Services } from './context';
import { AppError } from './errors';
import { useRestApi } from './rest';

export interface YogaOptions {
  readonly schema: GraphQLSchema;
  readonly services: Services;
  readonly authenticate: Authenticator;
  readonly logger: Logger;
  /** GraphiQL at /graphql (development); `headers` pre-fills the header editor. */
  readonly graphiql: false | { headers?: () => Record<string, string> };
  /** Named readiness checks for /readyz; each rejects when its dependency is unusable. */
  readonly readinessChecks: Record<string, () => Promise<void>>;
  /** Extra yoga plugins (metrics). */
  readonly plugins?: Plugin[];
  /** Browser origins allowed by CORS; empty disables CORS. */
  readonly corsOrigins?: readonly string[];
}

export type LocksmithYoga = YogaServerInstance<Record<string, never>, Context>;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const READINESS_TIMEOUT_MS = 3000;

export function createLocksmithYoga(options: YogaOptions): LocksmithYoga {
  const requestIds = new WeakMap<Request, string>();

  return createYoga<Record<string, never>, Context>({
    schema: options.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Masking is done by useErrorPresentation below, which knows the request id.
    maskedErrors: false,
    logging: false,
    cors: options.corsOrigins?.length
      ? {
          origin: [...options.corsOrigins],
          credentials: false,
          allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
          exposedHeaders: ['x-request-id'],
          methods: ['GET', 'POST', 'OPTIONS'],
        }
      : false,
    graphiql: options.graphiql
      ? () => ({
          title: 'locksmith',
          headers: JSON.stringify((options.graphiql && options.graphiql.headers?.()) ?? {}),
          defaultQuery: DEFAULT_QUERY,
        })
      : false,
    renderGraphiQL,
    context: async ({ request }) => {
      const requestId = requestIds.get(request) ?? randomUUID();
      let principal;
      try {
        principal = await options.authenticate(request.headers.get('authorization'));
      } catch (error) {
        options.logger.error({ err: error, requestId }, 'authentication failed unexpectedly');
        throw new GraphQLError('Unexpected error', {
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId, http: { status: 500 } },
        });
      }
      if (!principal) {
        // Not audited (no tenant to attribute it to), but logged: never the token itself.
        options.logger.info({ requestId, path: new URL(request.url).pathname }, 'refused: missing, unknown, expired or revoked bearer token');
        throw new GraphQLError('missing, unknown, expired or revoked bearer token', {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
        });
      }
      return { requestId, principal, services: options.services, logger: options.logger, deniedFields: [] };
    },
    plugins: [
      useRequestId(requestIds),
      useOpsEndpoints(options.readinessChecks, options.logger),
      useErrorPresentation(options.logger),
      useDenialAudit(options.logger),
      useRestApi(),
      ...(options.plugins ?? []),
    ],
  });
}

/** Accepts a caller's X-Request-Id when it is sane, otherwise makes one; echoes it back. */
function useRequestId(requestIds: WeakMap<Request, string>): Plugin {
  return {
    onRequest({ request }) {
      const given = request.headers.get('x-request-id');
      requestIds.set(request, given && REQUEST_ID.test(given) ? given : randomUUID());
    },
    onResponse({ request, response }) {
      const id = requestIds.get(request);
      if (id) response.headers.set('x-request-id', id);
    },
  };
}

/** /healthz: the process is up. /readyz: the database and key provider answer. */
function useOpsEndpoints(checks: Record<string, () => Promise<void>>, logger: Logger): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }));
        return;
      }
      if (url.pathname !== '/readyz') return;
      const results: Record<string, string> = {};
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), READINESS_TIMEOUT_MS);
            results[name] = 'ok';
          } catch (error) {
            logger.warn({ err: error, check: name }, 'readiness check failed');
            results[name] = 'unavailable';
          }
        }),
      );
      const ready = Object.values(results).every((r) => r === 'ok');
      endResponse(new fetchAPI.Response(JSON.stringify({ status: ready ? 'ok' : 'unavailable', checks: results }), {
        status: ready ? 200 : 503,
        headers: { 'content-type': 'application/json' },
      }));
    },
  };
}

/**
 * Domain errors (AppError) reach the client with their code; anything else is a bug: the
 * client sees "Unexpected error" and the request id, the log gets the detail.
 */
function useErrorPresentation(logger: Logger): Plugin<Context> {
  const present = (error: GraphQLError, ctx: Context | undefined): GraphQLError => {
    const original = error.originalError;
    if (!original || original instanceof GraphQLError) return error;
    if (original instanceof AppError) {
      const extensions: Record<string, unknown> = { code: original.code };
      if ('field' in original) extensions.field = original.field;
      return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions });
    }
    const requestId = ctx?.requestId ?? 'unknown';
    logger.error({ err: original, requestId, path: error.path?.join('.') }, 'unexpected error');
    return new GraphQLError('Unexpected error', {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
    });
  };
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if ('errors' in result && result.errors?.length) {
            setResult({ ...result, errors: result.errors.map((e) => present(e, args.contextValue)) });
          }
        },
      };
    },
  };
}

/**
 * Refused fields are collected during execution and written as one `auth.denied` audit event
 * before the response goes out (scope-auth builds its errors synchronously, so it cannot write).
 */
function useDenialAudit(logger: Logger): Plugin<Context> {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        const result = await executeFn(args);
        const ctx = args.contextValue as Context;
        if (ctx.deniedFields.length > 0 && ctx.principal.kind === 'developer') {
          try {
            await ctx.services.audit.recordDenied(actorOf(ctx), ctx.deniedFields);
          } catch (error) {
            logger.error({ err: error, requestId: ctx.requestId }, 'could not audit a refused request');
          }
        }
        return result;
      });
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const DEFAULT_QUERY = `# Welcome to locksmith. Your API key is already in the Headers tab.
query MySecrets {
  me { id name }
  secrets(first: 20) {
    edges { node { name description metadata version updatedAt } }
  }
}

mutation CreateSecret {
  createSecret(input: { name: "openai_api_key", value: "sk-example", description: "OpenAI key", metadata: { env: "dev" } }) {
    __typename
    ... on CreateSecretPayload { secret { name version } }
    ... on Error { code message }
  }
}
`;
