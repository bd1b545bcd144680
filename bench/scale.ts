/**
 * Scale mode (`npm run bench -- --scale [--db mysql|sqlite] [--developers 1000] [--stages 10000,100000,1000000]`):
 * grows one database to each stage's number of secrets, spread evenly over the developers, and
 * measures reveal and a metadata-filtered list of 20 against a real server process at each
 * stage. Flat latency from the first stage to the last is the point: every lookup is an index
 * seek within one developer, whatever the table holds.
 *
 * Seeding is bulk SQL (multi-row inserts into the repositories' own Kysely table definitions,
 * many rows per transaction), with values sealed by the developer's real data key, so the
 * server reveals them like any other. Seeded secrets get no audit records: they are fixtures.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { createCore } from '../src/core';
import { seal } from '../src/crypto/envelope';
import { newId } from '../src/ids';
import { metadataEntryHash } from '../src/secrets/validation';
import { createTestDatabase, type DatabaseKind } from '../tests/support/databases';
import { BENCH_RATE_LIMITS, buildLikeNpmStart, pickPort, START_SCRIPT, startProcess } from './processes';
import { LIST, REVEAL } from './scenarios';

const ROWS_PER_STATEMENT = 1000;
const STATEMENTS_PER_TRANSACTION = 10;
const PARALLEL = 4;

interface Latency {
  p50: number;
  p99: number;
  mean: number;
  rps: number;
}

interface StageResult {
  secrets: number;
  seedS: number;
  reveal: Latency;
  list: Latency;
}

export async function runScale(argv: string[]): Promise<void> {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  await buildLikeNpmStart();
  const kind = (value('--db') ?? 'mysql') as DatabaseKind;
  const developers = Number(value('--developers') ?? 1000);
  const stages = (value('--stages') ?? '10000,100000,1000000').split(',').map(Number);
  const durationS = Number(value('--duration') ?? 3);
  const out = value('--out') ?? join(__dirname, 'results-scale.md');
  const port = await pickPort();

  const database = await createTestDatabase(kind);
  const adminToken = `lsa_bench_${randomBytes(24).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOCKSMITH_HOST: '127.0.0.1',
    LOCKSMITH_PORT: String(port),
    LOCKSMITH_DATA_DIR: database.dataDir,
    LOCKSMITH_DATABASE_URL: kind === 'sqlite' ? `sqlite:${database.location}` : database.location,
    LOCKSMITH_ADMIN_TOKEN: adminToken,
    LOCKSMITH_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    LOCKSMITH_LOG_LEVEL: 'warn',
    ...BENCH_RATE_LIMITS,
  };
  const core = await createCore(loadConfig(env), { logger: pino({ level: 'warn' }) });
  const results: StageResult[] = [];
  let server;
  try {
    // Developers (and their first API key and data key) through the services, concurrently.
    const started = Date.now();
    const devs: Array<{ id: string; key: Buffer; keyId: string; token: string }> = [];
    for (let from = 0; from < developers; from += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, developers - from) }, async (_, i) => {
          const { developer, apiKey } = await core.services.developers.create(`scale-${from + i}`, 'bench-scale');
          const dataKey = await core.dataKeys.current(developer.id);
          return { id: developer.id, key: Buffer.from(dataKey.key), keyId: dataKey.id, token: apiKey.token };
        }),
      );
      devs.push(...batch);
    }
    console.log(`scale: ${developers} developers with data keys in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    server = await startProcess(START_SCRIPT, port, env);

    let have = 0;
    for (const target of stages) {
      const perDeveloper = Math.ceil(target / developers);
      const seedStarted = Date.now();
      await seedUpTo(core.db, devs, have / developers, perDeveloper);
      have = perDeveloper * developers;
      const seedS = (Date.now() - seedStarted) / 1000;
      if (kind === 'mysql') await settle(core.db);
      // A developer in the middle of the id range, and a name in the middle of its secrets.
      const sample = devs[Math.floor(developers / 2)]!;
      const name = scaleName(Math.floor(perDeveloper / 2));
      const reveal = await measure(server.url, sample.token, REVEAL, { name }, durationS);
      const list = await measure(server.url, sample.token, LIST, undefined, durationS);
      results.push({ secrets: have, seedS, reveal, list });
      console.log(
        `scale: ${have} secrets (seeded in ${seedS.toFixed(1)} s)  reveal mean ${reveal.mean.toFixed(1)} p50 ${reveal.p50} ms p99 ${reveal.p99} ms ${reveal.rps.toFixed(0)}/s  ` +
          `list mean ${list.mean.toFixed(1)} p50 ${list.p50} ms p99 ${list.p99} ms ${list.rps.toFixed(0)}/s`,
      );
    }
  } finally {
    await server?.stop();
    await core.close();
    await database.drop();
  }
  writeFileSync(out, renderScale(kind, developers, results));
  console.log(`wrote ${out}`);
}

const scaleName = (i: number) => `scale_${String(i).padStart(6, '0')}`;

/** Adds secrets `from`..`to`-1 to every developer, half of them env=prod. */
async function seedUpTo(
  db: Awaited<ReturnType<typeof createCore>>['db'],
  devs: Array<{ id: string; key: Buffer; keyId: string }>,
  from: number,
  to: number,
): Promise<void> {
  const jobs: Array<{ dev: (typeof devs)[number]; i: number }> = [];
  for (const dev of devs) for (let i = from; i < to; i++) jobs.push({ dev, i });
  const chunk = ROWS_PER_STATEMENT * STATEMENTS_PER_TRANSACTION;
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < jobs.length) {
        const slice = jobs.slice(next, next + chunk);
        next += chunk;
        await db.transaction().execute(async (trx) => {
          for (let s = 0; s < slice.length; s += ROWS_PER_STATEMENT) {
            const now = Date.now();
            const part = slice.slice(s, s + ROWS_PER_STATEMENT).map(({ dev, i }) => {
              const id = newId();
              const name = scaleName(i);
              const env = i % 2 === 0 ? 'prod' : 'dev';
              return { dev, id, name, env, team: `t${i % 10}` };
            });
            await trx
              .insertInto('secrets')
              .values(
                part.map((p) => ({
                  id: p.id,
                  developer_id: p.dev.id,
                  name: p.name,
                  live_name: p.name,
                  description: null,
                  metadata: JSON.stringify({ env: p.env, team: p.team }),
                  current_version: 1,
                  created_at: now,
                  updated_at: now,
                  deleted_at: null,
                  purge_at: null,
                  rotate_every_days: null,
                  rotation_due_at: null,
                  expires_at: null,
                  value_changed_at: now,
                  last_revealed_at: null,
                })),
              )
              .execute();
            await trx
              .insertInto('secret_versions')
              .values(
                part.map((p) => ({
                  secret_id: p.id,
                  version: 1,
                  developer_id: p.dev.id,
                  data_key_id: p.dev.keyId,
                  ciphertext: seal(p.dev.key, Buffer.from(`value-of-${p.name}`), { developerId: p.dev.id, secretId: p.id, version: 1 }),
                  created_at: now,
                  created_by: 'bench-scale',
                  destroyed_at: null,
                })),
              )
              .execute();
            await trx
              .insertInto('secret_metadata')
              .values(
                part.flatMap((p) => [
                  { secret_id: p.id, developer_id: p.dev.id, meta_key: 'env', secret_name: p.name, entry_hash: metadataEntryHash('env', p.env) },
                  { secret_id: p.id, developer_id: p.dev.id, meta_key: 'team', secret_name: p.name, entry_hash: metadataEntryHash('team', p.team) },
                ]),
              )
              .execute();
          }
        });
      }
    }),
  );
}

