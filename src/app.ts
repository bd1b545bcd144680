import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticate';
import { createJwtAuthenticator } from './auth/jwt';
import type { Clock } from './clock';
import type { Config } from './config';
import { type Core, type CoreDeps, createCore } from './core';
import { createDatabaseProbe } from './db/probe';
import { schema } from './schema';
import { createMetrics } from './metrics';
import { isLoopbackAddress } from './http/loopback';
import type { PersistedLaneStats } from './http/persisted-lane';
import { createRateLimits } from './http/rate-limit';
import { createLocksmithHttp, type LocksmithYoga } from './yoga';

/** The server: the core (src/core.ts) behind HTTP, plus its background jobs. */
export interface App extends Core {
  /** In-process requests (tests, tools): the whole pipeline, without the persisted lane. */
  readonly yoga: LocksmithYoga;
  /** What the HTTP server runs: the persisted lane in front of yoga (src/http/persisted-lane.ts). */
  readonly listener: RequestListener;
  /** How many requests the persisted lane answered, and how many it read and passed to yoga. */
  readonly persistedLane: PersistedLaneStats;
  /** Starts background jobs (the purge of expired deletions: once now, then on a timer). */
  startJobs(): void;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** After-commit audit hook (an audit streaming sink): see CoreDeps.onAuditCommitted. */
  readonly onAuditCommitted?: CoreDeps['onAuditCommitted'];
  /** Headers GraphiQL starts with, read per page load (development: the default developer's API key). */
  readonly graphiqlHeaders?: () => Record<string, string>;
  /** The admin token when not in config (development generates one). */
  readonly adminToken?: string;
  /** Key providers opened already: see CoreDeps.keyProviders. */
  readonly keyProviders?: CoreDeps['keyProviders'];
}

/** The core plus HTTP (yoga, auth, metrics, readiness) and the purge timer. */
export async function createApp(config: Config, options: AppOptions): Promise<App> {
  const { logger } = options;
  const core = await createCore(config, { logger, clock: options.clock, onAuditCommitted: options.onAuditCommitted, keyProviders: options.keyProviders });
  const { db, providers, dataKeys, services } = core;
  try {
    const persistedLane: PersistedLaneStats = { served: 0, handedOver: 0 };
    const metrics = createMetrics(dataKeys.stats, core.tenants.stats, { token: config.limits.metricsToken, persistedLane });
    const rateLimits = createRateLimits(config.limits.rateLimit, logger);
    await rateLimits.ready;
    const { yoga, listener } = createLocksmithHttp({
      limits: config.limits,
      rateLimits,
      plugins: [metrics.plugin],
      observeOperation: metrics.observeOperation,
      persistedLaneStats: persistedLane,
      schema,
      services,
      logger,
      authenticate: createAuthenticator({
        adminToken: config.adminToken ?? options.adminToken,
        apiKeys: services.apiKeys,
        jwt: config.jwt ? await createJwtAuthenticator(config.jwt, services.developers) : undefined,
      }),
      corsOrigins: config.corsOrigins,
      graphiql: config.graphiql ? { headers: options.graphiqlHeaders, embedCredentials: isLoopbackAddress(config.host) } : false,
      readinessChecks: {
        database: createDatabaseProbe(db),
        keyProvider: () => providers.checkHealth(),
      },
    });
    let purgeTimer: NodeJS.Timeout | undefined;
    let purging: Promise<unknown> = Promise.resolve();
    const purge = () => {
      purging = services.secrets
        .purgeExpired()
        .then((count) => count > 0 && logger.info({ count }, 'purged deleted secrets past their recovery window'))
        .catch((error) => logger.error({ err: error }, 'purge job failed; it will run again'));
    };
    return {
      ...core,
      yoga,
      listener,
      persistedLane,
      startJobs() {
        if (purgeTimer) return;
        purge();
        purgeTimer = setInterval(purge, config.purgeIntervalMs);
        purgeTimer.unref();
      },
      async close() {
        clearInterval(purgeTimer);
        await purging;
        await yoga.dispose();
        await rateLimits.close();
        await core.close();
      },
    };
  } catch (error) {
    await core.close();
    throw error;
  }
}
