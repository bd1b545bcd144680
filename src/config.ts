import { resolve } from 'node:path';
import { z } from 'zod';
import type { JwtConfig } from './auth/jwt';
import { loadTlsCredentials, type TlsCredentials, TlsFileError } from './http/tls';
import { parseNetworks } from './tasks/network/address-policy';
import { LLM_PROVIDERS, type LlmConfig, llmConfigFromEnv } from './tasks/llm-providers';

/**
 * Environment -> typed configuration. Everything the core reads from the environment is here,
 * validated once at start-up so a typo fails loudly instead of at the first request.
 * Key-provider plugins read their own variables (they receive `env`), so provider-specific
 * settings never leak into the core.
 */

const booleanish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).positive(`${name} must be positive`);

function networksParse(list: string): boolean {
  try {
    parseNetworks(list);
    return true;
  } catch {
    return false;
  }
}
/** Abuse protection (docs/limits.md lists each with its reason). */
const LIMIT_SETTINGS = {
  LOCKSMITH_MAX_BODY_BYTES: positiveInt('LOCKSMITH_MAX_BODY_BYTES').default(1024 * 1024),
  LOCKSMITH_MAX_TOKENS: positiveInt('LOCKSMITH_MAX_TOKENS').default(2000),
  LOCKSMITH_MAX_DEPTH: positiveInt('LOCKSMITH_MAX_DEPTH').default(12),
  LOCKSMITH_MAX_ALIASES: positiveInt('LOCKSMITH_MAX_ALIASES').default(30),
  LOCKSMITH_MAX_DIRECTIVES: positiveInt('LOCKSMITH_MAX_DIRECTIVES').default(20),
  LOCKSMITH_MAX_COST: positiveInt('LOCKSMITH_MAX_COST').default(50_000),
  LOCKSMITH_MAX_REVEALS: positiveInt('LOCKSMITH_MAX_REVEALS').default(100),
  LOCKSMITH_MAX_PAGE_SIZE: positiveInt('LOCKSMITH_MAX_PAGE_SIZE').default(500),
  LOCKSMITH_HEADERS_TIMEOUT_MS: positiveInt('LOCKSMITH_HEADERS_TIMEOUT_MS').default(10_000),
  LOCKSMITH_REQUEST_TIMEOUT_MS: positiveInt('LOCKSMITH_REQUEST_TIMEOUT_MS').default(30_000),
  LOCKSMITH_PARSE_CACHE_ENTRIES: positiveInt('LOCKSMITH_PARSE_CACHE_ENTRIES').default(1000),
  LOCKSMITH_PARSE_CACHE_BYTES: positiveInt('LOCKSMITH_PARSE_CACHE_BYTES').default(8 * 1024 * 1024),
  LOCKSMITH_RATE_LIMIT_WINDOW_SECONDS: positiveInt('LOCKSMITH_RATE_LIMIT_WINDOW_SECONDS').default(60),
  LOCKSMITH_RATE_LIMIT_PER_KEY: positiveInt('LOCKSMITH_RATE_LIMIT_PER_KEY').default(6000),
  LOCKSMITH_RATE_LIMIT_PER_ADDRESS: positiveInt('LOCKSMITH_RATE_LIMIT_PER_ADDRESS').default(12_000),
  LOCKSMITH_RATE_LIMIT_AUTH_FAILURES: positiveInt('LOCKSMITH_RATE_LIMIT_AUTH_FAILURES').default(30),
  LOCKSMITH_REDIS_URL: z
    .string()
    .refine((v) => /^rediss?:\/\//.test(v), { message: 'LOCKSMITH_REDIS_URL must be redis://host:port or rediss://...' })
    .optional(),
  LOCKSMITH_REDIS_KEY_PREFIX: z.string().min(1).default('locksmith:rl'),
  LOCKSMITH_TRUST_PROXY: booleanish.default(false),
  LOCKSMITH_INTROSPECTION: booleanish.optional(),
  LOCKSMITH_METRICS_TOKEN: z.string().min(16, 'LOCKSMITH_METRICS_TOKEN must be at least 16 characters').optional(),
  LOCKSMITH_READINESS_CACHE_MS: z.coerce.number().int().min(0).default(5000),
};

function namesMysqlDatabase(url: string): boolean {
  if (!/^(mysql|mariadb):\/\//.test(url)) return false;
  try {
    return new URL(url.replace(/^mariadb:/, 'mysql:')).pathname.replace(/^\//, '') !== '';
  } catch {
    return false;
  }
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOCKSMITH_DATA_DIR: z.string().min(1).default('./.locksmith'),
  LOCKSMITH_DATABASE_URL: z
    .string()
    .refine((v) => v.startsWith('sqlite:') || namesMysqlDatabase(v), {
      message: 'LOCKSMITH_DATABASE_URL must be mysql://user:pass@host:port/database (naming the database) or sqlite:<path>',
    })
    .optional(),
  LOCKSMITH_HOST: z.string().min(1).default('127.0.0.1'),
  LOCKSMITH_PORT: z.coerce
    .number({ error: 'LOCKSMITH_PORT must be a number' })
    .int()
    .min(0, 'LOCKSMITH_PORT must be 0-65535')
    .max(65535, 'LOCKSMITH_PORT must be 0-65535')
    .default(4000),
  LOCKSMITH_ADMIN_TOKEN: z.string().min(32, 'LOCKSMITH_ADMIN_TOKEN must be at least 32 characters').optional(),
  LOCKSMITH_KEY_PROVIDER: z.string().min(1).default('local'),
  LOCKSMITH_PREVIOUS_KEY_PROVIDERS: z.string().optional(),
  LOCKSMITH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOCKSMITH_DATA_KEY_CACHE_SIZE: positiveInt('LOCKSMITH_DATA_KEY_CACHE_SIZE').default(10_000),
  LOCKSMITH_DATA_KEY_CACHE_TTL_SECONDS: positiveInt('LOCKSMITH_DATA_KEY_CACHE_TTL_SECONDS').default(300),
  LOCKSMITH_DATA_KEY_CACHE_MAX_USES: positiveInt('LOCKSMITH_DATA_KEY_CACHE_MAX_USES').default(1_000_000),
  LOCKSMITH_DB_POOL_SIZE: positiveInt('LOCKSMITH_DB_POOL_SIZE').default(10),
  LOCKSMITH_GRAPHIQL: booleanish.optional(),
  LOCKSMITH_CONSOLE: booleanish.default(true),
  LOCKSMITH_MAX_VERSIONS: positiveInt('LOCKSMITH_MAX_VERSIONS').default(50),
  LOCKSMITH_PURGE_INTERVAL_SECONDS: positiveInt('LOCKSMITH_PURGE_INTERVAL_SECONDS').default(3600),
  LOCKSMITH_CORS_ORIGINS: z.string().optional(),
  LOCKSMITH_TASK_ALLOWED_HOSTS: z.string().optional(),
  LOCKSMITH_TASK_ALLOWED_NETWORKS: z
    .string()
    .refine(networksParse, { message: 'LOCKSMITH_TASK_ALLOWED_NETWORKS must be comma-separated CIDRs, e.g. 127.0.0.0/8,10.0.0.0/8' })
    .optional(),
  LOCKSMITH_TASK_WORKERS: positiveInt('LOCKSMITH_TASK_WORKERS').default(2),
  LOCKSMITH_TASK_MEMORY_MB: positiveInt('LOCKSMITH_TASK_MEMORY_MB').default(128),
  LOCKSMITH_TASK_TIMEOUT_SECONDS: positiveInt('LOCKSMITH_TASK_TIMEOUT_SECONDS').default(120),
  LOCKSMITH_TASK_STEP_OUTPUT_BYTES: positiveInt('LOCKSMITH_TASK_STEP_OUTPUT_BYTES').default(1024 * 1024),
  LOCKSMITH_TASK_RUN_OUTPUT_BYTES: positiveInt('LOCKSMITH_TASK_RUN_OUTPUT_BYTES').default(4 * 1024 * 1024),
  LOCKSMITH_JWT_ISSUER: z.string().min(1).optional(),
  LOCKSMITH_JWT_JWKS_URL: z.url({ error: 'LOCKSMITH_JWT_JWKS_URL must be a URL' }).optional(),
  LOCKSMITH_JWT_AUDIENCE: z.string().min(1).optional(),
  LOCKSMITH_JWT_DEVELOPER_CLAIM: z.string().min(1).default('locksmith_developer'),
  LOCKSMITH_SHUTDOWN_TIMEOUT_MS: positiveInt('LOCKSMITH_SHUTDOWN_TIMEOUT_MS').default(10_000),
  LOCKSMITH_AUDIT_LOG: z
    .string()
    .regex(/^(stdout|file:.+)$/, 'LOCKSMITH_AUDIT_LOG must be stdout or file:<path>')
    .optional(),
  LOCKSMITH_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'LOCKSMITH_NODE_ID must be 1-64 letters, digits, _ . - (starting with a letter or digit)')
    .optional(),
  ...LIMIT_SETTINGS,
});

/**
 * LOCKSMITH_<P>_BASE_URL (an http(s) URL) and LOCKSMITH_DEFAULT_<P>_API_KEY for each LLM provider
 * of the table in src/tasks/llm-providers.ts, validated like every other variable.
 */
const LlmEnvSchema = z.object(
  Object.fromEntries(
    LLM_PROVIDERS.flatMap((p) => [
      [p.baseUrlEnv, z.url({ protocol: /^https?$/, error: `${p.baseUrlEnv} must be an http:// or https:// URL` }).optional()],
      [p.defaultKeyEnv, z.string().min(1).optional()],
    ]),
  ) as Record<string, z.ZodOptional<z.ZodType<string>>>,
);

/**
 * LOCKSMITH_TLS_CERT / LOCKSMITH_TLS_KEY (PEM file paths): both or neither; the files are read
 * and checked as a pair here (src/http/tls.ts), so a missing, unreadable or mismatched file stops
 * start-up with one line naming its variable, like every other setting.
 */
const TlsEnvSchema = z
  .object({ LOCKSMITH_TLS_CERT: z.string().optional(), LOCKSMITH_TLS_KEY: z.string().optional() })
  .transform(({ LOCKSMITH_TLS_CERT: cert, LOCKSMITH_TLS_KEY: key }, ctx): TlsCredentials | undefined => {
    if (!cert && !key) return undefined;
    if (!cert || !key) {
      const missing = cert ? 'LOCKSMITH_TLS_KEY' : 'LOCKSMITH_TLS_CERT';
      ctx.addIssue({ code: 'custom', path: [missing], message: `${missing} is not set: LOCKSMITH_TLS_CERT and LOCKSMITH_TLS_KEY go together (set both for HTTPS, or neither)` });
      return z.NEVER;
    }
    try {
      return loadTlsCredentials({ certPath: resolve(cert), keyPath: resolve(key) });
    } catch (error) {
      if (!(error instanceof TlsFileError)) throw error;
      ctx.addIssue({ code: 'custom', path: [error.variable], message: error.message });
      return z.NEVER;
    }
  });

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'mysql'; readonly url: string; readonly poolSize: number };

