import type { LlmConfig } from '../llm-providers';
import type { RevealedSecret, RunLimits, TaskRunResult } from '../runner';

/**
 * Messages between the server and a task worker. A run's secrets cross once, as the answer
 * to the worker's `reveal` call (exactly the names the task references); nothing else in a
 * run needs the database, so the worker asks the server for it over the port.
 */

/** Everything a worker needs to run tasks, fixed when it starts. */
export interface WorkerSettings {
  readonly llm: LlmConfig;
  readonly limits: Partial<RunLimits>;
  readonly allowedHosts: readonly string[];
  readonly allowedNetworks: readonly string[];
  /** Resolve names through the server (a resolver a test injected) instead of the system's. */
  readonly resolveViaHost: boolean;
}

export interface RunJob {
  readonly doc: unknown;
  readonly input: unknown;
}

export type HostCall =
  | { readonly op: 'exists'; readonly names: string[] }
  | { readonly op: 'reveal'; readonly names: string[] }
  | { readonly op: 'denied'; readonly secret: string; readonly host: string }
  | { readonly op: 'resolve'; readonly hostname: string };

export type ToWorker =
  | { readonly type: 'run'; readonly job: RunJob }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly message: string; readonly expected: boolean };

export type FromWorker =
  /** Loaded and listening: the run's clock starts when the run is handed over, not before. */
  | { readonly type: 'ready' }
  | { readonly type: 'call'; readonly id: number; readonly call: HostCall }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn'; readonly fields: Record<string, unknown>; readonly message: string }
  | { readonly type: 'done'; readonly result: TaskRunResult }
  /** A host call failed with an expected (domain) error: the run fails with this message. */
  | { readonly type: 'refused'; readonly message: string }
  /** Anything else: the server rethrows the host call's error, or reports a bug. */
  | { readonly type: 'crashed'; readonly message: string };

export type { RevealedSecret };
