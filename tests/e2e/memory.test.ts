/**
 * Memory under large bodies, on a real production-mode server process: distinct 8 MB
 * unauthenticated queries (which once grew RSS to 4 GB and killed the process) and distinct
 * near-limit authenticated ones leave the heap within a small multiple of where it started,
 * and the server keeps answering /healthz. Measured with the process's own memory usage
 * (process.memoryUsage via /metrics), as ratios, never as absolute numbers or times.
 */
import { productionEnv, type ServerProcess, startServerProcess } from '../support/processes';

jest.setTimeout(120_000);

const PRODUCTION = productionEnv();
const ADMIN = PRODUCTION.LOCKSMITH_ADMIN_TOKEN;
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({
    env: {
      ...PRODUCTION,
      // This test sends far more refused requests than a real client would.
      LOCKSMITH_RATE_LIMIT_AUTH_FAILURES: '1000',
    },
  });
});
afterAll(async () => {
  await server?.stop();
});

const memory = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1]);
  return { heap: read('locksmith_nodejs_heap_size_used_bytes'), rss: read('locksmith_process_resident_memory_bytes') };
};

async function post(body: string, token?: string): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // the server may close the connection instead of reading a refused body
  }
}

it('large unauthenticated and authenticated bodies leave the heap bounded', async () => {
  const created = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ query: 'mutation { createDeveloper(input: { name: "mem" }) { ... on CreateDeveloperPayload { apiKey { token } } } }' }),
  });
  const token = ((await created.json()) as any).data.createDeveloper.apiKey.token as string;
  await post(JSON.stringify({ query: '{ me { id } }' }), token);
  const start = await memory();

  const unauthenticated: number[] = [];
  for (let i = 0; i < 12; i++) unauthenticated.push(await post(JSON.stringify({ query: `{ x${i} ${'a '.repeat(4 * 1024 * 1024)} }` })));
  expect(unauthenticated.every((s) => s === 401 || s === 0)).toBe(true);

  const authenticated: number[] = [];
  for (let i = 0; i < 12; i++) authenticated.push(await post(JSON.stringify({ query: `{ y${i} ${'b '.repeat(450 * 1024)} }` }), token));
  expect(authenticated.every((s) => s === 400 || s === 200)).toBe(true);
  const oversized = await post(JSON.stringify({ query: `{ z ${'c '.repeat(1024 * 1024)} }` }), token);
  expect([413, 0]).toContain(oversized);

  // Chunked bodies carry no Content-Length: GraphQL ones are counted as they stream and cut at
  // the bound; REST ones are refused (SOFA would read them whole).
  const chunked = (path: string, megabytes: number) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"query":"{ me { id } }","pad":"'));
          for (let i = 0; i < megabytes * 16; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(64 * 1024)));
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }), () => ({ status: 0, body: null }));
  const streamed = await chunked('/graphql', 3);
  if (streamed.status !== 0) {
    expect(streamed.status).toBe(413);
    expect(streamed.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'body' });
  }
  expect([411, 0]).toContain((await chunked('/api/create-secret', 1)).status);

  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  const end = await memory();
  expect(end.heap / start.heap).toBeLessThan(3);
  expect(end.rss / start.rss).toBeLessThan(3);
});