export interface Config {
  readonly production: boolean;
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly host: string;
  readonly port: number;
  /** HTTPS with these files (LOCKSMITH_TLS_CERT / LOCKSMITH_TLS_KEY); plain HTTP when undefined. */
  readonly tls: TlsCredentials | undefined;
  readonly adminToken: string | undefined;
  /** Provider (name or module path) that wraps new data keys and is the rewrap target. */
  readonly keyProvider: string;
  /**
   * Providers kept only to unwrap data keys they wrapped, during a move to `keyProvider`
   * (LOCKSMITH_PREVIOUS_KEY_PROVIDERS, comma-separated); each reads its settings from `env`.
   */
  readonly previousKeyProviders: readonly string[];
  readonly logLevel: z.infer<typeof EnvSchema>['LOCKSMITH_LOG_LEVEL'];
  readonly dataKeyCache: { readonly maxEntries: number; readonly ttlMs: number; readonly maxUses: number };
  readonly graphiql: boolean;
  /** The web console at /console (development and production alike); LOCKSMITH_CONSOLE=false turns it off. */
  readonly console: boolean;
  readonly shutdownTimeoutMs: number;
  /** Where every committed audit record is also written, one JSON line each (LOCKSMITH_AUDIT_LOG). */
  readonly auditLog: { readonly kind: 'stdout' } | { readonly kind: 'file'; readonly path: string } | undefined;
  /** Browser origins allowed to call the API (CORS); empty: no CORS headers at all. */
  readonly corsOrigins: string[];
  /** Hosts task tool calls may reach; empty allows any public host. */
  readonly taskAllowedHosts: string[];
  /** Non-public networks (CIDRs) tasks may reach anyway; by default only public unicast addresses. */
  readonly taskAllowedNetworks: string[];
  /** Per-run limits of tasks (the rest of RunLimits keeps its defaults). */
  readonly taskLimits: { readonly totalTimeoutMs: number; readonly maxStepOutputBytes: number; readonly maxRunOutputBytes: number };
  /** The task worker pool: runs at once and each worker's heap limit. */
  readonly taskWorkers: { readonly size: number; readonly memoryMb: number };
  /** LLM base URLs and server default keys for prompt steps. */
  readonly llm: LlmConfig;
  /** JWT bearer tokens from a trusted issuer, when configured. */
  readonly jwt: JwtConfig | undefined;
  /** Versions kept per secret; older ones are destroyed (ciphertext erased). */
  readonly maxVersions: number;
  /** How often deleted secrets past their recovery window are purged. */
  readonly purgeIntervalMs: number;
  /**
   * This node's id (LOCKSMITH_NODE_ID): which audit chain of each tenant it writes. When unset,
   * one is generated and kept in the data directory (see node-id.ts).
   */
  readonly nodeId: string | undefined;
  /** Request limits, rate limits and exposure switches (docs/limits.md). */
  readonly limits: LimitsConfig;
  /** The raw environment, for key-provider plugins. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface LimitsConfig {
  readonly maxBodyBytes: number;
  readonly maxTokens: number;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxCost: number;
  readonly maxReveals: number;
  /** The most rows one page of a list (first/last) may ask for. */
  readonly maxPageSize: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly parseCache: { readonly maxEntries: number; readonly maxBytes: number };
  readonly rateLimit: {
    readonly windowSeconds: number;
    readonly perKey: number;
    readonly perAddress: number;
    readonly authFailures: number;
    readonly redisUrl: string | undefined;
    readonly redisKeyPrefix: string;
  };
  /** Whether X-Forwarded-For names the client (only behind a proxy that sets it). */
  readonly trustProxy: boolean;
  readonly introspection: boolean;
  /** Bearer token /metrics requires; unset: /metrics is open (bind it to a private network). */
  readonly metricsToken: string | undefined;
  /** How long a /readyz result is reused, so probes cannot turn into key-provider load. */
  readonly readinessCacheMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  // Empty variables count as unset: `FOO= npm start` should not fail validation.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  const llm = LlmEnvSchema.safeParse(present);
  const tls = TlsEnvSchema.safeParse(present);
  if (!parsed.success || !llm.success || !tls.success) {
    // One line, each problem led by its variable (zod's own messages may not name it).
    const issues = [...(parsed.error?.issues ?? []), ...(llm.error?.issues ?? []), ...(tls.error?.issues ?? [])];
    const problems = issues.map((issue) => {
      const name = issue.path.join('.');
      return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.LOCKSMITH_DATA_DIR);

  if (production && !e.LOCKSMITH_ADMIN_TOKEN) {
    throw new ConfigError(
      'LOCKSMITH_ADMIN_TOKEN is required in production (at least 32 random characters): `locksmith init` generates one',
    );
  }

  if (Boolean(e.LOCKSMITH_JWT_ISSUER) !== Boolean(e.LOCKSMITH_JWT_JWKS_URL)) {
    throw new ConfigError('invalid configuration: LOCKSMITH_JWT_ISSUER and LOCKSMITH_JWT_JWKS_URL go together: set both or neither');
  }

  if (e.LOCKSMITH_HEADERS_TIMEOUT_MS > e.LOCKSMITH_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('invalid configuration: LOCKSMITH_HEADERS_TIMEOUT_MS must not exceed LOCKSMITH_REQUEST_TIMEOUT_MS');
  }

  const previousProviders = (e.LOCKSMITH_PREVIOUS_KEY_PROVIDERS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (previousProviders.includes(e.LOCKSMITH_KEY_PROVIDER)) {
    throw new ConfigError(
      `LOCKSMITH_PREVIOUS_KEY_PROVIDERS must not list LOCKSMITH_KEY_PROVIDER ("${e.LOCKSMITH_KEY_PROVIDER}"): ` +
        'a provider already unwraps what it wrapped; a new root key within one provider is a rewrap, not a previous provider',
    );
  }

  const database: DatabaseConfig = e.LOCKSMITH_DATABASE_URL?.startsWith('sqlite:')
    ? { kind: 'sqlite', path: resolve(e.LOCKSMITH_DATABASE_URL.slice('sqlite:'.length) || resolve(dataDir, 'locksmith.db')) }
    : e.LOCKSMITH_DATABASE_URL
      ? { kind: 'mysql', url: e.LOCKSMITH_DATABASE_URL, poolSize: e.LOCKSMITH_DB_POOL_SIZE }
      : { kind: 'sqlite', path: resolve(dataDir, 'locksmith.db') };

  return {
    production,
    nodeEnv: e.NODE_ENV,
    dataDir,
    database,
    host: e.LOCKSMITH_HOST,
    port: e.LOCKSMITH_PORT,
    tls: tls.data,
    adminToken: e.LOCKSMITH_ADMIN_TOKEN,
    keyProvider: e.LOCKSMITH_KEY_PROVIDER,
    previousKeyProviders: previousProviders,
    logLevel: e.LOCKSMITH_LOG_LEVEL,
    dataKeyCache: {
      maxEntries: e.LOCKSMITH_DATA_KEY_CACHE_SIZE,
      ttlMs: e.LOCKSMITH_DATA_KEY_CACHE_TTL_SECONDS * 1000,
      maxUses: e.LOCKSMITH_DATA_KEY_CACHE_MAX_USES,
    },
    graphiql: e.LOCKSMITH_GRAPHIQL ?? !production,
    console: e.LOCKSMITH_CONSOLE,
    shutdownTimeoutMs: e.LOCKSMITH_SHUTDOWN_TIMEOUT_MS,
    auditLog:
      e.LOCKSMITH_AUDIT_LOG === undefined
        ? undefined
        : e.LOCKSMITH_AUDIT_LOG === 'stdout'
          ? { kind: 'stdout' }
          : { kind: 'file', path: resolve(e.LOCKSMITH_AUDIT_LOG.slice('file:'.length)) },
    corsOrigins: (e.LOCKSMITH_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    llm: llmConfigFromEnv(llm.data),
    taskAllowedHosts: (e.LOCKSMITH_TASK_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    taskAllowedNetworks: (e.LOCKSMITH_TASK_ALLOWED_NETWORKS ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    taskLimits: {
      totalTimeoutMs: e.LOCKSMITH_TASK_TIMEOUT_SECONDS * 1000,
      maxStepOutputBytes: e.LOCKSMITH_TASK_STEP_OUTPUT_BYTES,
      maxRunOutputBytes: e.LOCKSMITH_TASK_RUN_OUTPUT_BYTES,
    },
    taskWorkers: { size: e.LOCKSMITH_TASK_WORKERS, memoryMb: e.LOCKSMITH_TASK_MEMORY_MB },
    jwt:
      e.LOCKSMITH_JWT_ISSUER && e.LOCKSMITH_JWT_JWKS_URL
        ? {
            issuer: e.LOCKSMITH_JWT_ISSUER,
            jwksUrl: e.LOCKSMITH_JWT_JWKS_URL,
            audience: e.LOCKSMITH_JWT_AUDIENCE,
            developerClaim: e.LOCKSMITH_JWT_DEVELOPER_CLAIM,
          }
        : undefined,
    maxVersions: e.LOCKSMITH_MAX_VERSIONS,
    purgeIntervalMs: e.LOCKSMITH_PURGE_INTERVAL_SECONDS * 1000,
    nodeId: e.LOCKSMITH_NODE_ID,
    limits: {
      maxBodyBytes: e.LOCKSMITH_MAX_BODY_BYTES,
      maxTokens: e.LOCKSMITH_MAX_TOKENS,
      maxDepth: e.LOCKSMITH_MAX_DEPTH,
      maxAliases: e.LOCKSMITH_MAX_ALIASES,
      maxDirectives: e.LOCKSMITH_MAX_DIRECTIVES,
      maxCost: e.LOCKSMITH_MAX_COST,
      maxReveals: e.LOCKSMITH_MAX_REVEALS,
      maxPageSize: e.LOCKSMITH_MAX_PAGE_SIZE,
      headersTimeoutMs: e.LOCKSMITH_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.LOCKSMITH_REQUEST_TIMEOUT_MS,
      parseCache: { maxEntries: e.LOCKSMITH_PARSE_CACHE_ENTRIES, maxBytes: e.LOCKSMITH_PARSE_CACHE_BYTES },
      rateLimit: {
        windowSeconds: e.LOCKSMITH_RATE_LIMIT_WINDOW_SECONDS,
        perKey: e.LOCKSMITH_RATE_LIMIT_PER_KEY,
        perAddress: e.LOCKSMITH_RATE_LIMIT_PER_ADDRESS,
        authFailures: e.LOCKSMITH_RATE_LIMIT_AUTH_FAILURES,
        redisUrl: e.LOCKSMITH_REDIS_URL,
        redisKeyPrefix: e.LOCKSMITH_REDIS_KEY_PREFIX,
      },
      trustProxy: e.LOCKSMITH_TRUST_PROXY,
      introspection: e.LOCKSMITH_INTROSPECTION ?? !production,
      metricsToken: e.LOCKSMITH_METRICS_TOKEN,
      readinessCacheMs: e.LOCKSMITH_READINESS_CACHE_MS,
    },
    env,
  };
}
