/**
 * Turns what the API says into what a person reads: typed union errors (ValidationError with
 * its field, VersionConflictError, ...) and top-level GraphQL errors (codes in extensions)
 * become a small set of problems the console shows as field messages, dialogs or banners.
 * Pure functions, no React, so they are unit-tested on their own.
 */

export type BannerKind = 'outage' | 'expired' | 'forbidden' | 'not-found' | 'network' | 'unexpected' | 'info';

export interface Problem {
  readonly kind: BannerKind | 'unauthenticated' | 'validation' | 'conflict' | 'name-taken';
  readonly message: string;
  /** ValidationError: the input field the server names, e.g. "metadata.env". */
  readonly field?: string;
  readonly expectedVersion?: number;
  readonly currentVersion?: number;
  readonly requestId?: string;
}

export interface UnionError {
  readonly __typename: string;
  readonly code?: string;
  readonly message?: string;
  readonly field?: string;
  readonly name?: string;
  readonly expectedVersion?: number;
  readonly currentVersion?: number;
}

interface GraphQLErrorLike {
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
}

/** The parts of urql's CombinedError this reads. */
export interface CombinedErrorLike {
  readonly graphQLErrors: readonly GraphQLErrorLike[];
  readonly networkError?: Error | undefined;
  readonly response?: { status?: number } | undefined;
}

const OUTAGE = 'The key service is unreachable, so values cannot be encrypted or decrypted right now. Nothing was changed; try again shortly.';

export function problemFromCode(code: string | undefined, message: string, extra: Partial<Problem> = {}): Problem {
  switch (code) {
    case 'UNAUTHENTICATED':
      return { kind: 'unauthenticated', message: 'Your key is missing, expired or revoked. Sign in again.' };
    case 'FORBIDDEN':
      return { kind: 'forbidden', message: `Refused: ${message}` };
    case 'KEY_SERVICE_UNAVAILABLE':
      return { kind: 'outage', message: OUTAGE };
    case 'SECRET_EXPIRED':
      return { kind: 'expired', message };
    case 'NOT_FOUND':
      return { kind: 'not-found', message };
    case 'VALIDATION_FAILED':
      return { kind: 'validation', message, ...(extra.field ? { field: extra.field } : {}) };
    case 'VERSION_CONFLICT':
      return { kind: 'conflict', message, ...extra };
    case 'NAME_TAKEN':
      return { kind: 'name-taken', message, field: 'name' };
    case 'INTERNAL_SERVER_ERROR':
      return {
        kind: 'unexpected',
        message: `Unexpected server error${extra.requestId ? ` (request id ${extra.requestId})` : ''}. The server log has the details.`,
        ...(extra.requestId ? { requestId: extra.requestId } : {}),
      };
    default:
      return { kind: 'unexpected', message };
  }
}

/** A member of an XResult union that is not the payload. */
export function problemFromUnion(error: UnionError): Problem {
  const message = error.message ?? error.__typename;
  switch (error.__typename) {
    case 'ValidationError':
      return { kind: 'validation', message, field: error.field ?? 'input' };
    case 'VersionConflictError':
      return {
        kind: 'conflict',
        message,
        ...(error.expectedVersion !== undefined ? { expectedVersion: error.expectedVersion } : {}),
        ...(error.currentVersion !== undefined ? { currentVersion: error.currentVersion } : {}),
      };
    case 'NameTakenError':
      return { kind: 'name-taken', message, field: 'name' };
    case 'ForbiddenError':
      return { kind: 'forbidden', message: `Refused: ${message}` };
    case 'KeyServiceUnavailableError':
      return { kind: 'outage', message: OUTAGE };
    case 'NotFoundError':
      return { kind: 'not-found', message };
    case 'SecretExpiredError':
      return { kind: 'expired', message };
    default:
      return problemFromCode(error.code, message);
  }
}

/** A failed request: the first error decides (an unauthenticated call fails as a whole). */
export function problemFromCombined(error: CombinedErrorLike): Problem {
  if (error.response?.status === 401) return problemFromCode('UNAUTHENTICATED', '');
  const first = error.graphQLErrors[0];
  if (first) {
    const ext = first.extensions ?? {};
    const code = typeof ext.code === 'string' ? ext.code : undefined;
    const extra: Partial<Problem> = {};
    if (typeof ext.field === 'string') Object.assign(extra, { field: ext.field });
    if (typeof ext.requestId === 'string') Object.assign(extra, { requestId: ext.requestId });
    return problemFromCode(code, first.message, extra);
  }
  if (error.networkError) {
    return { kind: 'network', message: 'The server cannot be reached. Check that locksmith is running, then try again.' };
  }
  return { kind: 'unexpected', message: 'The request failed.' };
}

/** Which form field a ValidationError belongs to: "metadata.env" -> "metadata", "input.name" -> "name". */
export function formFieldOf(field: string | undefined): string {
  if (!field) return 'form';
  const parts = field.split('.').filter((p) => p !== 'input');
  return parts[0] ?? 'form';
}
