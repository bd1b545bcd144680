/**
 * The persisted lane (src/http/persisted-lane.ts) in front of yoga: a persisted operation it
 * serves gets the answer yoga would give (status, media type, body), with the same admission
 * (rate limits, authentication), scope refusal, audit records and metrics; and everything it
 * does not serve reaches yoga unchanged and is admitted once, not twice.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import documents from '../../src/client/generated/persisted-documents.json';
import { createApiKey, createSecret } from '../support/integration';
import { type TestApp, useDeveloper, useStarted, useTestApp } from '../support/test-app';

/** The manifest hash of the typed client's operation with this name. */
function hashOf(operation: string): string {
  const entry = Object.entries(documents).find(([, text]) => new RegExp(`(query|mutation) ${operation}\\b`).test(text));
  if (!entry) throw new Error(`no persisted operation ${operation}`);
  return entry[0];
}

const persisted = (operation: string, variables: Record<string, unknown>) =>
  JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(operation) } } });

/** The app's listener on a real socket, as the server runs it. */
function useListening(t: TestApp): { readonly url: string } {
  const state = useStarted(async () => {
    const server: Server = createServer(t.app.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  });
  return { get url() { return state.url; } };
}

interface Reply {
  status: number;
  type: string | null;
  requestId: string | null;
  body: any;
}

const reply = async (response: Response): Promise<Reply> => {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (yoga's 406 has no body): compared as text
  }
  return { status: response.status, type: response.headers.get('content-type'), requestId: response.headers.get('x-request-id'), body };
};

describe('the persisted lane', () => {
  const t = useTestApp('sqlite', { env: { LOCKSMITH_RATE_LIMIT_PER_KEY: '60' } });
  const dev = useDeveloper(t, 'lane');
  const server = useListening(t);

  const headers = (token: string, accept?: string) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    ...(accept === undefined ? {} : { accept }),
  });
  const overSocket = async (token: string, body: string, accept?: string) =>
    reply(await fetch(server.url, { method: 'POST', headers: headers(token, accept), body }));
  const inProcess = async (token: string, body: string, accept?: string) =>
    reply(await t.app.yoga.fetch('http://locksmith.test/graphql', { method: 'POST', headers: headers(token, accept), body }));
  /** Runs `fn` and says how many requests the lane answered and handed to yoga meanwhile. */
  const counted = async <T>(fn: () => Promise<T>) => {
    const before = { ...t.app.persistedLane };
    const result = await fn();
    return { result, served: t.app.persistedLane.served - before.served, handedOver: t.app.persistedLane.handedOver - before.handedOver };
  };

  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'lane_one', value: 'lane-value-one', metadata: { env: 'prod' } });
  });

  it('takes a persisted document only after yoga validated it, then answers as yoga does for every Accept it serves', async () => {
    const body = persisted('GetSecret', { name: 'lane_one' });
    const first = await counted(() => overSocket(dev.token, body));
    expect(first).toMatchObject({ served: 0, handedOver: 1 });
    for (const accept of [undefined, '*/*', 'application/json', 'application/graphql-response+json, application/json']) {
      const lane = await counted(() => overSocket(dev.token, body, accept));
      expect(lane.served).toBe(1);
      const yoga = await inProcess(dev.token, body, accept);
      expect({ ...lane.result, requestId: undefined }).toEqual({ ...yoga, requestId: undefined });
      expect(lane.result.body.data.secret).toMatchObject({ name: 'lane_one', metadata: { env: 'prod' } });
      expect(lane.result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    // A media type the lane does not list is yoga's to answer, and so are Accept headers named
    // like an object's properties.
    for (const accept of ['application/graphql-response+json', 'constructor', '__proto__', 'toString']) {
      const other = await counted(() => overSocket(dev.token, body, accept));
      expect(other.served).toBe(0);
      const yoga = await inProcess(dev.token, body, accept);
      expect({ ...other.result, requestId: undefined }).toEqual({ ...yoga, requestId: undefined });
    }
  });

  it('reveals with an audit record per reveal, carrying the request id it answered with', async () => {
    const body = persisted('RevealSecret', { name: 'lane_one' });
    await overSocket(dev.token, body); // validated by yoga first
    const { result, served } = await counted(() => overSocket(dev.token, body));
    expect(served).toBe(1);
    expect(result.status).toBe(200);
    expect(result.body.data.secret.value).toBe('lane-value-one');
    const { body: audit } = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["secret.reveal"] }) { edges { node { requestId secretName } } } }');
    expect(audit.data.auditEvents.edges.map((e: { node: { requestId: string } }) => e.node.requestId)).toContain(result.requestId);
  });

  it('refuses an operation the key lacks a scope for before running it, 403 and audited, as yoga does', async () => {
    const readOnly = await createApiKey(t, dev.token, { name: 'lane-read', scopes: ['secrets:read'] });
    const body = persisted('RevealSecret', { name: 'lane_one' });
    const lane = await counted(() => overSocket(readOnly.token, body));
    expect(lane.served).toBe(1);
    expect(lane.result.status).toBe(403);
    expect(JSON.stringify(lane.result.body)).not.toContain('lane-value-one');
    const yoga = await inProcess(readOnly.token, body);
    expect({ ...lane.result, requestId: undefined }).toEqual({ ...yoga, requestId: undefined });
    const { body: audit } = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["auth.denied"] }) { edges { node { requestId } } } }');
    expect(audit.data.auditEvents.edges.map((e: { node: { requestId: string } }) => e.node.requestId)).toContain(lane.result.requestId);
  });

  it('runs persisted mutations: a create, then the typed error member for its name taken', async () => {
    const body = persisted('CreateSecret', { input: { name: 'lane_created', value: 'lane-created-value' } });
    const created = await overSocket(dev.token, body);
    expect(created.body.data.createSecret).toMatchObject({ __typename: 'CreateSecretPayload', secret: { name: 'lane_created', version: 1 } });
    const taken = await counted(() => overSocket(dev.token, body));
    expect(taken.served).toBe(1);
    expect(taken.result.body.data.createSecret).toMatchObject({ __typename: 'NameTakenError', code: 'NAME_TAKEN' });
  });

  it('hands variables that do not coerce to yoga, which words the error', async () => {
    const body = persisted('GetSecret', { name: 7 });
    const { result, served, handedOver } = await counted(() => overSocket(dev.token, body));
    expect({ served, handedOver }).toEqual({ served: 0, handedOver: 1 });
    const yoga = await inProcess(dev.token, body);
    expect({ ...result, requestId: undefined }).toEqual({ ...yoga, requestId: undefined });
    expect(result.body.errors[0].message).toMatch(/String cannot represent a non string value/);
  });

  it('leaves query texts, unknown hashes, batches and bodies that are not JSON to yoga', async () => {
    const unknownHash = JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: `sha256:${'0'.repeat(64)}` } } });
    for (const body of ['{ "query": "{ me { id } }" }', unknownHash, `[${persisted('GetSecret', { name: 'lane_one' })}]`, '{ not json']) {
      const { result, served } = await counted(() => overSocket(dev.token, body));
      expect(served).toBe(0);
      const yoga = await inProcess(dev.token, body);
      expect({ status: result.status, body: result.body }).toEqual({ status: yoga.status, body: yoga.body });
    }
  });

  it('refuses a missing or unknown token 401 before reading the body', async () => {
    const { result, served, handedOver } = await counted(() => overSocket('lsk_not_a_key', persisted('GetSecret', { name: 'lane_one' })));
    expect(result.status).toBe(401);
    expect(result.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect({ served, handedOver }).toEqual({ served: 0, handedOver: 0 });
  });

  it('admits a request it hands to yoga once: the per-key budget counts it once', async () => {
    // A key of its own, with the whole per-key budget (60) ahead of it. Every request below is
    // read by the lane and handed to yoga (an unknown hash); were each admitted twice, the budget
    // would run out after 30.
    const key = await createApiKey(t, dev.token, { name: 'lane-budget', scopes: ['secrets:read'] });
    const unknownHash = JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: `sha256:${'1'.repeat(64)}` } } });
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await overSocket(key.token, unknownHash)).status);
    expect(statuses.slice(0, 60).every((s) => s !== 429)).toBe(true);
    expect(statuses[60]).toBe(429);
  });
});
