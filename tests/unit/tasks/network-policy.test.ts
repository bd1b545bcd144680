import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { runTask } from '../../../src/tasks';
import { AddressPolicy, parseNetworks } from '../../../src/tasks/network/address-policy';
import { createGuardedFetch, systemResolver, type Resolver } from '../../../src/tasks/network/guarded-fetch';

/**
 * The SSRF table: every spelling of an inward address is refused before a socket opens.
 * The targets are raw TCP listeners that count connections (and answer any request with a
 * minimal HTTP response, so an allowed request completes); "refused" means zero connections.
 */

interface Listener {
  readonly port: number;
  connections: number;
  received: string;
  close(): Promise<void>;
}

async function listen(host: string): Promise<Listener> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, received: '' };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('data', (chunk) => {
      state.received += String(chunk);
      if (state.received.includes('\r\n\r\n')) socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 7\r\nconnection: close\r\n\r\nreached');
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get connections() {
      return state.connections;
    },
    set connections(n: number) {
      state.connections = n;
    },
    get received() {
      return state.received;
    },
    set received(s: string) {
      state.received = s;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let v4: Listener;
let v6: Listener | null;
beforeAll(async () => {
  v4 = await listen('127.0.0.1');
  v6 = await listen('::1').catch(() => null);
});
afterAll(async () => {
  await v4.close();
  await v6?.close();
});
beforeEach(() => {
  v4.connections = 0;
  v4.received = '';
  if (v6) v6.connections = 0;
});

const totalConnections = () => v4.connections + (v6?.connections ?? 0);

/** Names that exist only in the test: the attack of a public name that resolves inward. */
const fakeDns: Record<string, string[]> = {
  'rebind.attacker.example': ['127.0.0.1'],
  '127.0.0.1.trusted.example': ['127.0.0.1'],
  'metadata.attacker.example': ['169.254.169.254'],
  'mixed.attacker.example': ['93.184.215.14', '10.0.0.7'],
  'v6.attacker.example': ['::1'],
  'mapped.attacker.example': ['::ffff:127.0.0.1'],
  'api.loopback.test': ['127.0.0.1'],
};
function resolver(calls: string[] = []): Resolver {
  return async (name) => {
    calls.push(name);
    if (name === 'localhost') return systemResolver(name);
    const found = fakeDns[name];
    if (found === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

const strict = () => createGuardedFetch({ addresses: new AddressPolicy(), resolve: resolver() });

const INWARD = (port: number): string[] => [
  `http://127.0.0.1:${port}/metrics`,
  `http://localhost:${port}/`,
  `http://2130706433:${port}/`,
  `http://0x7f000001:${port}/`,
  `http://0177.0.0.1:${port}/`,
  `http://127.1:${port}/`,
  `http://0x7f.1:${port}/`,
  `http://[::1]:${port}/`,
  `http://[::ffff:127.0.0.1]:${port}/`,
  `http://[::ffff:7f00:1]:${port}/`,
  `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`,
  `http://[::7f00:1]:${port}/`,
  `http://[64:ff9b::7f00:1]:${port}/`,
  `http://0.0.0.0:${port}/`,
  `http://0:${port}/`,
  `http://[::]:${port}/`,
  `http://169.254.169.254/latest/meta-data/`,
  `http://[::ffff:169.254.169.254]/`,
  `http://10.0.0.1:${port}/`,
  `http://172.16.5.4:${port}/`,
  `http://192.168.0.1:${port}/`,
  `http://100.64.0.1:${port}/`,
  `http://[fc00::1]:${port}/`,
  `http://[fd12:3456::1]:${port}/`,
  `http://[fe80::1]:${port}/`,
  `http://224.0.0.1:${port}/`,
  `http://[ff02::1]:${port}/`,
  `http://255.255.255.255:${port}/`,
  `http://rebind.attacker.example:${port}/`,
  `http://127.0.0.1.trusted.example:${port}/`,
  `http://metadata.attacker.example/`,
  `http://mixed.attacker.example:${port}/`,
  `http://v6.attacker.example:${port}/`,
  `http://mapped.attacker.example:${port}/`,
];

describe('guarded fetch: the address policy', () => {
  it.each(INWARD(41_000))('refuses %s before connecting', async (template) => {
    const url = template.replace(':41000', `:${v4.port}`);
    const f = strict();
    await expect(f(url, { method: 'POST', body: '\r\nFLUSHALL\r\n' })).rejects.toMatchObject({ code: 'TASK_NETWORK_POLICY' });
    expect(totalConnections()).toBe(0);
    expect(v4.received).toBe('');
  });

  it('refuses every scheme but http and https', async () => {
    await expect(strict()(`ftp://127.0.0.1:${v4.port}/`)).rejects.toMatchObject({ code: 'TASK_NETWORK_POLICY' });
    await expect(strict()(`file:///etc/passwd`)).rejects.toMatchObject({ code: 'TASK_NETWORK_POLICY' });
    expect(totalConnections()).toBe(0);
  });

  it('reaches a listed network, in any spelling of its addresses', async () => {
    const f = createGuardedFetch({ addresses: new AddressPolicy(parseNetworks('127.0.0.0/8')), resolve: resolver() });
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '127.1', '[::ffff:127.0.0.1]']) {
      const res = await f(`http://${host}:${v4.port}/`);
      expect(await res.text()).toBe('reached');
    }
    expect(v4.connections).toBe(5);
    // ::1 is not in 127.0.0.0/8.
    await expect(f(`http://[::1]:${v4.port}/`)).rejects.toMatchObject({ code: 'TASK_NETWORK_POLICY' });
    expect(v4.connections).toBe(5);
  });

  it('resolves a name once and connects to the address it judged (no second lookup)', async () => {
    const calls: string[] = [];
    const f = createGuardedFetch({ addresses: new AddressPolicy(parseNetworks('127.0.0.1/32')), resolve: resolver(calls) });
    // api.loopback.test exists only in the injected resolver: reaching the listener proves
    // the socket used the judged address rather than asking the system resolver again.
    const res = await f(`http://api.loopback.test:${v4.port}/x`);
    expect(await res.text()).toBe('reached');
    expect(calls).toEqual(['api.loopback.test']);
    expect(v4.connections).toBe(1);
    expect(v4.received).toMatch(/^host: api\.loopback\.test:\d+\r$/im);
  });

  it('refuses a name when any of its addresses is refused', async () => {
    const f = createGuardedFetch({ addresses: new AddressPolicy(parseNetworks('127.0.0.0/8')), resolve: resolver() });
    await expect(f(`http://mixed.attacker.example:${v4.port}/`)).rejects.toMatchObject({ code: 'TASK_NETWORK_POLICY' });
    // A name that does not resolve is a network error, not a refusal.
    await expect(f(`http://nowhere.example/`)).rejects.toMatchObject({ code: 'ENOTFOUND', message: expect.stringContaining('nowhere.example') });
  });

  it('rejects malformed network lists', () => {
    expect(() => parseNetworks('127.0.0.0/8,banana')).toThrow(/banana/);
    expect(() => parseNetworks('10.0.0.0/33')).toThrow();
    expect(parseNetworks(' 10.0.0.0/8 , ::1/128 ')).toHaveLength(2);
  });
});

describe('runTask with the guarded fetch', () => {
  const task = (url: string, extra = '') => `
tools:
  - name: t
    type: api_call
    api_call: { method: POST, url: "${url}", body: "\\r\\nFLUSHALL\\r\\n" }
steps:
  - kind: tool_call
    tool: t
${extra}`;
  const deps = (allowed = '') => ({
    secrets: { exists: async () => new Set<string>(), reveal: async () => new Map<string, string>() },
    fetch: createGuardedFetch({ addresses: new AddressPolicy(parseNetworks(allowed)), resolve: resolver() }) as typeof fetch,
  });

  it('fails the step with a policy error and sends nothing', async () => {
    for (const host of ['2130706433', '[::ffff:127.0.0.1]', 'rebind.attacker.example']) {
      const result = await runTask(task(`http://${host}:${v4.port}/`), {}, deps());
      expect(result.status).toBe('FAILED');
      expect(result.steps[0]).toMatchObject({ status: 'FAILED', error: expect.stringContaining('network policy') });
    }
    expect(totalConnections()).toBe(0);
  });

  it('never follows a redirect inward', async () => {
    const target = await listen('127.0.0.2').catch(() => null);
    if (target === null) return; // no 127.0.0.2 on this host: the refusal above covers the rest
    const { createServer: createHttp } = await import('node:http');
    const bouncer = createHttp((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.2:${target.port}/admin` });
      res.end();
    });
    await new Promise<void>((r) => bouncer.listen(0, '127.0.0.1', r));
    try {
      const port = (bouncer.address() as AddressInfo).port;
      const result = await runTask(task(`http://127.0.0.1:${port}/`), {}, deps('127.0.0.1/32'));
      expect(result.steps[0]).toMatchObject({ status: 'FAILED', error: expect.stringContaining('not followed') });
      expect(target.connections).toBe(0);
    } finally {
      await new Promise((r) => bouncer.close(r));
      await target.close();
    }
  });
});
