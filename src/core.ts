import type { Logger } from 'pino';
import { ApiKeyService } from './api-keys/service';
import { AuditService } from './audit/service';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import type { Services } from './context';
import { DataKeyRepository } from './crypto/data-key-repository';
import { DataKeyService } from './crypto/data-keys';
import type { KeyProvider, KeyProviderOptions } from './crypto/key-provider';
import { type KeyProviderSet, openKeyProviders } from './crypto/key-provider-set';
import { KeyRotationService } from './crypto/key-rotation';
import { createDatabase, type Db, isGaleraNode, migrateToLatest } from './db/connect';
import { type CommittedRecords, TenantTransactions } from './db/tenant-transaction';
import { DeveloperService } from './developers/service';
import { resolveNodeId } from './node-id';
import { OperatorJobs } from './ops/operator-jobs';
import { SecretService } from './secrets/service';
import type { Resolver } from './tasks/network/guarded-fetch';
import { TaskService } from './tasks/task-service';

export interface CoreDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Name resolution for task tool and LLM calls (default: the system resolver). */
  readonly resolve?: Resolver;
  /**
   * Called after every commit with the audit records it made durable, in commit order per chain
   * (an audit streaming sink hooks in here). Synchronous and must not throw; see TenantTransactions.
   */
  readonly onAuditCommitted?: (records: CommittedRecords) => void;
  /**
   * Providers already opened with openKeyProviders (the server opens them before it loads the
   * app's modules, so a bad provider setting fails fast); the core owns and closes them.
   */
  readonly keyProviders?: Awaited<ReturnType<typeof openKeyProviders>>;
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
  /** Every tenant write runs through this: lock order, retries, the post-commit audit hook. */
  readonly tenants: TenantTransactions;
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
  // The key providers first: a misconfigured one stops the start before the database is opened,
  // let alone migrated by a process that could never serve it.
  const { providers, options: providerOptions } = deps.keyProviders ?? (await openKeyProviders(config, logger, clock));
  const provider = providers.primary;
  // During a provider move the previous providers matter to every read: say which are in use.
  logger.info({ keyProvider: provider.name, previousKeyProviders: providers.previous.map((p) => p.name) }, 'key providers loaded');
  let db: Db;
  try {
    db = createDatabase(config.database);
  } catch (error) {
    await providers.close();
    throw error;
  }
  try {
    await migrateToLatest(db);
    if (await isGaleraNode(db)) logger.info('Galera cluster node: reads wait for causality (wsrep_sync_wait=1), so every node reads its own and others\' acknowledged writes');
    const dataKeys = new DataKeyService(providers, new DataKeyRepository(db), clock, config.dataKeyCache);
    // The writer node id picks this process's audit chain of each tenant (docs/audit-chain.md).
    const nodeId = resolveNodeId(config.nodeId, config.dataDir);
    const tenants = new TenantTransactions(db, {
      nodeId,
      onCommitted: deps.onAuditCommitted,
      onHookError: (error) => logger.error({ err: error }, 'audit commit hook failed'),
      onRetry: (attempt, error) => logger.debug({ attempt, errno: (error as { errno?: number }).errno }, 'retrying a conflicting transaction'),
    });
    logger.info({ nodeId }, 'writer node id');
    const apiKeys = new ApiKeyService({ db, tenants, clock });
    const secrets = new SecretService({ db, tenants, dataKeys, clock, maxVersions: config.maxVersions, maxPageSize: config.limits.maxPageSize });
    const developers = new DeveloperService({ db, tenants, clock, apiKeys });
    const keys = new KeyRotationService({ tenants, dataKeys, clock, developers });
    const services: Services = {
      secrets,
      apiKeys,
      developers,
      audit: new AuditService({ db, tenants, clock, maxPageSize: config.limits.maxPageSize }),
      keys,
      tasks: new TaskService({
        secrets,
        llm: config.llm,
        allowedHosts: config.taskAllowedHosts,
        allowedNetworks: config.taskAllowedNetworks,
        resolve: deps.resolve,
        limits: config.taskLimits,
        workers: config.taskWorkers,
      }),
    };
    const ops = new OperatorJobs({ db, tenants, dataKeys, rotation: keys, clock, logger });
    return {
      config,
      db,
      clock,
      logger,
      provider,
      providers,
      providerOptions,
      dataKeys,
      tenants,
      services,
      ops,
      async close() {
        await services.tasks.close();
        await providers.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    await providers.close();
    throw error;
  }
}
