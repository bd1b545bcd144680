import type { Actor } from '../auth/principal';
import { AppError } from '../errors';
import type { SecretService } from '../secrets/service';
import type { LlmConfig } from './llm-providers';
import type { Resolver } from './network/guarded-fetch';
import { DEFAULT_RUN_LIMITS, type RunLimits, type TaskLogger, type TaskRunResult } from './runner';
import { type TaskValidation, validateTask } from './validate';
import { TaskWorkerPool } from './worker/pool';

export interface TaskServiceDeps {
  readonly secrets: SecretService;
  readonly llm: LlmConfig;
  readonly limits?: Partial<RunLimits>;
  /** Hosts tool calls may reach (`api.example.com`, `*.example.com`); empty allows any public host. */
  readonly allowedHosts: readonly string[];
  /** Non-public networks (CIDRs) runs may reach anyway (LOCKSMITH_TASK_ALLOWED_NETWORKS). */
  readonly allowedNetworks: readonly string[];
  /** Name resolution for outbound calls; the system resolver unless a test injects one. */
  readonly resolve?: Resolver;
  readonly workers?: {
    /** Runs at once (each on its own worker thread). */
    readonly size?: number;
    /** Heap limit of each worker, in MiB. */
    readonly memoryMb?: number;
    /** Hard wall-clock limit per run; default the run's total time limit plus a little grace. */
    readonly hardTimeoutMs?: number;
  };
}

/**
 * Binds the task engine (a pure library) to a tenant: secret names resolve only among the
 * caller's own secrets, only the names a task references are decrypted, and each use is
 * audited. Runs happen on worker threads (see worker/pool.ts), never on the event loop that
 * serves requests; validation stays here (it is bounded by the document's own size limits).
 */
export class TaskService {
  private readonly pool: TaskWorkerPool;

  constructor(private readonly deps: TaskServiceDeps) {
    const limits = { ...DEFAULT_RUN_LIMITS, ...(deps.limits ?? {}) };
    this.pool = new TaskWorkerPool({
      size: deps.workers?.size ?? 2,
      memoryMb: deps.workers?.memoryMb ?? 128,
      hardTimeoutMs: deps.workers?.hardTimeoutMs ?? limits.totalTimeoutMs + 5_000,
      settings: {
        llm: deps.llm,
        limits,
        allowedHosts: deps.allowedHosts,
        allowedNetworks: deps.allowedNetworks,
        resolveViaHost: deps.resolve !== undefined,
      },
    });
  }

  validate(actor: Actor, task: unknown): Promise<TaskValidation> {
    return validateTask(task, { secretExists: (names) => this.deps.secrets.existingNames(actor, names), llm: this.deps.llm });
  }

  run(actor: Actor, task: unknown, input: unknown, logger?: TaskLogger): Promise<TaskRunResult> {
    const { secrets, resolve } = this.deps;
    return this.pool.run(
      { doc: task, input: input ?? {} },
      {
        exists: (names) => secrets.existingNames(actor, names),
        reveal: (names) => secrets.revealForTask(actor, names),
        denied: (secret, host) => secrets.auditTaskDenial(actor, secret, host),
        resolve,
        log: (level, fields, message) => logger?.[level]?.(fields, message),
        // A secret that expired or vanished between validation and decryption fails the run
        // cleanly with the reason (domain messages never carry values); anything else is a bug.
        isExpected: (error) => error instanceof AppError,
      },
    );
  }

  /** Stops the workers (server shutdown). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
