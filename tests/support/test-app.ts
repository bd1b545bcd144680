import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases';

/** A fully wired app (real database, real key provider) driven over HTTP with yoga.fetch. */
export interface TestApp {
  readonly app: App;
  readonly db: TestDatabase;
  readonly adminToken: string;
  /** Every log line the app wrote, for "no value in the log" assertions. */
  readonly logs: string[];
  /** POST /graphql with a bearer token; returns status and parsed body. */
  graphql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: T; headers: Headers }>;
  /** Creates a developer via the admin token and returns its id and full-scope API key. */
  createDeveloper(name?: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly env?: Record<string, string>;
  readonly clock?: Clock;
  /** Reuse an existing database (e.g. to restart an app on the same data). */
  readonly database?: TestDatabase;
}

export async function startTestApp(kind: DatabaseKind, options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase(kind));
  const adminToken = `lsa_test_${randomBytes(24).toString('hex')}`;
  const base = loadConfig({
    NODE_ENV: 'test',
    LOCKSMITH_DATA_DIR: db.dataDir,
    LOCKSMITH_ADMIN_TOKEN: adminToken,
    LOCKSMITH_LOG_LEVEL: 'debug',
    ...options.env,
  });
  const config: Config = { ...base, database: db.config };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await createApp(config, { logger: createLogger('debug', sink), clock: options.clock });

  const graphql: TestApp['graphql'] = async (token, query, variables) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await app.yoga.fetch('http://locksmith.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any, headers: response.headers };
  };

  return {
    app,
    db,
    adminToken,
    logs,
    graphql,
    async createDeveloper(name = 'dev') {
      const { body } = await graphql(
        adminToken,
        `mutation($name: String!) { createDeveloper(input: { name: $name }) {
          __typename ... on CreateDeveloperPayload { developer { id } apiKey { token } } ... on Error { message } } }`,
        { name },
      );
      const result = body.data?.createDeveloper;
      if (result?.__typename !== 'CreateDeveloperPayload') throw new Error(`createDeveloper failed: ${JSON.stringify(body)}`);
      return { id: result.developer.id, token: result.apiKey.token };
    },
    async close() {
      await app.close();
      if (!options.database) await db.drop();
    },
  };
}
