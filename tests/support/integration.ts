/**
 * Helpers for the integration suite (tests/integration): a settable clock, GraphQL documents
 * for every mutation with all of its error members, and a recorder that remembers every secret
 * value and token a test sent or received so a test can prove none of them reached a log line.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseKind } from './databases';
import { startTestApp, type TestApp, type TestAppOptions, useStarted } from './test-app';

export { TestClock } from './test-clock';

export const DAY_MS = 24 * 60 * 60 * 1000;

export const ALL_SCOPES = ['secrets:read', 'secrets:reveal', 'secrets:write', 'tasks:run', 'audit:read', 'keys:manage'] as const;

/** Strings shorter than this are too common to look for in logs or database files. */
const MIN_SENSITIVE_LENGTH = 8;

export interface Recorded extends TestApp {
  /** Every secret value and token seen in a request or a response, plus the admin token. */
  readonly sensitive: Set<string>;
}

/**
 * startTestApp, plus recording of every `value` and `token` that crosses the API (requests'
 * variables and responses' bodies), whatever the test does with them.
 */
export async function startRecordedApp(kind: DatabaseKind, options: TestAppOptions = {}): Promise<Recorded> {
  const t = await startTestApp(kind, options);
  return record(t);
}

/** useTestApp for a recorded app: started in beforeAll, closed in afterAll. */
export function useRecordedApp(kind: DatabaseKind, options: TestAppOptions | (() => TestAppOptions) = {}): Recorded {
  return useStarted(() => startRecordedApp(kind, typeof options === 'function' ? options() : options));
}

export function record(t: TestApp, sensitive = new Set<string>()): Recorded {
  sensitive.add(t.adminToken);
  const graphql: TestApp['graphql'] = async (token, query, variables) => {
    if (token) sensitive.add(token);
    collect(variables, sensitive);
    const response = await t.graphql(token, query, variables);
    collect(response.body, sensitive);
    return response;
  };
  return {
    app: t.app,
    db: t.db,
    keyBackend: t.keyBackend,
    adminToken: t.adminToken,
    logs: t.logs,
    sensitive,
    request: t.request,
    graphql,
    async createDeveloper(name) {
      const dev = await t.createDeveloper(name);
      sensitive.add(dev.token);
      return dev;
    },
    close: () => t.close(),
  };
}

function collect(node: unknown, into: Set<string>, key?: string): void {
  if (typeof node === 'string') {
    if ((key === 'value' || key === 'token') && node.length >= MIN_SENSITIVE_LENGTH) into.add(node);
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) collect(item, into, key);
    return;
  }
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) collect(v, into, k);
  }
}

