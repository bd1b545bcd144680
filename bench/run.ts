/**
 * Load benchmark: GraphQL operations through yoga.fetch against a real database, each reported
 * as throughput and as a ratio to a baseline measured in the same run (a trivial authenticated
 * query), so numbers compare across noisy machines. `npm run bench [-- sqlite|mysql] [-- --n 2000]`
 */
import { performance } from 'node:perf_hooks';
import { createTestDatabase, type DatabaseKind } from '../tests/support/databases';
import { startTestApp, type TestApp } from '../tests/support/test-app';

const kinds = process.argv.slice(2).filter((a): a is DatabaseKind => a === 'sqlite' || a === 'mysql');
const nArg = process.argv.indexOf('--n');
const N = nArg > 0 ? Number(process.argv[nArg + 1]) : 1000;
const CONCURRENCY = 8;

async function measure(label: string, n: number, op: (i: number) => Promise<void>): Promise<{ label: string; opsPerSec: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await op(i); // warm up JIT, caches, pool
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { label, opsPerSec: n / seconds };
}

async function benchKind(kind: DatabaseKind) {
  const database = await createTestDatabase(kind);
  const t: TestApp = await startTestApp(kind, { database, env: { LOCKSMITH_LOG_LEVEL: 'warn', LOCKSMITH_DB_POOL_SIZE: '10' } });
  const { token } = await t.createDeveloper('bench');
  const ok = async (query: string, variables?: Record<string, unknown>) => {
    const r = await t.graphql(token, query, variables);
    if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
    return r.body;
  };
  for (let i = 0; i < 200; i++) {
    await ok(`mutation($n: String!) { createSecret(input: { name: $n, value: "value-of-bench-secret", metadata: { env: "prod" } }) { __typename } }`, {
      n: `seed_${String(i).padStart(4, '0')}`,
    });
  }
  const callsBefore = t.app.dataKeys.stats.providerCalls;
  const results = [
    await measure('baseline: { me { id } }', N, () => ok('{ me { id } }').then(() => undefined)),
    await measure('secret metadata', N, (i) => ok(`{ secret(name: "seed_${String(i % 200).padStart(4, '0')}") { name version metadata } }`).then(() => undefined)),
    await measure('reveal value (audited)', N, (i) => ok(`{ secret(name: "seed_${String(i % 200).padStart(4, '0')}") { value } }`).then(() => undefined)),
    await measure('list 50 by metadata', Math.ceil(N / 4), () => ok(`{ secrets(first: 50, filter: { metadata: { env: "prod" } }) { edges { node { name } } } }`).then(() => undefined)),
    await measure('create secret', Math.ceil(N / 2), (i) =>
      ok(`mutation($n: String!) { createSecret(input: { name: $n, value: "v" }) { __typename } }`, { n: `new_${i}_${Date.now()}` }).then(() => undefined),
    ),
    await measure('update value', Math.ceil(N / 2), (i) =>
      ok(`mutation($n: String!) { updateSecret(input: { name: $n, value: "changed" }) { __typename } }`, { n: `seed_${String(i % 200).padStart(4, '0')}` }).then(() => undefined),
    ),
  ];
  const providerCalls = t.app.dataKeys.stats.providerCalls - callsBefore;
  await t.close();
  await database.drop();

  const baseline = results[0]!.opsPerSec;
  console.log(`\n${kind} (n=${N}, concurrency ${CONCURRENCY}, Node ${process.version})`);
  console.log('operation'.padEnd(28) + 'ops/s'.padStart(10) + '   vs baseline');
  for (const r of results) console.log(r.label.padEnd(28) + r.opsPerSec.toFixed(0).padStart(10) + `   ${(r.opsPerSec / baseline).toFixed(2)}x`);
  console.log(`key-provider calls during the run: ${providerCalls}`);
}

async function main() {
  for (const kind of kinds.length ? kinds : (['sqlite', 'mysql'] as DatabaseKind[])) await benchKind(kind);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
