import type { DatabaseConfig } from './config';
import { ConfigError } from './config';
import { KeyProviderError } from './crypto/key-provider';

/**
 * Start-up failures an operator can fix, turned into one line that names the setting and says
 * what to do. The server exits with EX_CONFIG (78) for these, so a service manager and a human
 * both see "fix the configuration", not a stack trace. Anything not recognised here is a bug
 * or an outage and keeps its detail in the log.
 */

export const EX_CONFIG = 78;

export class StartupConfigError extends Error {
  override readonly name = 'StartupConfigError';
}

/** One line for a configuration problem, or undefined when `error` is not one. */
export function describeStartupError(error: unknown, database?: DatabaseConfig): string | undefined {
  if (error instanceof ConfigError || error instanceof StartupConfigError) return error.message;
  if (error instanceof KeyProviderError && error.code === 'MISCONFIGURED') return error.message;
  const driver = findDriverError(error);
  if (driver && database) return describeDatabaseError(driver, database);
  return undefined;
}

interface DriverError {
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST']);
const FILE_CODES = new Set(['EACCES', 'EPERM', 'ENOENT', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOSPC']);

/** The first error in the cause chain that carries a driver or system code. */
function findDriverError(error: unknown): DriverError | undefined {
  for (let e = error as { code?: unknown; errno?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || FILE_CODES.has(e.code) || e.code.startsWith('ER_') || e.code.startsWith('SQLITE_'))) {
      return e as DriverError;
    }
  }
  return undefined;
}

function describeDatabaseError(error: DriverError, database: DatabaseConfig): string | undefined {
  const code = error.code!;
  if (database.kind === 'sqlite') {
    if (FILE_CODES.has(code) || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
      return (
        `LOCKSMITH_DATABASE_URL: cannot open the SQLite database ${database.path} (${code}): ` +
        'make sure its folder exists and is writable by this user, or point LOCKSMITH_DATABASE_URL / LOCKSMITH_DATA_DIR elsewhere'
      );
    }
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      return `LOCKSMITH_DATABASE_URL: ${database.path} is not a usable SQLite database (${code}): restore it from a backup or point LOCKSMITH_DATABASE_URL elsewhere`;
    }
    return undefined;
  }
  const where = describeMysqlUrl(database.url);
  if (code === 'ER_BAD_DB_ERROR') {
    return (
      `LOCKSMITH_DATABASE_URL: database "${where.database}" does not exist on ${where.host}: ` +
      `create it (CREATE DATABASE \`${where.database}\` CHARACTER SET utf8mb4) or fix the name in the URL`
    );
  }
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR') {
    return (
      `LOCKSMITH_DATABASE_URL: ${where.host} refused user "${where.user}" (${code}): ` +
      `check the user and password in the URL and GRANT ALL ON \`${where.database}\`.* to that user`
    );
  }
  if (NETWORK_CODES.has(code)) {
    return `LOCKSMITH_DATABASE_URL: cannot reach the database at ${where.host} (${code}): is it running, and are the host and port right?`;
  }
  if (code === 'ER_NOT_SUPPORTED_AUTH_MODE' || code === 'HANDSHAKE_SSL_ERROR') {
    return `LOCKSMITH_DATABASE_URL: cannot sign in to ${where.host} (${code}): check the user's authentication plugin and TLS settings`;
  }
  return undefined;
}

/** Host, user and database of a MySQL URL, never the password. */
export function describeMysqlUrl(url: string): { host: string; user: string; database: string } {
  try {
    const parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
    return {
      host: `${parsed.hostname}:${parsed.port || '3306'}`,
      user: decodeURIComponent(parsed.username) || '(none)',
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(none)',
    };
  } catch {
    return { host: '(unparsable URL)', user: '(unknown)', database: '(unknown)' };
  }
}
