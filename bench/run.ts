/**
 * Load benchmark: real server processes driven over HTTP by autocannon, each scenario reported
 * next to two ceilings measured in the same run (a bare node:http + driver + AES-GCM server, and
 * a bare graphql-yoga server doing the same point select), so results compare across noisy
 * machines by ratio. Writes bench/results.md and bench/throughput.svg.
 *
 *   npm run bench                           SQLite and MariaDB, 1/8/32 connections (~5 min)
 *   npm run bench -- --quick                1 s per run, 32 connections only (a smoke run)
 *   npm run bench -- --db mysql --connections 32 --only reveal,ceiling-yoga --duration 5
 *   npm run bench -- --profile              also writes V8 CPU profiles of locksmith and both ceilings to bench/profiles/
 *   npm run bench -- --scale                the scale mode instead (bench/scale.ts)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../tests/support/databases';
import { openRaw } from '../tests/support/raw-db';
import { runScale } from './scale';
import { measureWriteCeiling } from './write-ceiling';
import { BENCH_RATE_LIMITS, type BenchProcess, buildLikeNpmStart, pickPort, START_SCRIPT, startProcess } from './processes';
import { type KindResults, type Measurement, renderChart, renderResults } from './report';
import { SCENARIOS, type Scenario, SECRETS_PER_TENANT, seedName, TENANTS, TOOL_SECRET } from './scenarios';

interface Options {
  kinds: DatabaseKind[];
  connections: number[];
  durationS: number;
  warmupS: number;
  only: string[] | null;
  profile: boolean;
  poolSize: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const db = value('--db');
  return {
    kinds: db ? (db.split(',') as DatabaseKind[]) : ['sqlite', 'mysql'],
    connections: (value('--connections') ?? (quick ? '32' : '1,8,32')).split(',').map(Number),
    durationS: Number(value('--duration') ?? (quick ? 1 : 4)),
    warmupS: Number(value('--warmup') ?? 1),
    only: value('--only')?.split(',') ?? null,
    profile: argv.includes('--profile'),
    poolSize: Number(value('--pool') ?? process.env.LOCKSMITH_DB_POOL_SIZE ?? 10),
    out: value('--out') ?? join(__dirname, quick ? 'results-quick.md' : 'results.md'),
  };
}

const ROOT = join(__dirname, '..');

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (process.argv.includes('--scale')) {
    return runScale(process.argv.slice(2));
  }
  const started = Date.now();
  await buildLikeNpmStart();
  const tool = await startToolServer(await pickPort());
  const results: KindResults[] = [];
  try {
    for (const kind of options.kinds) results.push(await benchKind(kind, options, tool.url));
  } finally {
    tool.server.close();
  }
  const meta = {
    node: process.version,
    date: new Date().toISOString(),
    durationS: options.durationS,
    poolSize: options.poolSize,
    wallS: Math.round((Date.now() - started) / 1000),
    connections: options.connections,
  };
  writeFileSync(options.out, renderResults(results, meta));
  writeFileSync(options.out.replace(/\.md$/, '.svg').replace('results', 'throughput'), renderChart(results, options.connections));
  console.log(`\nwrote ${options.out} (${meta.wallS} s)`);
}

async function benchKind(kind: DatabaseKind, options: Options, toolUrl: string): Promise<KindResults> {
  const database = await createTestDatabase(kind);
  const ceilingDb = await createTestDatabase(kind);
  const processes: BenchProcess[] = [];
  try {
    const adminToken = `lsa_bench_${randomBytes(24).toString('hex')}`;
    const dbUrl = kind === 'sqlite' ? `sqlite:${database.location}` : database.location;
    const ceilingUrl = kind === 'sqlite' ? `sqlite:${ceilingDb.location}` : ceilingDb.location;
    const profileDir = join(__dirname, 'profiles');
    if (options.profile) mkdirSync(profileDir, { recursive: true });
    const stamp = Date.now();
    // One folder per server; one file per thread in it (the main thread's is the big one).
    const profileArgs = (server: string) => (options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${kind}-${stamp}-${server}`)}`] : []);
    const [locksmithPort, rawPort, yogaPort] = [await pickPort(), await pickPort(), await pickPort()];
    // Started exactly as `npm start` runs it in production: scripts/start.js loads the compiled
    // dist/src/server.js into its own process (built above, so it only checks the stamp here).
    const locksmith = await startProcess(
      START_SCRIPT,
      locksmithPort,
      {
        NODE_ENV: 'production',
        LOCKSMITH_HOST: '127.0.0.1',
        LOCKSMITH_PORT: String(locksmithPort),
        LOCKSMITH_DATA_DIR: database.dataDir,
        LOCKSMITH_DATABASE_URL: dbUrl,
        LOCKSMITH_DB_POOL_SIZE: String(options.poolSize),
        LOCKSMITH_ADMIN_TOKEN: adminToken,
        LOCKSMITH_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
        LOCKSMITH_LOG_LEVEL: 'warn',
        ...BENCH_RATE_LIMITS,
        // The tool server is on loopback, which task calls may not reach by default.
        LOCKSMITH_TASK_ALLOWED_NETWORKS: '127.0.0.0/8',
        LOCKSMITH_TASK_ALLOWED_HOSTS: '127.0.0.1',
      },
      // One file per thread (the module loader has its own); the main thread's is the big one.
      profileArgs('locksmith'),
    );
    processes.push(locksmith);
    const ceilingEnv = (mode: string, port: number) => ({
      CEILING_MODE: mode,
      CEILING_PORT: String(port),
      CEILING_DB: ceilingUrl,
      CEILING_POOL: String(options.poolSize),
      CEILING_ROWS: String(SECRETS_PER_TENANT),
    });
    const raw = await startProcess(join(__dirname, 'servers', 'ceiling.ts'), rawPort, ceilingEnv('raw', rawPort), profileArgs('raw'));
    processes.push(raw);
    const yoga = await startProcess(join(__dirname, 'servers', 'ceiling.ts'), yogaPort, ceilingEnv('yoga', yogaPort), profileArgs('yoga'));
    processes.push(yoga);

    console.log(`\n${kind}: seeding ${TENANTS} tenants x ${SECRETS_PER_TENANT} secrets`);
    const tokens = await seed(locksmith.url, adminToken);
    const writeCeiling = await measureWriteCeiling(database, kind);
    console.log(`${kind}: bare transaction of create rows: ${writeCeiling.toFixed(0)} creates/s`);

    const servers = { locksmith, raw, yoga };
    const providerCallsBefore = await providerCalls(locksmith.url);
    const scenarios = SCENARIOS.filter((s) => !options.only || options.only.includes(s.name));
    const measurements: Measurement[] = [];
    for (const s of scenarios) {
      await smokeCheck(servers[s.target].url, s, tokens, toolUrl);
      if (options.warmupS > 0) await load(servers[s.target].url, s, tokens, toolUrl, 8, options.warmupS);
    }
    // Connections outermost: each level measures every scenario and both ceilings back to back,
    // so a ratio compares numbers taken within seconds of each other.
    for (const connections of options.connections) {
      for (const s of scenarios) {
        const auditBefore = s.name === 'reveal' ? await countReveals(database) : 0;
        const server = servers[s.target];
        const cpuBefore = server.cpuMs();
        const m = await load(server.url, s, tokens, toolUrl, connections, options.durationS);
        const cpuAfter = server.cpuMs();
        if (cpuBefore !== null && cpuAfter !== null && m.ok > 0) m.cpuMsPerRequest = (cpuAfter - cpuBefore) / m.ok;
        if (s.name === 'reveal') m.audited = (await countReveals(database)) - auditBefore;
        measurements.push(m);
        console.log(
          `${kind} ${String(connections).padStart(2)} conns  ${s.name.padEnd(13)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  errors ${m.errors}  cpu ${m.cpuMsPerRequest?.toFixed(2) ?? "-"} ms/req` +
            (m.audited !== undefined ? `  audited ${m.audited}/${m.ok}` : ''),
        );
      }
    }
    const after = await providerCalls(locksmith.url);
    const calls = after === null || providerCallsBefore === null ? null : after - providerCallsBefore;
    console.log(`${kind}: key-provider calls during the measured runs: ${calls ?? 'unknown'}`);
    return { kind, measurements, writeCeiling, providerCalls: calls };
  } catch (error) {
    await new Promise((r) => setTimeout(r, 500));
    for (const p of processes) console.error(p.output().slice(-4000));
    throw error;
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await database.drop();
    await ceilingDb.drop();
  }
}

/** One request through plain fetch first: a scenario that fails outright should say why. */
async function smokeCheck(url: string, s: Scenario, tokens: string[], toolUrl: string): Promise<void> {
  const [first] = s.requests({ tokens, toolUrl });
  const setup = first!.setupRequest as ((req: autocannon.Request, context: object) => autocannon.Request) | undefined;
  const req = setup ? setup({ ...first! }, {}) : first!;
  const response = await fetch(url + req.path, { method: 'POST', headers: req.headers as Record<string, string>, body: req.body as string });
  const text = await response.text();
  if (!response.ok || (s.failure && s.failure.test(text))) throw new Error(`scenario ${s.name} fails: ${response.status} ${text.slice(0, 500)}`);
}

