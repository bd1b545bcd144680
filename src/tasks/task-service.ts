import type { Actor } from '../auth/principal';
import { AppError } from '../errors';
import type { SecretService } from '../secrets/service';
import type { LlmConfig } from './llm-providers';
import { type RunLimits, runTask, type TaskLogger, type TaskRunResult } from './runner';
import { type TaskValidation, validateTask } from './validate';
import { AddressPolicy, parseNetworks } from './network/address-policy';
import { createGuardedFetch, type Resolver } from './network/guarded-fetch';
import { hostMatcher } from './network/host-patterns';

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
}

/**
 * Binds the task engine (a pure library) to a tenant: secret names resolve only among the
 * caller's own secrets, only the names a task references are decrypted, and each use is audited.
 */
export class TaskService {
  private readonly allowUrl: (url: URL) => boolean;
  private readonly fetch: typeof fetch;

  constructor(private readonly deps: TaskServiceDeps) {
    this.allowUrl = hostPolicy(deps.allowedHosts);
    const guarded = createGuardedFetch({ addresses: new AddressPolicy(parseNetworks(deps.allowedNetworks)), resolve: deps.resolve });
    this.fetch = guarded as typeof fetch;
  }

  validate(actor: Actor, task: unknown): Promise<TaskValidation> {
    return validateTask(task, { secretExists: (names) => this.deps.secrets.existingNames(actor, names), llm: this.deps.llm });
  }

  async run(actor: Actor, task: unknown, input: unknown, logger?: TaskLogger): Promise<TaskRunResult> {
    try {
      return await runTask(task, input ?? {}, {
        secrets: {
          exists: (names) => this.deps.secrets.existingNames(actor, names),
          reveal: (names) => this.deps.secrets.revealForTask(actor, names),
        },
        fetch: this.fetch,
        llm: this.deps.llm,
        limits: this.deps.limits,
        logger,
        allowUrl: this.allowUrl,
        onSecretDenied: (secret, host) => this.deps.secrets.auditTaskDenial(actor, secret, host),
      });
    } catch (error) {
      // A secret that expired or vanished between validation and decryption: the run fails
      // cleanly with the reason (domain messages never carry values); anything else is a bug.
      if (error instanceof AppError) {
        return { status: 'FAILED', steps: [], usedSecrets: [], error: error.message, errorCode: 'TASK_STEP_FAILED', problems: [] };
      }
      throw error;
    }
  }
}

function hostPolicy(allowed: readonly string[]): (url: URL) => boolean {
  const matches = hostMatcher(allowed);
  return (url) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return allowed.length === 0 || matches(url.hostname);
  };
}
