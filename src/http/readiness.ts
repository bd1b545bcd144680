import type { Logger } from 'pino';

export type ReadinessChecks = Record<string, () => Promise<void>>;

const CHECK_TIMEOUT_MS = 3000;

/**
 * /readyz results, reused for `cacheMs`: a probe (or anyone: /readyz needs no token) then
 * costs the key provider at most one call per check per `cacheMs` per node, whatever the
 * request rate. Concurrent probes while a check runs share it.
 */
export function cachedReadiness(checks: ReadinessChecks, cacheMs: number, logger: Logger) {
  let last: { at: number; result: Promise<{ ready: boolean; checks: Record<string, string> }> } | undefined;
  const run = async () => {
    const results: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          results[name] = 'ok';
        } catch (error) {
          logger.warn({ err: error, check: name }, 'readiness check failed');
          results[name] = 'unavailable';
        }
      }),
    );
    return { ready: Object.values(results).every((r) => r === 'ok'), checks: results };
  };
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) last = { at: now, result: run() };
    return last.result;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
