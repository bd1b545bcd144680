/**
 * Domain errors: what a caller did wrong, in words safe to show them. Services throw these;
 * the GraphQL layer exposes each as a typed union member (mutations) or an error with
 * `extensions.code` (queries). Anything else is a bug and is masked as "Unexpected error".
 * Messages never carry secret values or tokens.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  /**
   * The HTTP status of this error wherever it ends a request: REST always, GraphQL when the
   * error refuses the whole request before execution (limits, rate limits, refused scopes).
   * The one place a status is decided; nothing keeps a second table.
   */
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
  /** `takenName` is the name asked for; the message says what holds it (a live secret, a deleted one, a developer). */
  constructor(
    readonly takenName: string,
    message = `a secret named "${takenName}" already exists`,
  ) {
    super(message);
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

/**
 * A request went over one of the server's limits (size, depth, aliases, cost, reveals...).
 * `limit` names it and `setting` is the environment variable that changes it, so an operator
 * reading a client's error knows exactly what to raise (or that the client misbehaves).
 */
export class LimitExceededError extends AppError {
  override readonly name = 'LimitExceededError';
  readonly code = 'LIMIT_EXCEEDED';
  override readonly httpStatus: number;
  constructor(
    readonly limit: string,
    readonly max: number,
    readonly setting: string,
    message: string,
    httpStatus = 400,
  ) {
    super(`${message} (limit ${limit}: ${max}; setting ${setting})`);
    this.httpStatus = httpStatus;
  }
}

/** Too many requests from this client or API key: retry after `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  override readonly name = 'RateLimitedError';
  readonly code = 'RATE_LIMITED';
  override readonly httpStatus = 429;
  constructor(readonly retryAfterSeconds: number, what: string) {
    super(`too many ${what}; retry after ${retryAfterSeconds} s`);
  }
}

/** The request itself is malformed (not JSON, wrong shape): nothing ran. */
export class BadRequestError extends AppError {
  override readonly name = 'BadRequestError';
  readonly code = 'BAD_REQUEST';
}
