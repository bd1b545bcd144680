import { parentPort, workerData } from 'node:worker_threads';
import { AddressPolicy, parseNetworks } from '../network/address-policy';
import { createGuardedFetch, type Resolver } from '../network/guarded-fetch';
import { hostMatcher } from '../network/host-patterns';
import { runTask, type RevealedSecret, type TaskLogger } from '../runner';
import type { FromWorker, HostCall, RunJob, ToWorker, WorkerSettings } from './protocol';

/**
 * A task worker: runs one task at a time, off the server's event loop, under the heap limit
 * the pool gave it. The pool terminates it when a run overruns its wall-clock limit, so a
 * runaway expression costs one worker, never the server.
 */

const port = parentPort;
if (port === null) throw new Error('task-worker must run in a worker thread');
const settings = workerData.settings as WorkerSettings;

class HostRefusal extends Error {
  override readonly name = 'HostRefusal';
}

let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const send = (message: FromWorker) => port.postMessage(message);

function call<T>(c: HostCall): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    send({ type: 'call', id, call: c });
  });
}

const resolve: Resolver | undefined = settings.resolveViaHost ? (hostname) => call({ op: 'resolve', hostname }) : undefined;
const fetchImpl = createGuardedFetch({ addresses: new AddressPolicy(parseNetworks(settings.allowedNetworks)), resolve }) as typeof fetch;
const matchesAllowed = hostMatcher(settings.allowedHosts);
const allowUrl = (url: URL) => (url.protocol === 'http:' || url.protocol === 'https:') && (settings.allowedHosts.length === 0 || matchesAllowed(url.hostname));

const logger: TaskLogger = {
  debug: (fields, message) => send({ type: 'log', level: 'debug', fields, message }),
  info: (fields, message) => send({ type: 'log', level: 'info', fields, message }),
  warn: (fields, message) => send({ type: 'log', level: 'warn', fields, message }),
};

async function run(job: RunJob): Promise<void> {
  try {
    const result = await runTask(job.doc, job.input, {
      secrets: {
        exists: async (names) => new Set(await call<string[]>({ op: 'exists', names })),
        reveal: async (names) => new Map(await call<[string, RevealedSecret][]>({ op: 'reveal', names })),
      },
      fetch: fetchImpl,
      llm: settings.llm,
      limits: settings.limits,
      logger,
      allowUrl,
      onSecretDenied: (secret, host) => call<void>({ op: 'denied', secret, host }),
    });
    send({ type: 'done', result });
  } catch (err) {
    if (err instanceof HostRefusal) send({ type: 'refused', message: err.message });
    else send({ type: 'crashed', message: err instanceof Error ? err.name : 'error' });
  }
}

send({ type: 'ready' });

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    void run(message.job);
    return;
  }
  const waiter = pending.get(message.id);
  if (waiter === undefined) return;
  pending.delete(message.id);
  if (message.ok) waiter.resolve(message.value);
  else waiter.reject(message.expected ? new HostRefusal(message.message) : new Error(message.message));
});
