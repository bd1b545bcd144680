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
import { type KeyProviderSet, loadKeyProviderSet } from './crypto/key-provider-set';
import { KeyRotationService } from './crypto/key-rotation';
import { createDatabase, type Db, migrateToLatest } from './db/connect';
import { DeveloperService } from './developers/service';
import { schema } from './schema';
import { SecretService } from './secrets/service';
import { llmConfigFromEnv } from './tasks/llm-providers';
import { TaskService } from './tasks/task-service';
import { createMetrics } from './metrics';
import { createLocksmithYoga, type LocksmithYoga } from './yoga';

export interface App {
  readonly config: Config;
  readonly db: Db;
  /** The primary key provider (wraps new data keys). */
  readonly provider: KeyProvider;
  /** The primary plus the previous providers kept to unwrap during a provider move. */
  readonly providers: KeyProviderSet;
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
    const providers = await loadKeyProviderSet(config.keyProvider, config.previousKeyProviders, {
      env: config.env,
      dataDir: config.dataDir,
      production: config.production,
      logger,
    });
    const provider = providers.primary;
    // During a provider move the previous providers matter to every read: say which are in use.
    logger.info({ keyProvider: provider.name, previousKeyProviders: providers.previous.map((p) => p.name) }, 'key providers loaded');
    const dataKeys = new DataKeyService(providers, new DataKeyRepository(db), clock, config.dataKeyCache);
    const apiKeys = new ApiKeyService({ db, clock });
    const secrets = new SecretService({ db, dataKeys, clock, maxVersions: config.maxVersions });
    const services: Services = {
      secrets,
      apiKeys,
      developers: new DeveloperService({ db, clock, apiKeys }),
      audit: new AuditService({ db, clock }),
      keys: new KeyRotationService({ db, dataKeys, clock, logger }),
      tasks: new TaskService({ secrets, fetch: globalThis.fetch, llm: llmConfigFromEnv(config.env), allowedHosts: config.taskAllowedHosts }),
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
      config,
      db,
      provider,
      providers,
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
        await providers.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
