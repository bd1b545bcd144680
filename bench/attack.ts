/**
 * Replays the abuse cases of docs/limits.md against a real production-mode server process
 * (SQLite, local key) and reports, per attack, the answers it got, the server's worst
 * event-loop delay (prom-client's perf_hooks.monitorEventLoopDelay, read from /metrics, reset
 * by each scrape), its RSS after the attack, and the slowest /healthz round trip seen while it
 * ran. Not asserted: numbers depend on the machine. `npm run bench:attack` (the compiled
 * server, as `npm start` runs it; a free port of the benchmark range, or BENCH_ATTACK_PORT).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLikeNpmStart, pickPort, START_SCRIPT, startProcess } from './processes';

const ADMIN = `lsa_${randomBytes(24).toString('hex')}`;
const METRICS = `m_${randomBytes(16).toString('hex')}`;

interface Attack {
  readonly name: string;
  run(url: string, token: string): Promise<number[]>;
}

const post = async (url: string, body: string, token?: string, extra: Record<string, string> = {}) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...extra };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // connection closed by the server (refused before reading the body)
  }
};
const gql = (query: string) => JSON.stringify({ query });
const times = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

const ATTACKS: Attack[] = [
  { name: 'baseline: 50 x { me { id } }', run: (url, token) => times(50, () => post(url, gql('{ me { id } }'), token)) },
  {
    name: '10,000 aliases of me { id } (authenticated)',
    run: async (url, token) => [await post(url, gql(`{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: me { id }`).join(' ')} }`), token)],
  },
  {
    name: '3,000 aliases of secret { value }',
    run: async (url, token) => [await post(url, gql(`{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: secret(name: "k") { value }`).join(' ')} }`), token)],
  },
  {
    name: '20 aliases of verifyAuditLog',
    run: async (url, token) => [await post(url, gql(`{ ${Array.from({ length: 20 }, (_, i) => `v${i}: verifyAuditLog { ok }`).join(' ')} }`), token)],
  },
  {
    name: '20,000-deep query (authenticated)',
    run: async (url, token) => [await post(url, gql(`{ ${'me { '.repeat(20_000)}id${' }'.repeat(20_000)} }`), token)],
  },
  {
    name: '10 MB authenticated body',
    run: async (url, token) => [await post(url, gql(`{ x ${'a '.repeat(5 * 1024 * 1024)} }`), token)],
  },
  { name: '500 x /readyz', run: (url) => times(500, async () => (await fetch(`${url}/readyz`)).status) },
  {
    name: '3 x 8 MB unauthenticated queries (distinct)',
    run: (url) => times(3, (i) => post(url, gql(`{ x${i} ${'a '.repeat(4 * 1024 * 1024)} }`))),
  },
  {
    name: '20,000-deep query (unauthenticated)',
    run: async (url) => [await post(url, gql(`{ ${'me { '.repeat(20_000)}id${' }'.repeat(20_000)} }`))],
  },
  {
    name: '3,000 random lsk_ tokens, 100 at a time',
    run: async (url) => {
      const statuses: number[] = [];
      for (let batch = 0; batch < 30; batch++) {
        statuses.push(...(await times(100, () => post(url, gql('{ me { id } }'), `lsk_${randomBytes(32).toString('base64url')}`))));
      }
      return statuses;
    },
  },
];

async function scrape(url: string): Promise<{ lagMaxMs: number; rssMb: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).text();
  const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);
  return { lagMaxMs: read('locksmith_nodejs_eventloop_lag_max_seconds') * 1000, rssMb: read('locksmith_process_resident_memory_bytes') / 2 ** 20 };
}

/** The slowest /healthz round trip while `work` runs: what a load balancer would have seen. */
async function probeWhile<T>(url: string, work: Promise<T>): Promise<{ result: T; healthzMaxMs: number; healthzFailures: number }> {
  let done = false;
  let max = 0;
  let failures = 0;
  const probe = (async () => {
    while (!done) {
      const started = performance.now();
      try {
        if (!(await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(20_000) })).ok) failures++;
      } catch {
        failures++;
      }
      max = Math.max(max, performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const result = await work;
  done = true;
  await probe;
  return { result, healthzMaxMs: max, healthzFailures: failures };
}

async function main(): Promise<void> {
  await buildLikeNpmStart();
  const port = process.env.BENCH_ATTACK_PORT ? Number(process.env.BENCH_ATTACK_PORT) : await pickPort();
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-attack-'));
  const server = await startProcess(START_SCRIPT, port, {
    NODE_ENV: 'production',
    LOCKSMITH_PORT: String(port),
    LOCKSMITH_DATA_DIR: dataDir,
    LOCKSMITH_DATABASE_URL: `sqlite:${join(dataDir, 'attack.db')}`,
    LOCKSMITH_ADMIN_TOKEN: ADMIN,
    LOCKSMITH_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    LOCKSMITH_METRICS_TOKEN: METRICS,
    LOCKSMITH_LOG_LEVEL: 'warn',
  });
  try {
    const created = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: gql('mutation { createDeveloper(input: { name: "attack" }) { ... on CreateDeveloperPayload { apiKey { token } } } }'),
    });
    const token = ((await created.json()) as any).data.createDeveloper.apiKey.token as string;
    await post(server.url, gql('mutation { createSecret(input: { name: "k", value: "attack-value" }) { __typename } }'), token);

    const rows: string[] = ['| attack | answers | max event-loop delay | RSS after | slowest /healthz |', '| --- | --- | --- | --- | --- |'];
    await scrape(server.url); // resets the delay histogram
    for (const attack of ATTACKS) {
      const { result, healthzMaxMs, healthzFailures } = await probeWhile(server.url, attack.run(server.url, token));
      const metrics = await scrape(server.url);
      const counts = new Map<number, number>();
      for (const s of result) counts.set(s, (counts.get(s) ?? 0) + 1);
      const answers = [...counts].map(([s, n]) => `${n} x ${s || 'closed'}`).join(', ');
      rows.push(
        `| ${attack.name} | ${answers} | ${metrics.lagMaxMs.toFixed(0)} ms | ${metrics.rssMb.toFixed(0)} MB | ${healthzMaxMs.toFixed(0)} ms${healthzFailures ? ` (${healthzFailures} failed)` : ''} |`,
      );
      process.stderr.write(`${attack.name}: ${answers}\n`);
    }
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
