/**
 * The two ceilings a reveal is measured against, in one file so they do exactly the same work:
 * a point select of one ciphertext by (developer, name) through the bare driver and an
 * AES-256-GCM open with the same envelope code locksmith uses, with no authentication and no
 * audit record.
 *   CEILING_MODE=raw   node:http + driver: parse the JSON body, select, open, write JSON.
 *   CEILING_MODE=yoga  the same resolver behind a bare graphql-yoga server (what GraphQL costs).
 * CEILING_DB is `sqlite:<path>` or a mysql:// URL of a database this process may fill.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import SQLite from 'better-sqlite3';
import { createSchema, createYoga } from 'graphql-yoga';
import { createPool } from 'mysql2';
import { open, seal } from '../../src/crypto/envelope';

const mode = process.env.CEILING_MODE ?? 'raw';
const dbUrl = process.env.CEILING_DB ?? '';
const port = Number(process.env.CEILING_PORT ?? 0);
const poolSize = Number(process.env.CEILING_POOL ?? 10);
const rows = Number(process.env.CEILING_ROWS ?? 64);
const DEVELOPER = 'bench-developer';
// A KeyObject made once, as locksmith's data-key cache hands its reveals one.
const key = createSecretKey(randomBytes(32));
/** One table per ceiling: each process seals with its own key. */
const TABLE = `bench_ceiling_${mode === 'yoga' ? 'yoga' : 'raw'}`;

type Select = (name: string) => Promise<Buffer | undefined>;

async function connect(): Promise<Select> {
  const values = Array.from({ length: rows }, (_, i) => {
    const name = `seed_${String(i).padStart(3, '0')}`;
    return { name, ciphertext: seal(key, Buffer.from(`value-of-${name}-`.padEnd(40, 'x')), { developerId: DEVELOPER, secretId: name, version: 1 }) };
  });
  if (dbUrl.startsWith('sqlite:')) {
    const db = new SQLite(dbUrl.slice('sqlite:'.length));
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (developer_id TEXT NOT NULL, name TEXT NOT NULL, ciphertext BLOB NOT NULL, PRIMARY KEY (developer_id, name))`);
    const insert = db.prepare(`INSERT OR REPLACE INTO ${TABLE} VALUES (?, ?, ?)`);
    for (const v of values) insert.run(DEVELOPER, v.name, v.ciphertext);
    const select = db.prepare(`SELECT ciphertext FROM ${TABLE} WHERE developer_id = ? AND name = ?`);
    return async (name) => (select.get(DEVELOPER, name) as { ciphertext: Buffer } | undefined)?.ciphertext;
  }
  const pool = createPool({ uri: dbUrl, connectionLimit: poolSize, timezone: 'Z' });
  const query = <T>(sql: string, params: unknown[]) =>
    new Promise<T>((resolve, reject) => pool.query(sql, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  await query(`CREATE TABLE IF NOT EXISTS ${TABLE} (developer_id VARCHAR(64) NOT NULL, name VARCHAR(128) NOT NULL, ciphertext BLOB NOT NULL, PRIMARY KEY (developer_id, name))`, []);
  await query(`REPLACE INTO ${TABLE} VALUES ?`, [values.map((v) => [DEVELOPER, v.name, v.ciphertext])]);
  // Kysely's MySQL driver sends `query` with parameters too, so both sides pay the same.
  return async (name) => (await query<Array<{ ciphertext: Buffer }>>(`SELECT ciphertext FROM ${TABLE} WHERE developer_id = ? AND name = ?`, [DEVELOPER, name]))[0]?.ciphertext;
}

async function reveal(select: Select, name: string): Promise<string | null> {
  const ciphertext = await select(name);
  if (!ciphertext) return null;
  return open(key, ciphertext, { developerId: DEVELOPER, secretId: name, version: 1 }).toString('utf8');
}

async function main() {
  const select = await connect();
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  if (mode === 'yoga') {
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { secret(name: String!): Secret }  type Secret { name: String!  value: String! }',
        resolvers: {
          Query: { secret: (_: unknown, { name }: { name: string }) => ({ name }) },
          Secret: { value: async ({ name }: { name: string }) => reveal(select, name) },
        },
      }),
      logging: false,
      landingPage: false,
      graphiql: false,
    });
    handler = (req, res) => {
      if (req.url === '/healthz') return void res.end('ok');
      void yoga(req, res);
    };
  } else {
    handler = (req, res) => {
      if (req.url === '/healthz') return void res.end('ok');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables?: { name?: string } };
            const value = await reveal(select, String(body.variables?.name ?? ''));
            const json = JSON.stringify({ data: { secret: value === null ? null : { value } } });
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
            res.end(json);
          } catch (error) {
            res.writeHead(500);
            res.end(String(error));
          }
        })();
      });
    };
  }
  const server = createServer(handler);
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
