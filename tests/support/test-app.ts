import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases';
import { type KeyProviderBackend, startKeyProviderBackend, type TestKeyProviderKind, testKeyProvider } from './key-provider-backends';

/** A fully wired app (real database, real key provider) driven over HTTP with yoga.fetch. */
export interface TestApp {
  readonly app: App;
  readonly db: TestDatabase;
  /**
   * What the app's key provider talks to (a loopback fake KMS/Vault, or nothing for local), or
   * undefined when the test chose the provider itself through `env`.
   */
  readonly keyBackend?: KeyProviderBackend;
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
  /** Headers development GraphiQL would embed (the dev server passes the default key). */
  readonly graphiqlHeaders?: () => Record<string, string>;
  /** Key provider backend to start; default LOCKSMITH_TEST_KEY_PROVIDER (else local). */
  readonly keyProvider?: TestKeyProviderKind;
}

/**
 * Settings with which a test picks its key provider itself (a local keyring it rotates, a fake
 * it controls); the harness then starts no backend of its own.
 */
const PROVIDER_CHOICE = ['LOCKSMITH_KEY_PROVIDER', 'LOCKSMITH_MASTER_KEYS', 'LOCKSMITH_MASTER_KEY_FILE'];

/**
 * One backend per database, so an app restarted on the same data finds the same root keys.
 * Backends of databases a test passed in live until the end of the test file.
 */
const backends = new Map<string, Promise<KeyProviderBackend>>();

function backendFor(db: TestDatabase, kind: TestKeyProviderKind): Promise<KeyProviderBackend> {
  let backend = backends.get(db.location);
  if (!backend) {
    backend = startKeyProviderBackend(kind);
    backends.set(db.location, backend);
  }
  return backend;
}

async function releaseBackend(db: TestDatabase): Promise<void> {
  const backend = backends.get(db.location);
  backends.delete(db.location);
  if (backend) await (await backend).close();
}

if (typeof afterAll === 'function') {
  afterAll(async () => {
    const all = [...backends.values()];
    backends.clear();
    await Promise.allSettled(all.map(async (b) => (await b).close()));
  });
}

export async function startTestApp(kind: DatabaseKind, options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase(kind));
  const adminToken = `lsa_test_${randomBytes(24).toString('hex')}`;
  const pinned = PROVIDER_CHOICE.some((name) => options.env?.[name] !== undefined);
  const keyBackend = pinned ? undefined : await backendFor(db, options.keyProvider ?? testKeyProvider());
  const base = loadConfig({
    NODE_ENV: 'test',
    LOCKSMITH_DATA_DIR: db.dataDir,
    LOCKSMITH_ADMIN_TOKEN: adminToken,
    LOCKSMITH_LOG_LEVEL: 'debug',
    // Task tests talk to loopback fakes; tests of the network policy pass '' to switch it off.
    LOCKSMITH_TASK_ALLOWED_NETWORKS: '127.0.0.0/8',
    ...keyBackend?.env,
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
  let app: App;
  try {
    app = await createApp(config, { logger: createLogger('debug', sink), clock: options.clock, graphiqlHeaders: options.graphiqlHeaders });
  } catch (error) {
    if (!options.database) {
      await releaseBackend(db);
      await db.drop();
    }
    throw error;
  }

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

  // Developer names are unique: a name asked for again gets a counter ("dev", "dev 2", ...).
  const namesUsed = new Map<string, number>();
  return {
    app,
    db,
    keyBackend,
    adminToken,
    logs,
    graphql,
    async createDeveloper(asked = 'dev') {
      const n = (namesUsed.get(asked) ?? 0) + 1;
      namesUsed.set(asked, n);
      const name = n === 1 ? asked : `${asked} ${n}`;
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
      if (!options.database) {
        await releaseBackend(db);
        await db.drop();
      }
    },
  };
}
