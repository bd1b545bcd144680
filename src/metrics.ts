import { type DocumentNode, Kind, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { constantTimeEqual } from './auth/tokens';
import type { DataKeyStats } from './crypto/data-keys';
import type { TenantTransactionStats } from './db/tenant-transaction';
import type { PersistedLaneStats } from './http/persisted-lane';

const bearer = (header: string | null) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';

/** Counts one executed operation: its type (query, mutation), whether it failed, when it started (hrtime). */
export type ObserveOperation = (type: string, failed: boolean, startedNs: bigint) => void;

/**
 * Prometheus metrics at /metrics. Labels are operation names and outcomes only: never a secret
 * name, a developer id (unbounded cardinality, and tenant data) or anything from a value.
 */
export function createMetrics(
  dataKeyStats: DataKeyStats,
  transactionStats?: TenantTransactionStats,
  options: { token?: string; persistedLane?: PersistedLaneStats } = {},
): { registry: Registry; plugin: Plugin; observeOperation: ObserveOperation } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'locksmith_' });

  const operations = new Counter({
    name: 'locksmith_graphql_operations_total',
    help: 'GraphQL operations executed, by operation type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'locksmith_graphql_operation_duration_seconds',
    help: 'GraphQL execution time.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Counters kept elsewhere (caches, transactions, the persisted lane), read when scraped.
  const sinceStartGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  sinceStartGauge('locksmith_data_key_cache_hits', 'Data-key cache hits since start.', () => dataKeyStats.hits);
  sinceStartGauge('locksmith_data_key_cache_misses', 'Data-key cache misses since start.', () => dataKeyStats.misses);
  sinceStartGauge('locksmith_key_provider_calls', 'Calls to the key provider since start.', () => dataKeyStats.providerCalls);
  if (transactionStats) {
    // Deadlocks, lock-wait timeouts and (on Galera) certification conflicts that were retried,
    // and those that outlasted every retry: a rising second number needs an operator.
    sinceStartGauge('locksmith_transaction_retries', 'Tenant transactions run again after a conflict, since start.', () => transactionStats.retries);
    sinceStartGauge('locksmith_transaction_conflicts_exhausted', 'Tenant transactions that failed after every retry, since start.', () => transactionStats.exhausted);
  }

  const observeOperation: ObserveOperation = (type, failed, startedNs) => {
    operations.inc({ type, outcome: failed ? 'error' : 'ok' });
    duration.observe({ type }, Number(process.hrtime.bigint() - startedNs) / 1e9);
  };

  if (options.persistedLane) {
    const lane = options.persistedLane;
    sinceStartGauge('locksmith_persisted_lane_served', 'Persisted operations answered by the persisted lane, since start.', () => lane.served);
    sinceStartGauge('locksmith_persisted_lane_handed_over', 'Requests the persisted lane read and passed to the full pipeline, since start.', () => lane.handedOver);
  }

  const plugin: Plugin = {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics') return;
      // With LOCKSMITH_METRICS_TOKEN set, scrapers must send it as a bearer token.
      if (options.token && !constantTimeEqual(bearer(request.headers.get('authorization')), options.token)) {
        endResponse(new fetchAPI.Response('metrics need the metrics bearer token\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
        return;
      }
      endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
    },
    onExecute({ args }) {
      const started = process.hrtime.bigint();
      const operation = (args.document as DocumentNode).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const type = operation?.operation ?? 'unknown';
      return {
        onExecuteDone({ result }) {
          observeOperation(type, 'errors' in result && Boolean(result.errors?.length), started);
        },
      };
    },
  };
  return { registry, plugin, observeOperation };
}
