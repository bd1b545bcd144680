import { sql } from 'kysely';
import type { Logger } from 'pino';
import { ApiKeyService } from './api-keys/service';
import { AuditService } from './audit/service';
import { createAuthenticator } from './auth/authenticate';
import { createJwtAuthenticator } from './auth/jwt';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import type { Services } from './context';
import { DataKeyRepository } from './crypto/data-key-repository';
import { DataKeyService } from './crypto/data-keys';
import type { KeyProvider } from './crypto/key-provider';
import { loadKeyProvider } from './crypto/load-provider';
import { createDatabase, type Db, migrateToLatest } from './db/connect';
import { DeveloperService } from './developers/service';
import { schema } from './schema';
import { SecretService } from './secrets/service';
import { createMetrics } from './metrics';
import { createLocksmithYoga, type LocksmithYoga } from './yoga';

export interface App {
  readonly config: Config;
  readonly db: Db;
  readonly provider: KeyProvider;
  readonly dataKeys: DataKeyService;
  readonly services: Services;
  readonly yoga: LocksmithYoga;
  /** Starts background jobs (the purge of expired deletions: once now, then on a timer). */
  startJobs(): void;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Headers GraphiQL starts with, read per page load (development: the default developer's API key). */
  readonly graphiqlHeaders?: () => Record<string, string>;
  /** The admin token when not in config (development generates one). */
  readonly adminToken?: string;
}

/** The composition root: the only place that wires concrete services together. */
export async function createApp(config: Config, options: AppOptions): Promise<App> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const db = createDatabase(config.database);
  try {
    await migrateToLatest(db);
    const provider = await loadKeyProvider(config.keyProvider, {
      env: config.env,
      dataDir: config.dataDir,
      production: config.production,
      logger,
    });
    const dataKeys = new DataKeyService(provider, new DataKeyRepository(db), clock, config.dataKeyCache);
    const apiKeys = new ApiKeyService({ db, clock });
    const services: Services = {
      secrets: new SecretService({ db, dataKeys, clock, maxVersions: config.maxVersions }),
      apiKeys,
      developers: new DeveloperService({ db, clock, apiKeys }),
      audit: new AuditService({ db, clock }),
    };
    const metrics = createMetrics(dataKeys.stats);
    const yoga = createLocksmithYoga({
      plugins: [metrics.plugin],
      schema,
      services,
      logger,
      authenticate: createAuthenticator({
        adminToken: config.adminToken ?? options.adminToken,
        apiKeys,
        jwt: config.jwt ? await createJwtAuthenticator(config.jwt, services.developers) : undefined,
      }),
      corsOrigins: config.corsOrigins,
      graphiql: config.graphiql ? { headers: options.graphiqlHeaders } : false,
      readinessChecks: {
        database: async () => {
          await sql`select 1`.execute(db);
        },
        keyProvider: () => provider.checkHealth(),
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
      config,
      db,
      provider,
      dataKeys,
      services,
      yoga,
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
        await provider.close?.();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
