/**
 * Domain errors: what a caller did wrong, in words safe to show them. Services throw these;
 * the GraphQL layer exposes each as a typed union member (mutations) or an error with
 * `extensions.code` (queries). Anything else is a bug and is masked as "Unexpected error".
 * Messages never carry secret values or tokens.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  /** HTTP status when the error ends a request outside GraphQL (REST, auth). */
  readonly httpStatus: number = 400;
}

export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION_FAILED';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  override readonly httpStatus = 404;
}

export class NameTakenError extends AppError {
  override readonly name = 'NameTakenError';
  readonly code = 'NAME_TAKEN';
  override readonly httpStatus = 409;
  constructor(readonly secretName: string) {
    super(`a secret named "${secretName}" already exists`);
  }
}

export class VersionConflictError extends AppError {
  override readonly name = 'VersionConflictError';
  readonly code = 'VERSION_CONFLICT';
  override readonly httpStatus = 409;
  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`expected version ${expectedVersion} but the current version is ${currentVersion}`);
  }
}

export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
  override readonly httpStatus = 403;
}

export class UnauthenticatedError extends AppError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
  override readonly httpStatus = 401;
}

/** The key provider is unreachable or refused: the request changed nothing and can be retried. */
export class KeyServiceUnavailableError extends AppError {
  override readonly name = 'KeyServiceUnavailableError';
  readonly code = 'KEY_SERVICE_UNAVAILABLE';
  override readonly httpStatus = 503;
}

/**
 * An audit record could not be made durable (the database kept refusing it): the audited action
 * did not happen (a reveal returns no value) and can be retried.
 */
export class AuditUnavailableError extends AppError {
  override readonly name = 'AuditUnavailableError';
  readonly code = 'AUDIT_UNAVAILABLE';
  override readonly httpStatus = 503;
}

/** The secret's `expiresAt` has passed: its value is no longer served (rotate it). */
export class SecretExpiredError extends AppError {
  override readonly name = 'SecretExpiredError';
  readonly code = 'SECRET_EXPIRED';
  override readonly httpStatus = 410;
  constructor(readonly secretName: string, readonly expiredAt: Date) {
    super(`secret "${secretName}" expired at ${expiredAt.toISOString()}; update its value and expiresAt`);
  }
}