/**
 * Waits (at most a minute) until InnoDB has flushed the bulk load's dirty pages: measured during
 * that flush, every commit's fsync queues behind it and the stage looks slower than it is.
 */
async function settle(db: Awaited<ReturnType<typeof createCore>>['db']): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const { rows } = await sql<{ Value: string }>`SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'`.execute(db);
    if (Number(rows[0]?.Value ?? 0) < 500) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function measure(url: string, token: string, query: string, variables: Record<string, unknown> | undefined, durationS: number) {
  const body = JSON.stringify({ query, variables });
  const check = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await check.text();
  if (!check.ok || text.includes('"errors"')) throw new Error(`scale request fails: ${text.slice(0, 300)}`);
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: 4,
    duration: durationS,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  if (result.non2xx || result.errors) throw new Error(`scale run had ${result.non2xx} non-2xx responses and ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, rps: result.requests.average };
}

function renderScale(kind: string, developers: number, results: StageResult[]): string {
  const first = results[0];
  const lines = [
    '# Scale results',
    '',
    `\`npm run bench -- --scale\` on ${kind === 'mysql' ? 'MariaDB' : 'SQLite'}, ${developers} developers, secrets spread evenly; ` +
      '4 connections, reveal of one secret and a list of 20 filtered by metadata (env=prod) for one developer in the middle.',
    '',
    '| secrets | seeded in (s) | reveal p50 ms | reveal p99 ms | reveal mean ms | reveal req/s | list p50 ms | list p99 ms | list mean ms | list req/s | reveal mean vs first | list mean vs first |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const vs = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : '-');
    lines.push(
      `| ${r.secrets} | ${r.seedS.toFixed(1)} | ${r.reveal.p50} | ${r.reveal.p99} | ${r.reveal.mean.toFixed(2)} | ${r.reveal.rps.toFixed(0)} | ` +
        `${r.list.p50} | ${r.list.p99} | ${r.list.mean.toFixed(2)} | ${r.list.rps.toFixed(0)} | ${vs(r.reveal.mean, first?.reveal.mean)} | ${vs(r.list.mean, first?.list.mean)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
