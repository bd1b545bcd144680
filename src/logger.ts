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
    destination ?? stdoutDestination(),
  );
}

/**
 * stdout, written synchronously (a log line is out before the next statement runs, so it cannot
 * be lost to process.exit or reordered around the start-up banner), and turned off when stdout
 * is gone for good: EPIPE (its reader exited) or EIO (the terminal running `npm start` hung up).
 * pino's default (asynchronous) destination instead left a closed terminal's server spinning
 * forever in its exit-time flush, which retries a failed write whatever the error.
 */
function stdoutDestination(): pino.DestinationStream {
  const stream = pino.destination({ dest: 1, sync: true });
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EIO' && error.code !== 'EPIPE') throw error;
    const ignore = () => true;
    Object.assign(stream, { write: ignore, flush: ignore, flushSync: ignore, end: ignore });
  });
  return stream;
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
