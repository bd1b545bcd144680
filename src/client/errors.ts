/**
 * Every failure the client reports is a LocksmithError with a stable `code`, whatever its origin:
 * a typed error member of a mutation's result union, a top-level GraphQL error (its
 * `extensions.code`), an HTTP 401, or the server being unreachable. Callers (the CLI's exit
 * codes, scripts) branch on `code`; `message` is the server's wording, which never carries a
 * secret value or token.
 */
export type LocksmithErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'NAME_TAKEN'
  | 'VERSION_CONFLICT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'KEY_SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR'
  /** Client side: the server could not be reached, timed out, or answered 5xx without GraphQL. */
  | 'UNAVAILABLE'
  /** Client side: the answer was not a GraphQL response (wrong URL, proxy page, ...). */
  | 'BAD_RESPONSE'
  /** Client side: a bad argument to the client itself (e.g. an unparseable URL). */
  | 'INVALID_ARGUMENT'
  // Codes the server may add later (e.g. from yoga: BAD_USER_INPUT) still type-check.
  | (string & {});

export interface LocksmithErrorDetails {
  /** ValidationError: the offending input field (e.g. `name`, `metadata.env`). */
  field?: string;
  /** From the server's masked errors and the X-Request-Id response header, for support. */
  requestId?: string;
  /** HTTP status of the response, when there was one. */
  status?: number;
  /** The GraphQL type of a union error member, e.g. `NameTakenError`. */
  typename?: string;
  /** NameTakenError: the secret name that is taken. */
  secretName?: string;
  /** VersionConflictError. */
  expectedVersion?: number;
  currentVersion?: number;
  cause?: unknown;
}

export class LocksmithError extends Error {
  override readonly name = 'LocksmithError';
  readonly code: LocksmithErrorCode;
  readonly field: string | undefined;
  readonly requestId: string | undefined;
  readonly status: number | undefined;
  readonly typename: string | undefined;
  readonly secretName: string | undefined;
  readonly expectedVersion: number | undefined;
  readonly currentVersion: number | undefined;

  constructor(code: LocksmithErrorCode, message: string, details: LocksmithErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
    this.requestId = details.requestId;
    this.status = details.status;
    this.typename = details.typename;
    this.secretName = details.secretName;
    this.expectedVersion = details.expectedVersion;
    this.currentVersion = details.currentVersion;
  }
}

export function isLocksmithError(error: unknown): error is LocksmithError {
  return error instanceof LocksmithError;
}

/** What every `... on Error` selection (ErrorFields) gives us. */
interface UnionErrorMember {
  __typename: string;
  code?: string;
  message?: string;
  field?: string;
  name?: string;
  expectedVersion?: number;
  currentVersion?: number;
}

/**
 * Mutation results are unions of one payload type and error types. Returns the payload member,
 * or throws the error member as a LocksmithError.
 */
export function unwrapResult<R extends { __typename: string }, K extends R['__typename']>(
  result: R,
  payloadTypename: K,
  requestId?: string,
): Extract<R, { __typename: K }> {
  if (result.__typename === payloadTypename) return result as Extract<R, { __typename: K }>;
  const member = result as unknown as UnionErrorMember;
  throw new LocksmithError(member.code ?? 'BAD_RESPONSE', member.message ?? `unexpected ${member.__typename} result`, {
    typename: member.__typename,
    field: member.field,
    secretName: member.__typename === 'NameTakenError' ? member.name : undefined,
    expectedVersion: member.expectedVersion,
    currentVersion: member.currentVersion,
    requestId,
  });
}
