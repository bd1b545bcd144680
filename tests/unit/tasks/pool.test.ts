import { TaskWorkerPool, type RunHost } from '../../../src/tasks/worker/pool';
import { startFakeHttp, type FakeHttp } from '../../support/fake-http';

/**
 * The worker pool's hard limits: a run that overruns its wall clock or its heap is stopped
 * (the worker is terminated) and comes back as a typed result; the pool then serves the next
 * run on a fresh worker. Codes are asserted, never durations.
 */

let fake: FakeHttp;
beforeAll(async () => {
  fake = await startFakeHttp();
});
afterAll(() => fake.close());

const host = (secrets: Record<string, string> = {}): RunHost & { logs: string[] } => {
  const logs: string[] = [];
  return {
    logs,
    exists: async (names) => names.filter((n) => n in secrets),
    reveal: async (names) => new Map(names.filter((n) => n in secrets).map((n) => [n, secrets[n]!])),
    denied: async () => undefined,
    log: (level, fields, message) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`),
    isExpected: () => false,
  };
};

function pool(options: { hardTimeoutMs?: number; memoryMb?: number; limits?: Record<string, number> } = {}): TaskWorkerPool {
  return new TaskWorkerPool({
    size: 1,
    memoryMb: options.memoryMb ?? 64,
    hardTimeoutMs: options.hardTimeoutMs ?? 60_000,
    settings: { llm: {}, limits: options.limits ?? {}, allowedHosts: [], allowedNetworks: ['127.0.0.0/8'], resolveViaHost: false },
  });
}

describe('task worker pool', () => {
  it('runs a task with the secrets the host reveals, and logs through the host', async () => {
    const p = pool();
    try {
      const h = host({ k: 'pool-secret-value-0123456789' });
      const result = await p.run({ doc: { main: [{ evaluate: { v: '$ secrets.k', n: '$ inputs.n * 2' } }] }, input: { n: 21 } }, h);
      expect(result).toMatchObject({ status: 'SUCCEEDED', usedSecrets: ['k'], steps: [{ output: { v: '[secret:k]', n: 42 } }] });
      expect(h.logs.join('\n')).toContain('task step succeeded');
    } finally {
      await p.close();
    }
  });

  it('terminates a run past its hard wall-clock limit: TASK_TIME_LIMIT, and the next run gets a fresh worker', async () => {
    fake.on('GET', '/stall', { delayMs: 30_000, body: 'late' });
    const p = pool({ hardTimeoutMs: 1_500, limits: { stepTimeoutMs: 60_000, totalTimeoutMs: 60_000 } });
    try {
      const doc = { tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `${fake.url}/stall` } }], main: [{ tool: 't' }] };
      const stopped = await p.run({ doc, input: {} }, host());
      expect(stopped).toMatchObject({ status: 'FAILED', errorCode: 'TASK_TIME_LIMIT' });
      const next = await p.run({ doc: { main: [{ evaluate: { ok: '$ 1 + 1' } }] }, input: {} }, host());
      expect(next).toMatchObject({ status: 'SUCCEEDED', steps: [{ output: { ok: 2 } }] });
    } finally {
      await p.close();
    }
  });

  it('stops a run that outgrows its heap: TASK_MEMORY_LIMIT', async () => {
    const p = pool({ memoryMb: 32 });
    try {
      // 80 distinct flat 1 MB strings held at once, each within every per-expression budget.
      const evaluate = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, `$ upper('x' * 1000000 + '${i}')`]));
      const result = await p.run({ doc: { main: [{ evaluate }] }, input: {} }, host());
      expect(result).toMatchObject({ status: 'FAILED', errorCode: 'TASK_MEMORY_LIMIT' });
      const next = await p.run({ doc: { main: [{ evaluate: { ok: '$ 2 * 3' } }] }, input: {} }, host());
      expect(next.status).toBe('SUCCEEDED');
    } finally {
      await p.close();
    }
  });

  it('runs queue for a free worker rather than starting more than the pool size', async () => {
    fake.on('GET', '/slowish', { delayMs: 200, body: 'ok' });
    const p = pool();
    try {
      const doc = { tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `${fake.url}/slowish` } }], main: [{ tool: 't' }] };
      const results = await Promise.all([1, 2, 3].map(() => p.run({ doc, input: {} }, host())));
      expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    } finally {
      await p.close();
    }
  });
});