/** The sensitive strings found in `haystack` (values are shown shortened). */
export function leaksIn(haystack: string | Buffer, sensitive: Iterable<string>): string[] {
  const found: string[] = [];
  for (const s of sensitive) {
    const hit = typeof haystack === 'string' ? haystack.includes(s) : haystack.includes(Buffer.from(s, 'utf8'));
    if (hit) found.push(s.length > 40 ? `${s.slice(0, 40)}... (${s.length} chars)` : s);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// GraphQL documents. Each mutation is aliased `r`, with every member of its result union.

export const SECRET_FIELDS = 'id name description metadata version createdAt updatedAt deletedAt purgeAt';

const ERROR = '... on Error { __typename code message } ... on ValidationError { field }';

export const CREATE_SECRET = `mutation($input: CreateSecretInput!) { r: createSecret(input: $input) {
  __typename ... on CreateSecretPayload { secret { ${SECRET_FIELDS} } } ${ERROR} ... on NameTakenError { name } } }`;

export const UPDATE_SECRET = `mutation($input: UpdateSecretInput!) { r: updateSecret(input: $input) {
  __typename ... on UpdateSecretPayload { secret { ${SECRET_FIELDS} } } ${ERROR}
  ... on VersionConflictError { expectedVersion currentVersion } } }`;

export const DELETE_SECRET = `mutation($input: DeleteSecretInput!) { r: deleteSecret(input: $input) {
  __typename ... on DeleteSecretPayload { secret { ${SECRET_FIELDS} } } ${ERROR} } }`;

export const RESTORE_SECRET = `mutation($input: RestoreSecretInput!) { r: restoreSecret(input: $input) {
  __typename ... on RestoreSecretPayload { secret { ${SECRET_FIELDS} } } ${ERROR} ... on NameTakenError { name } } }`;

/** docs/api.md names it; the document is written to the contract's input. */
export const ROLLBACK_SECRET = `mutation($input: RollbackSecretInput!) { r: rollbackSecret(input: $input) {
  __typename ... on RollbackSecretPayload { secret { ${SECRET_FIELDS} } } ${ERROR}
  ... on VersionConflictError { expectedVersion currentVersion } } }`;

export const CREATE_API_KEY = `mutation($input: CreateApiKeyInput!) { r: createApiKey(input: $input) {
  __typename ... on CreateApiKeyPayload { apiKey { id token apiKey { id name prefix scopes createdAt expiresAt revokedAt } } } ${ERROR} } }`;

export const REVOKE_API_KEY = `mutation($input: RevokeApiKeyInput!) { r: revokeApiKey(input: $input) {
  __typename ... on RevokeApiKeyPayload { apiKey { id name prefix scopes revokedAt } } ${ERROR} } }`;

export const CREATE_DEVELOPER = `mutation($input: CreateDeveloperInput!) { r: createDeveloper(input: $input) {
  __typename ... on CreateDeveloperPayload { developer { id name createdAt } apiKey { id token apiKey { scopes } } } ${ERROR} ... on NameTakenError { name } } }`;

type Gql = Pick<TestApp, 'graphql'>;

/** Runs one of the documents above; fails the test on any top-level GraphQL error. */
export async function mutate(t: Gql, token: string | null, document: string, input: Record<string, unknown>): Promise<any> {
  const { status, body } = await t.graphql(token, document, { input });
  if (status !== 200 || body.errors) throw new Error(`unexpected top-level result (${status}): ${JSON.stringify(body)}`);
  return body.data.r;
}

/** Runs a query and returns `data`; fails the test on any top-level error. */
export async function query(t: Gql, token: string | null, document: string, variables?: Record<string, unknown>): Promise<any> {
  const { status, body } = await t.graphql(token, document, variables);
  if (status !== 200 || body.errors) throw new Error(`unexpected errors (${status}): ${JSON.stringify(body)}`);
  return body.data;
}

export async function createSecret(t: Gql, token: string, input: Record<string, unknown>): Promise<any> {
  const r = await mutate(t, token, CREATE_SECRET, input);
  if (r.__typename !== 'CreateSecretPayload') throw new Error(`createSecret failed: ${JSON.stringify(r)}`);
  return r.secret;
}

export async function updateSecret(t: Gql, token: string, input: Record<string, unknown>): Promise<any> {
  const r = await mutate(t, token, UPDATE_SECRET, input);
  if (r.__typename !== 'UpdateSecretPayload') throw new Error(`updateSecret failed: ${JSON.stringify(r)}`);
  return r.secret;
}

export async function createApiKey(t: Gql, token: string, input: Record<string, unknown>): Promise<{ id: string; token: string; scopes: string[] }> {
  const r = await mutate(t, token, CREATE_API_KEY, input);
  if (r.__typename !== 'CreateApiKeyPayload') throw new Error(`createApiKey failed: ${JSON.stringify(r)}`);
  return { id: r.apiKey.id, token: r.apiKey.token, scopes: r.apiKey.apiKey.scopes };
}

/** The current value, or throws with the response (for tests that expect success). */
export async function reveal(t: Gql, token: string, name: string): Promise<string | null> {
  const data = await query(t, token, 'query($name: String!) { secret(name: $name) { value } }', { name });
  return data.secret ? data.secret.value : null;
}

/** Names of the caller's secrets matching a filter (all pages). */
export async function listNames(t: Gql, token: string, filter?: Record<string, unknown>): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: any = await query(
      t,
      token,
      `query($after: String, $filter: SecretFilter) { secrets(first: 100, after: $after, filter: $filter) {
        edges { node { name } } pageInfo { hasNextPage endCursor } } }`,
      { after, filter },
    );
    names.push(...data.secrets.edges.map((e: any) => e.node.name));
    if (!data.secrets.pageInfo.hasNextPage) return names;
    after = data.secrets.pageInfo.endCursor;
  }
}

/**
 * A response body with every occurrence of the given strings replaced by placeholders, so two
 * responses about different names (or ids) can be compared for "tells nothing apart".
 */
export function normalized(body: unknown, replacements: Record<string, string>): string {
  let text = JSON.stringify(body);
  // Longest first, so a name that contains another is replaced whole.
  for (const [from, to] of Object.entries(replacements).sort(([a], [b]) => b.length - a.length)) {
    text = text.split(from).join(to);
  }
  return text;
}

/** A well-formed Relay global id for the same type as `globalId`, pointing at no row. */
export function unknownGlobalIdLike(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new Error(`not a type:id global id: ${decoded}`);
  return Buffer.from(`${decoded.slice(0, colon)}:${randomUUID()}`, 'utf8').toString('base64');
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