async function load(url: string, s: Scenario, tokens: string[], toolUrl: string, connections: number, durationS: number): Promise<Measurement> {
  let failed = 0;
  const requests = s.requests({ tokens, toolUrl }).map((r) => ({
    ...r,
    onResponse: (status: number, body: string) => {
      if (status === 200 && s.failure && s.failure.test(body)) failed++;
    },
  }));
  const result = await autocannon({ url, connections, duration: durationS, requests, timeout: 10 });
  const errors = failed + result.errors + result.timeouts + result.non2xx;
  return {
    scenario: s.name,
    label: s.label,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    ok: result['2xx'] - failed,
  };
}

async function gql(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as any;
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

/** Tenants with their API keys and SECRETS_PER_TENANT secrets each (half env=prod), over the API. */
async function seed(url: string, adminToken: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const data = await gql(url, adminToken, 'mutation($n: String!) { createDeveloper(input: { name: $n }) { ... on CreateDeveloperPayload { apiKey { token } } ... on Error { message } } }', {
      n: `bench-${t}`,
    });
    tokens.push(data.createDeveloper.apiKey.token);
  }
  await Promise.all(
    tokens.map(async (token) => {
      for (let i = 0; i < SECRETS_PER_TENANT; i++) {
        await gql(url, token, 'mutation($n: String!, $m: JSON) { createSecret(input: { name: $n, value: $n, metadata: $m }) { __typename } }', {
          n: seedName(i),
          m: { env: i % 2 === 0 ? 'prod' : 'dev', team: `t${i % 4}` },
        });
      }
      await gql(url, token, 'mutation($n: String!) { createSecret(input: { name: $n, value: "tool-key-value" }) { __typename } }', { n: TOOL_SECRET });
    }),
  );
  return tokens;
}

async function countReveals(database: TestDatabase): Promise<number> {
  const db = await openRaw(database);
  try {
    const [row] = await db.all("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'secret.reveal'");
    return Number(row!.n);
  } finally {
    await db.close();
  }
}

/** The server's count of key-provider calls since start (its /metrics), or null if unreadable. */
async function providerCalls(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = /^locksmith_key_provider_calls\s+(\d+)/m.exec(text);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The loopback HTTP API the runTask scenario's tool calls. */
async function startToolServer(port: number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${port}`, server };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
