import type { Logger } from 'pino';
import type { ApiKeyService } from './api-keys/service';
import type { AuditService } from './audit/service';
import type { KeyRotationService } from './crypto/key-rotation';
import type { Actor, Principal } from './auth/principal';
import type { DeveloperService } from './developers/service';
import { ForbiddenError } from './errors';
import type { SecretService } from './secrets/service';
import type { TaskService } from './tasks/task-service';

/**
 * The services a request may use; built once by createCore (src/core.ts). The cross-tenant
 * operator jobs are not here (they are `Core.ops`): no resolver can reach them.
 */
export interface Services {
  readonly secrets: SecretService;
  readonly apiKeys: ApiKeyService;
  readonly developers: DeveloperService;
  readonly audit: AuditService;
  /** The caller's own data key rotation (`rotateDataKey`). */
  readonly keys: KeyRotationService;
  readonly tasks: TaskService;
}

export interface Context {
  readonly requestId: string;
  readonly principal: Principal;
  readonly services: Services;
  readonly logger: Logger;
  /** Fields refused for missing scopes in this request; audited once after execution. */
  readonly deniedFields: string[];
}

/** The acting developer; admin tokens manage developers only and get a typed refusal here. */
export function actorOf(ctx: Context): Actor {
  if (ctx.principal.kind !== 'developer') {
    throw new ForbiddenError('the admin token can only manage developers; use a developer API key');
  }
  return { developerId: ctx.principal.developerId, actorId: ctx.principal.actorId, requestId: ctx.requestId };
}
