import type { RootOperationNode } from 'kysely';
import type { Clock } from '../../src/clock';
import { createDatabase } from '../../src/db/connect';
import { TenantTransactions } from '../../src/db/tenant-transaction';
import { SecretService } from '../../src/secrets/service';
import type { TestApp } from './test-app';

/**
 * A SecretService of its own on a test app's database, through a connection that records every
 * statement it sends (kysely's operation nodes): for tests that count round trips and
 * statements. It shares the app's data keys and writer node id; close() ends its connection.
 * On SQLite that makes two connections to one file in one thread: give a tenant its data key
 * (a write on the app's connection) before its creates race the watched service's batches, or
 * that write waits out the busy timeout with the thread blocked.
 */
export interface WatchedService {
  readonly service: SecretService;
  /** Every statement sent so far; empty it (`nodes.length = 0`) to count from a point on. */
  readonly nodes: RootOperationNode[];
  close(): Promise<void>;
}

export function watchedSecretService(t: TestApp, clock: Clock): WatchedService {
  const nodes: RootOperationNode[] = [];
  const db = createDatabase(t.db.config).withPlugin({
    transformQuery: (args) => {
      nodes.push(args.node);
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  const service = new SecretService({ db, tenants: new TenantTransactions(db, { nodeId: t.app.tenants.nodeId }), dataKeys: t.app.dataKeys, clock, maxVersions: 50 });
  return { service, nodes, close: () => db.destroy() };
}
