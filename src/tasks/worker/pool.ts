import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ResolvedAddress } from '../network/guarded-fetch';
import type { RevealedSecret, TaskErrorCode, TaskRunResult } from '../runner';
import type { FromWorker, HostCall, RunJob, ToWorker, WorkerSettings } from './protocol';

/**
 * Runs tasks on a small pool of worker threads, so nothing a task does (a CPU-bound
 * expression, a huge value, a slow upstream) runs on the server's event loop. Each run has
 * a worker to itself, with three hard limits the task cannot argue with: a heap limit
 * (`resourceLimits`; exceeding it kills the worker: TASK_MEMORY_LIMIT), a wall-clock limit
 * (the worker is terminated: TASK_TIME_LIMIT) and the output caps the runner applies inside
 * the worker (TASK_OUTPUT_LIMIT). A killed worker is replaced on demand.
 *
 * Hand-written rather than piscina: a run needs a two-way conversation with the server
 * (secret lookups, audit, logs) on the worker's port, and a terminated worker must become a
 * typed result, not a rejected promise; the pool itself is a semaphore and an idle list.
 */

export interface TaskPoolOptions {
  /** Workers running at once; further runs wait their turn. */
  readonly size: number;
  /** Heap limit of a worker (old generation), in MiB. */
  readonly memoryMb: number;
  /** Hard wall-clock limit per run, in ms, from the moment a worker takes it. */
  readonly hardTimeoutMs: number;
  readonly settings: WorkerSettings;
}

/** What a run may ask the server for; each call is scoped to the caller by the TaskService. */
export interface RunHost {
  exists(names: string[]): Promise<Iterable<string>>;
  reveal(names: string[]): Promise<Map<string, RevealedSecret>>;
  denied(secret: string, host: string): Promise<void>;
  resolve?(hostname: string): Promise<readonly ResolvedAddress[]>;
  log(level: 'debug' | 'info' | 'warn', fields: Record<string, unknown>, message: string): void;
  /** True for domain errors whose message may be shown to the caller (never a value). */
  isExpected(error: unknown): boolean;
}

// The worker loads the engine from source under tsx when the server runs from source (npm
// start, jest), and from dist/ when built: the entry has this module's own extension.
const ENTRY = join(__dirname, `task-worker${extname(__filename)}`);
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('tsx/cjs');
require(workerData.entry);
`;

export class TaskWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly ready = new WeakMap<Worker, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private readonly all = new Set<Worker>();
  private running = 0;
  private closed = false;

  constructor(private readonly options: TaskPoolOptions) {}

  async run(job: RunJob, host: RunHost): Promise<TaskRunResult> {
    if (this.closed) throw new Error('the task pool is closed');
    await this.slot();
    try {
      const worker = this.idle.pop() ?? this.spawn();
      await this.ready.get(worker);
      return await this.runOn(worker, job, host);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private slot(): Promise<void> {
    if (this.running < this.options.size) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  private spawn(): Worker {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry: ENTRY, settings: this.options.settings },
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb, maxYoungGenerationSizeMb: Math.max(8, Math.ceil(this.options.memoryMb / 8)) },
      // Workers never keep the process alive: the server's listener does that.
      stdout: false,
      stderr: false,
    });
    worker.unref();
    this.all.add(worker);
    // A worker that dies while idle is forgotten, not handed the next run.
    worker.once('exit', () => {
      this.all.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.ready.set(
      worker,
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: FromWorker) => {
          if (m.type !== 'ready') return;
          worker.off('message', onMessage);
          worker.off('error', onFail);
          resolve();
        };
        const onFail = (error: Error) => {
          worker.off('message', onMessage);
          this.discard(worker);
          reject(error);
        };
        worker.on('message', onMessage);
        worker.once('error', onFail);
      }),
    );
    return worker;
  }

  private discard(worker: Worker): void {
    this.all.delete(worker);
    void worker.terminate();
  }

  private release(worker: Worker): void {
    if (this.closed || !this.all.has(worker)) return;
    this.idle.push(worker);
  }

  private runOn(worker: Worker, job: RunJob, host: RunHost): Promise<TaskRunResult> {
    const revealed = new Set<string>();
    let hostError: unknown;
    return new Promise<TaskRunResult>((resolve, reject) => {
      let settled = false;
      const finish = (keep: boolean, outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (keep) this.release(worker);
        else this.discard(worker);
        outcome();
      };
      const limited = (code: TaskErrorCode, error: string): TaskRunResult => ({
        status: 'FAILED',
        steps: [],
        usedSecrets: [...revealed],
        error,
        errorCode: code,
        problems: [],
      });
      const reply = (message: ToWorker) => {
        if (!settled) worker.postMessage(message);
      };
      const answer = (id: number, c: HostCall): void => {
        const work = (async (): Promise<unknown> => {
          switch (c.op) {
            case 'exists':
              return [...(await host.exists(c.names))];
            case 'reveal': {
              const found = await host.reveal(c.names);
              for (const name of found.keys()) revealed.add(name);
              return [...found];
            }
            case 'denied':
              return host.denied(c.secret, c.host);
            case 'resolve':
              if (host.resolve === undefined) throw new Error('no resolver');
              return host.resolve(c.hostname);
          }
        })();
        work.then(
          (value) => reply({ type: 'reply', id, ok: true, value }),
          (error: unknown) => {
            const expected = host.isExpected(error);
            if (!expected) hostError = error;
            reply({ type: 'reply', id, ok: false, expected, message: expected ? (error as Error).message : 'the server could not answer' });
          },
        );
      };
      const onMessage = (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            return;
          case 'call':
            return answer(message.id, message.call);
          case 'log':
            return host.log(message.level, message.fields, message.message);
          case 'done':
            return finish(true, () => resolve(message.result));
          case 'refused':
            return finish(true, () => resolve(limited('TASK_STEP_FAILED', message.message)));
          case 'crashed':
            return finish(true, () => reject(hostError ?? new Error(`the task worker failed (${message.message})`)));
        }
      };
      const onError = (error: Error & { code?: string }) => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          finish(false, () => resolve(limited('TASK_MEMORY_LIMIT', `the run needed more than its memory limit of ${this.options.memoryMb} MiB and was stopped`)));
        } else finish(false, () => reject(error));
      };
      const onExit = (code: number) => finish(false, () => reject(new Error(`the task worker exited with code ${code}`)));
      const timer = setTimeout(
        () => finish(false, () => resolve(limited('TASK_TIME_LIMIT', `the run exceeded its hard time limit of ${this.options.hardTimeoutMs} ms and was stopped`))),
        this.options.hardTimeoutMs,
      );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'run', job } satisfies ToWorker);
    });
  }
}
