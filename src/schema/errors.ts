import { builder } from '../builder';
import {
  AppError,
  ForbiddenError,
  KeyServiceUnavailableError,
  NameTakenError,
  NotFoundError,
  SecretExpiredError,
  ValidationError,
  VersionConflictError,
} from '../errors';

/** `interface Error { message, code }` and one object type per domain error (docs/api.md, Errors). */
export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  description: 'The input broke a rule; `field` names the offending input field.',
  fields: (t) => ({ field: t.exposeString('field') }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(NameTakenError, {
  name: 'NameTakenError',
  interfaces: [ErrorInterface],
  description: 'The name is held: `name` is the name asked for, the message says by what.',
  fields: (t) => ({ name: t.exposeString('takenName') }),
});

builder.objectType(VersionConflictError, {
  name: 'VersionConflictError',
  interfaces: [ErrorInterface],
  description: 'Check-and-set failed: the secret moved on since the version you read.',
  fields: (t) => ({
    expectedVersion: t.exposeInt('expectedVersion'),
    currentVersion: t.exposeInt('currentVersion'),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(KeyServiceUnavailableError, {
  name: 'KeyServiceUnavailableError',
  interfaces: [ErrorInterface],
  description: 'The key provider could not be reached; nothing was changed and the call can be retried.',
  fields: () => ({}),
});

builder.objectType(SecretExpiredError, {
  name: 'SecretExpiredError',
  interfaces: [ErrorInterface],
  description: "The secret's expiresAt has passed; its value is no longer served.",
  fields: (t) => ({ name: t.exposeString('secretName'), expiredAt: t.expose('expiredAt', { type: 'DateTime' }) }),
});

/** Errors every secret write can end in besides its own. */
export const WRITE_ERRORS = [ValidationError, ForbiddenError, KeyServiceUnavailableError];
