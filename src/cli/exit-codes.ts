import { isLocksmithError } from '../client/errors';

/**
 * Exit codes (documented in src/cli/README.md and `locksmith --help`). Scripts branch on these,
 * so they are part of the CLI's contract: add new ones, never renumber.
 */
export const EXIT = {
  OK: 0,
  /** A bug or an unclassified failure. */
  UNEXPECTED: 1,
  /** Bad flags or arguments, or the server rejected the input (ValidationError). */
  USAGE: 2,
  NOT_FOUND: 3,
  /** Name taken, or check-and-set version conflict. */
  CONFLICT: 4,
  /** 401 (no/unknown/expired/revoked token) or 403 (scope missing, admin-only). */
  AUTH: 5,
  /** The server or its key provider is unreachable; retrying may help. */
  UNAVAILABLE: 6,
  /** `audit verify` found the hash chain broken (an event edited, removed or reordered). */
  INTEGRITY: 7,
  /** `tasks run`: the task ran and failed (a step failed, or a secret it names is missing). */
  TASK_FAILED: 8,
  /** `run`: the command could not be executed (as a shell says). */
  COMMAND_NOT_RUNNABLE: 126,
  /** `run`: the command was not found on PATH (as a shell says). */
  COMMAND_NOT_FOUND: 127,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  unexpected error
  2  usage or validation error (nothing was changed)
  3  not found (also: the secret's value has expired)
  4  conflict: name taken, or --expected-version did not match
  5  authentication or authorization failed (401/403)
  6  server or key service unavailable
  7  audit verify: the audit log's hash chain is broken
  8  tasks run: the task ran and failed
  run: the command's own exit status (128+n when signal n ended it; 126/127: cannot run / not found)`;

/** A problem with how the CLI was called, found before any request. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `locksmith run`: the child finished; the CLI ends with its status and says nothing more. */
export class ChildExit extends Error {
  override readonly name = 'ChildExit';
  constructor(readonly status: number) {
    super(`the command exited with ${status}`);
  }
}

/** A failure the CLI detected itself, with the exit code it should end with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

const BY_CODE: Record<string, ExitCode> = {
  VALIDATION_FAILED: EXIT.USAGE,
  BAD_USER_INPUT: EXIT.USAGE, // yoga: a variable did not coerce (e.g. a malformed DateTime)
  INVALID_ARGUMENT: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  SECRET_EXPIRED: EXIT.NOT_FOUND, // the value is no longer served: "gone", as HTTP 410 says
  NAME_TAKEN: EXIT.CONFLICT,
  VERSION_CONFLICT: EXIT.CONFLICT,
  UNAUTHENTICATED: EXIT.AUTH,
  FORBIDDEN: EXIT.AUTH,
  UNAVAILABLE: EXIT.UNAVAILABLE,
  KEY_SERVICE_UNAVAILABLE: EXIT.UNAVAILABLE,
};

export function exitCodeForCode(code: string): ExitCode {
  return BY_CODE[code] ?? EXIT.UNEXPECTED;
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof CliError) return error.exitCode;
  if (isLocksmithError(error)) return exitCodeForCode(error.code);
  return EXIT.UNEXPECTED;
}

/** One line for stderr. Only our own and the server's messages, which never hold a value or token. */
export function describeError(error: unknown, debug = false): string {
  if (isLocksmithError(error)) {
    // Masked server errors are useless without the request id the operator can look up.
    if (error.code === 'INTERNAL_SERVER_ERROR' && error.requestId) return `${error.message} (request id ${error.requestId})`;
    return error.message;
  }
  if (error instanceof UsageError || error instanceof CliError) return error.message;
  // Anything else is a bug in the CLI. Its message could in theory quote input (e.g. a JSON
  // parse error), so print only the class name unless asked for the detail.
  if (debug && error instanceof Error) return error.stack ?? error.message;
  return `unexpected ${error instanceof Error ? error.name : typeof error} (set LOCKSMITH_DEBUG=1 for details)`;
}
