import type { Logger } from 'pino';
import { ApiKeyService } from './api-keys/service';
import { AuditService } from './audit/service';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import type { Services } from './context';
import { DataKeyRepository } from './crypto/data-key-repository';
import { DataKeyService } from './crypto/data-keys';
import type { KeyProvider, KeyProviderOptions } from './crypto/key-provider';
import { type KeyProviderSet, loadKeyProviderSet } from './crypto/key-provider-set';
import { KeyRotationService } from './crypto/key-rotation';
import { createDatabase, type Db, migrateToLatest } from './db/connect';
import { DeveloperService } from './developers/service';
import { OperatorJobs } from './ops/operator-jobs';
import { SecretService } from './secrets/service';
import { llmConfigFromEnv } from './tasks/llm-providers';
import type { Resolver } from './tasks/network/guarded-fetch';
import { TaskService } from './tasks/task-service';

export interface CoreDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Name resolution for task tool and LLM calls (default: the system resolver). */
  readonly resolve?: Resolver;
}

/** Everything the server and the operator CLI share: database, key providers, services. */
export interface Core {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The primary key provider (wraps new data keys). */
  readonly provider: KeyProvider;
  /** The primary plus the previous providers kept to unwrap during a provider move. */
  readonly providers: KeyProviderSet;
  /** How the providers were configured: the CLI loads a rewrap target (`--to`) the same way. */
  readonly providerOptions: KeyProviderOptions;
  readonly dataKeys: DataKeyService;
  /** What a request may use (GraphQL resolvers, REST). */
  readonly services: Services;
  /** Cross-tenant operator jobs (`locksmith keys ...`); never reachable from a request. */
  readonly ops: OperatorJobs;
  /** Closes the key providers and the database. */
  close(): Promise<void>;
}

/**
 * The composition root: the only place that wires concrete services together. The server
 * (src/app.ts) adds HTTP on top; the operator CLI (src/cli/commands/keys.ts) uses it as is.
 * Opening it applies pending migrations, as both have always done.
 */
export async function createCore(config: Config, deps: CoreDeps): Promise<Core> {
  const clock = deps.clock ?? systemClock;
  const { logger } = deps;
  const db = createDatabase(config.database);
  try {
    await migrateToLatest(db);
    const providerOptions: KeyProviderOptions = { env: config.env, dataDir: config.dataDir, production: config.production, logger };
    const providers = await loadKeyProviderSet(config.keyProvider, config.previousKeyProviders, providerOptions);
    const provider = providers.primary;
    // During a provider move the previous providers matter to every read: say which are in use.
    logger.info({ keyProvider: provider.name, previousKeyProviders: providers.previous.map((p) => p.name) }, 'key providers loaded');
    const dataKeys = new DataKeyService(providers, new DataKeyRepository(db), clock, config.dataKeyCache);
    const apiKeys = new ApiKeyService({ db, clock });
    const secrets = new SecretService({ db, dataKeys, clock, maxVersions: config.maxVersions });
    const developers = new DeveloperService({ db, clock, apiKeys });
    const keys = new KeyRotationService({ dataKeys, clock, developers });
    const services: Services = {
      secrets,
      apiKeys,
      developers,
      audit: new AuditService({ db, clock }),
      keys,
      tasks: new TaskService({
        secrets,
        llm: llmConfigFromEnv(config.env),
        allowedHosts: config.taskAllowedHosts,
        allowedNetworks: config.taskAllowedNetworks,
        resolve: deps.resolve,
      }),
    };
    const ops = new OperatorJobs({ db, dataKeys, rotation: keys, clock, logger });
    return {
      config,
      db,
      clock,
      logger,
      provider,
      providers,
      providerOptions,
      dataKeys,
      services,
      ops,
      async close() {
        await providers.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
