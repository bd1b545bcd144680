/**
 * Slow clients (slowloris): a client that never finishes its headers, or its body, loses the
 * connection after the header / request timeout instead of holding a socket forever, and the
 * server keeps answering meanwhile. Asserts what happens, not when.
 */
import { connect } from 'node:net';
import { productionEnv, type ServerProcess, startServerProcess } from '../support/processes';

jest.setTimeout(60_000);

const PRODUCTION = productionEnv();
const ADMIN = PRODUCTION.LOCKSMITH_ADMIN_TOKEN;
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({
    env: {
      ...PRODUCTION,
      LOCKSMITH_HEADERS_TIMEOUT_MS: '1000',
      LOCKSMITH_REQUEST_TIMEOUT_MS: '2000',
    },
  });
});
afterAll(async () => {
  await server?.stop();
});

/** Sends `text`, then waits until the server ends the connection; resolves with what it sent. */
function stall(text: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk) => (received += String(chunk)));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

it('unfinished headers and unfinished bodies are cut off with 408', async () => {
  const [headers, body] = await Promise.all([
    stall('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n'),
    // Authenticated, so the edge lets it through and the server waits for the promised body.
    stall(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"query":`),
    (async () => expect((await fetch(`${server.url}/healthz`)).status).toBe(200))(),
  ]);
  expect(headers).toMatch(/^HTTP\/1\.1 408/);
  expect(body).toMatch(/^HTTP\/1\.1 408/);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});
