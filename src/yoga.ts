import type { DocumentNode, GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticate';
import type { LimitsConfig } from './config';
import type { RequestListener } from 'node:http';
import clientDocuments from './client/generated/persisted-documents.json';
import { type Context, requestContext, type Services } from './context';
import { maskError, useErrorPresentation } from './graphql/errors';
import { useHotJit } from './graphql/jit';
import { useGraphQLLimits } from './graphql/limits';
import { usePersistedOperations } from './graphql/persisted';
import { auditDenials, useRefuseBeforeRunning } from './graphql/refuse-before-running';
import { createAdmission, useEdge, useRequestState } from './http/edge';
import { createPersistedLane, type PersistedLaneStats } from './http/persisted-lane';
import { isLoopbackHost } from './http/loopback';
import type { RateLimits } from './http/rate-limit';
import { cachedReadiness, type ReadinessChecks } from './http/readiness';
import type { AdmittedRequests, RequestStates } from './http/request-state';
import type { ObserveOperation } from './metrics';
import { useRestApi } from './rest';

export interface YogaOptions {
  readonly schema: GraphQLSchema;
  readonly services: Services;
  readonly authenticate: Authenticator;
  readonly logger: Logger;
  /**
   * GraphiQL at /graphql (development); `headers` pre-fills the header editor. `embedCredentials`
   * says the server listens on loopback only: even then the headers are embedded only for a
   * request whose Host is a loopback name (a DNS-rebinding page has the attacker's Host).
   */
  readonly graphiql: false | { headers?: () => Record<string, string>; embedCredentials?: boolean };
  /** Named readiness checks for /readyz; each rejects when its dependency is unusable. */
  readonly readinessChecks: ReadinessChecks;
  /** Extra yoga plugins (metrics). */
  readonly plugins?: Plugin[];
  /** Counts operations the persisted lane runs (yoga's are counted by the metrics plugin). */
  readonly observeOperation?: ObserveOperation;
  /** The persisted lane's counters (src/http/persisted-lane.ts). */
  readonly persistedLaneStats?: PersistedLaneStats;
  /** Browser origins allowed by CORS; empty disables CORS. */
  readonly corsOrigins?: readonly string[];
  readonly limits: LimitsConfig;
  readonly rateLimits: RateLimits;
}

export type LocksmithYoga = YogaServerInstance<Record<string, never>, Context>;

/** yoga (in-process `fetch` for tests and tools) and the node listener the server uses: the persisted lane in front of yoga. */
export interface LocksmithHttp {
  readonly yoga: LocksmithYoga;
  readonly listener: RequestListener;
}

const GRAPHQL_ENDPOINT = '/graphql';
/** Runs of one cached document before it is compiled with graphql-jit (src/graphql/jit.ts). */
const JIT_HOT_AFTER = 2;
const REST_BASE_PATH = '/api';

export function createLocksmithHttp(options: YogaOptions): LocksmithHttp {
  const states: RequestStates = new WeakMap();
  const admitted: AdmittedRequests = new WeakMap();
  const { limits } = options;
  const admit = createAdmission({
    authenticate: options.authenticate,
    rateLimits: options.rateLimits,
    logger: options.logger,
    maxBodyBytes: limits.maxBodyBytes,
  });
  const lane = createPersistedLane({
    schema: options.schema,
    documents: clientDocuments,
    admit,
    admitted,
    services: options.services,
    logger: options.logger,
    observeOperation: options.observeOperation,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    maxBodyBytes: limits.maxBodyBytes,
    maxReveals: limits.maxReveals,
    trustProxy: limits.trustProxy,
    stats: options.persistedLaneStats,
  });

  const yoga = createYoga<Record<string, never>, Context>({
    schema: options.schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    landingPage: false,
    maskedErrors: { maskError, errorMessage: 'Unexpected error' },
    logging: false,
    // Streams without a Content-Length are counted by yoga as they arrive; the edge refuses a
    // declared length over the same bound before anything is read.
    maxRequestBodySize: limits.maxBodyBytes,
    parserAndValidationCache: boundedParseCache(limits.parseCache),
    cors: options.corsOrigins?.length
      ? {
          origin: [...options.corsOrigins],
          credentials: false,
          allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
          exposedHeaders: ['x-request-id', 'retry-after'],
          methods: ['GET', 'POST', 'OPTIONS'],
        }
      : false,
    graphiql: options.graphiql
      ? (request: Request) => {
          const graphiql = options.graphiql || {};
          const embed = Boolean(graphiql.embedCredentials) && isLoopbackHost(request.headers.get('host'));
          return {
            title: 'locksmith',
            headers: JSON.stringify(embed ? (graphiql.headers?.() ?? {}) : { Authorization: '' }),
            defaultQuery: embed ? DEFAULT_QUERY : DEFAULT_QUERY.replace('Your API key is already in the Headers tab.', 'Put your API key in the Headers tab.'),
          };
        }
      : false,
    // Required on the first GraphiQL page rather than at start: the module carries GraphiQL's
    // whole bundle (about 0.2 s of CPU to load) and production never serves the page.
    renderGraphiQL: (graphiqlOptions) =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('@graphql-yoga/render-graphiql') as typeof import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    context: ({ request }) => {
      const state = states.get(request);
      if (!state) throw new Error('request reached GraphQL without a request state');
      return requestContext(state, options.services, options.logger, limits.maxReveals);
    },
    plugins: [
      useRequestState(states, admitted, limits.trustProxy),
      useOpsEndpoints(cachedReadiness(options.readinessChecks, limits.readinessCacheMs, options.logger)),
      ...(options.plugins ?? []),
      useEdge({ states, admit, graphqlEndpoint: GRAPHQL_ENDPOINT, restBasePath: REST_BASE_PATH }),
      usePersistedOperations(clientDocuments),
      ...useGraphQLLimits(limits),
      // After the limits, whose validation rules must all have passed before the lane takes a document.
      lane.plugin,
      useErrorPresentation(options.logger, states, limits.maxBodyBytes),
      useRefuseBeforeRunning(),
      // Before useDenialAudit, which wraps whatever execute function is set when it runs.
      useHotJit({ hotAfter: JIT_HOT_AFTER }),
      useDenialAudit(),
      useRestApi(REST_BASE_PATH),
    ],
  });
  return { yoga, listener: lane.listener(yoga) };
}

/**
 * Parsed documents (and, keyed by them, validation results) are cached by query text. Bounded
 * by entries and by bytes (the query text's length, a fair proxy for its tree), so distinct
 * large documents cannot grow it without limit; only authenticated requests get this far.
 */
function boundedParseCache(config: LimitsConfig['parseCache']) {
  const cache = <V extends object>() =>
    new LRUCache<string, V>({ max: config.maxEntries, maxSize: config.maxBytes, sizeCalculation: (_v, key) => Math.max(1, key.length * 4) });
  return { documentCache: cache<DocumentNode>(), errorCache: cache<Error>(), validationCache: true };
}

/** /healthz: the process is up. /readyz: the database and key provider answer (result cached). */
function useOpsEndpoints(readiness: () => Promise<{ ready: boolean; checks: Record<string, string> }>): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }));
        return;
      }
      if (url.pathname !== '/readyz') return;
      const { ready, checks } = await readiness();
      endResponse(
        new fetchAPI.Response(JSON.stringify({ status: ready ? 'ok' : 'unavailable', checks }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}

/**
 * Refused fields are collected during execution and written as one `auth.denied` audit event
 * before the response goes out (scope-auth builds its errors synchronously, so it cannot write).
 */
function useDenialAudit(): Plugin<Context> {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        const result = await executeFn(args);
        await auditDenials(args.contextValue as Context);
        return result;
      });
    },
  };
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
