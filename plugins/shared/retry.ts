/**
 * Retry, timeout and settings helpers shared by the remote key-provider plugins (aws-kms,
 * vault-transit). Plugins depend on this folder and on src/crypto/key-provider.ts; the core
 * never imports it, so a third-party plugin is free to ignore it.
 */
import { KeyProviderError } from '../../src/crypto/key-provider';

export interface RetryPolicy {
  /** Total attempts, the first one included. */
  readonly maxAttempts: number;
  /** Delay before the first retry; doubles on each further retry. */
  readonly baseDelayMs: number;
  /** Ceiling for one delay, so a long outage does not turn into minute-long sleeps. */
  readonly maxDelayMs: number;
}

/**
 * Exponential backoff with "equal jitter": half of the delay is fixed, half random. The fixed
 * half guarantees a throttled caller actually backs off; the random half spreads a fleet of
 * service instances that all saw the same outage, so they do not retry in lockstep.
 *
 * @param retry 1 for the first retry (second attempt), 2 for the next, ...
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(exp / 2 + random() * (exp / 2));
}

/** Worst-case total of the backoff sleeps of a policy: used to size overall deadlines. */
export function maxTotalBackoff(policy: RetryPolicy): number {
  let total = 0;
  for (let retry = 1; retry < policy.maxAttempts; retry++) {
    total += Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  }
  return total;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryDecision {
  readonly retry: boolean;
  /** A server hint (Retry-After) in ms; honoured up to the policy's maxDelayMs. */
  readonly retryAfterMs?: number;
  /** Short, secret-free reason for the log line ("HTTP 503", "ECONNREFUSED"). */
  readonly reason: string;
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly classify: (error: unknown) => RetryDecision;
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  readonly random?: () => number;
}

/** Runs `operation` until it succeeds, fails with a non-retryable error, or attempts run out. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = options.classify(error);
      if (!decision.retry || attempt >= policy.maxAttempts) throw error;
      const jittered = backoffDelay(policy, attempt, options.random);
      const delayMs = Math.min(policy.maxDelayMs, Math.max(jittered, decision.retryAfterMs ?? 0));
      options.onRetry?.({ attempt, delayMs, reason: decision.reason });
      await sleep(delayMs);
    }
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads an integer setting; a present but malformed value is a start-up error, never silently defaulted. */
export function readIntSetting(env: Env, name: string, spec: { default: number; min: number; max: number }): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return spec.default;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new KeyProviderError('MISCONFIGURED', `${name} must be an integer between ${spec.min} and ${spec.max}`);
  }
  return value;
}

/** Reads a required string setting. */
export function requireSetting(env: Env, name: string, why: string): string {
  const value = env[name]?.trim();
  if (!value) throw new KeyProviderError('MISCONFIGURED', `${name} is required (${why})`);
  return value;
}

/**
 * Makes a vendor-supplied error text safe to put in our own messages: vendors sometimes echo
 * request fragments, and a message ends up in logs. Long base64/hex runs (key bytes,
 * ciphertexts, signatures) and `vault:vN:` ciphertexts are cut out; the text is truncated.
 */
export function scrubVendorMessage(text: unknown, maxLength = 200): string {
  if (typeof text !== 'string') return '';
  const scrubbed = text
    .replace(/vault:v\d+:[A-Za-z0-9+/=]*/g, '[ciphertext]')
    .replace(/[A-Za-z0-9+/]{24,}={0,2}/g, '[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return scrubbed.length > maxLength ? `${scrubbed.slice(0, maxLength)}...` : scrubbed;
}
