import pino, { type Logger } from 'pino';

/**
 * Structured logs. Errors are reduced to name/code/message/stack: driver errors can carry the
 * SQL and its parameters, which must never reach a log line.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'locksmith' },
      redact: { paths: ['authorization', '*.authorization', 'token', '*.token', 'value', '*.value'], censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & { code?: unknown; errno?: unknown };
  const out: Record<string, unknown> = { type: e.name, message: e.message, stack: e.stack };
  if (e.code !== undefined) out.code = e.code;
  if (e.errno !== undefined) out.errno = e.errno;
  if (e.cause !== undefined) out.cause = serializeError(e.cause);
  return out;
}
