import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases';
import { type BackendOptions, type KeyProviderBackend, startKeyProviderBackend, type TestKeyProviderKind, testKeyProvider } from './key-provider-backends';

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
  /** Any request to the app (yoga.fetch, no socket): status, headers, the body as text and as JSON when it is JSON. */
  request(path: string, init?: RequestInit, serverContext?: object): Promise<Answer>;
  /** POST /graphql with a bearer token; returns status and parsed body. */
  graphql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: T; headers: Headers }>;
  /** Creates a developer via the admin token and returns its id and full-scope API key. */
  createDeveloper(name?: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or the text when it is not JSON. */
  readonly body: any;
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
  /** How the app's client talks to that backend (timeout, attempts), e.g. to see an outage at once. */
  readonly keyProviderOptions?: BackendOptions;
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

function backendFor(db: TestDatabase, kind: TestKeyProviderKind, options?: BackendOptions): Promise<KeyProviderBackend> {
  let backend = backends.get(db.location);
  if (!backend) {
    backend = startKeyProviderBackend(kind, options);
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
  const db = options.database ?? (await createTestDatabase(kind, { migrated: true }));
  const adminToken = `lsa_test_${randomBytes(24).toString('hex')}`;
  const pinned = PROVIDER_CHOICE.some((name) => options.env?.[name] !== undefined);
  const keyBackend = pinned ? undefined : await backendFor(db, options.keyProvider ?? testKeyProvider(), options.keyProviderOptions);
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

  const request: TestApp['request'] = async (path, init, serverContext) => {
    const response = await app.yoga.fetch(`http://locksmith.test${path}`, init ?? {}, serverContext as never);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the text is the body
    }
    return { status: response.status, headers: response.headers, text, body };
  };

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
    request,
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

/**
 * The app a describe block (or a file) shares: started in beforeAll, closed in afterAll. The
 * object returned stands for that app from beforeAll on: use it inside tests and hooks. Options
 * that depend on something made in an earlier beforeAll (a database, a key backend) are given as
 * a function, called when the app starts.
 */
export function useTestApp(kind: DatabaseKind, options: TestAppOptions | (() => TestAppOptions) = {}): TestApp {
  return useStarted(() => startTestApp(kind, typeof options === 'function' ? options() : options));
}

/**
 * A database of the describe block's own, for apps started and restarted on the same data:
 * created in beforeAll, dropped in afterAll. `make` picks another kind of database (default: a
 * migrated copy of the template, as startTestApp makes; an empty one for migration tests).
 */
export function useTestDatabase(kind: DatabaseKind, make: () => Promise<TestDatabase> = () => createTestDatabase(kind, { migrated: true })): TestDatabase {
  return useStarted(make, (db) => db.drop());
}

/** What useStarted started and has not stopped yet, in the order it started them. */
const running: Array<{ stop(): Promise<void> }> = [];

/**
 * Something started in beforeAll and stopped in afterAll (by its close(), or by `stop`); the
 * object returned stands for it. jest runs a block's afterAll hooks in the order they were
 * declared, but what started later may stand on what started earlier (an app on a database), so
 * each hook first stops whatever started after its own thing and is still running, newest first.
 */
export function useStarted<T extends { close(): Promise<void> }>(start: () => Promise<T>): T;
export function useStarted<T extends object>(start: () => Promise<T>, stop: (value: T) => Promise<void>): T;
export function useStarted<T extends object>(start: () => Promise<T>, stop = (value: T) => (value as unknown as { close(): Promise<void> }).close()): T {
  let current: T | undefined;
  let entry: { stop(): Promise<void> } | undefined;
  beforeAll(async () => {
    const value = await start();
    current = value;
    entry = {
      stop: async () => {
        current = undefined;
        await stop(value);
      },
    };
    running.push(entry);
  });
  afterAll(async () => {
    const at = entry ? running.indexOf(entry) : -1;
    if (at < 0) return;
    const errors: unknown[] = [];
    for (const later of running.splice(at).reverse()) await later.stop().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  });
  return lateBound(() => current);
}

/** A developer (id and full-scope API key) created in beforeAll on an app from useTestApp. */
export function useDeveloper(t: Pick<TestApp, 'createDeveloper'>, name?: string): { readonly id: string; readonly token: string } {
  let current: { id: string; token: string } | undefined;
  beforeAll(async () => {
    current = await t.createDeveloper(name);
  });
  return lateBound(() => current);
}

/** Runs `fn` with an app of its own, closed afterwards whatever happens. */
export async function withTestApp<R>(kind: DatabaseKind, options: TestAppOptions, fn: (t: TestApp) => Promise<R>): Promise<R> {
  const t = await startTestApp(kind, options);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

/** A stand-in for an object that exists only once a beforeAll hook has made it. */
function lateBound<T extends object>(get: () => T | undefined): T {
  const target = (): T => {
    const value = get();
    if (!value) throw new Error('used outside the tests: this is made in beforeAll (and gone after afterAll)');
    return value;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(target(), key),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
