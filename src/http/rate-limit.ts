import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { LimitsConfig } from '../config';

/**
 * Request budgets, counted with rate-limiter-flexible: per client address (every request),
 * per API key (authenticated requests) and, much tighter, failed authentications per address,
 * so guessing tokens is slow. In memory by default; with LOCKSMITH_REDIS_URL the counters
 * live in Redis and every node shares them. When Redis is unreachable each node falls back to
 * its own memory counters (an "insurance" limiter): the limits loosen by the number of nodes
 * but never vanish, and requests keep flowing.
 */
export interface RateLimits {
  /** Counts one request from this address; a refusal when its budget is spent. */
  request(address: string): Promise<Refusal | null>;
  /** A refusal when this address already spent its failed-authentication budget. */
  authBlocked(address: string): Promise<Refusal | null>;
  /** Counts one failed authentication; a refusal once the budget is spent. */
  authFailed(address: string): Promise<Refusal | null>;
  /** Counts one request by this key (or other principal id). */
  principal(actorId: string): Promise<Refusal | null>;
  /** Settles once Redis answered or failed its first connection (at once without Redis). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface Refusal {
  readonly retryAfterSeconds: number;
  readonly what: string;
}

export function createRateLimits(config: LimitsConfig['rateLimit'], logger: Logger): RateLimits {
  const duration = config.windowSeconds;
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        // Fail fast rather than queue: a request must not wait for Redis to come back.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
      })
    : undefined;
  let redisDown = false;
  redis?.on('error', (error: Error) => {
    if (!redisDown) logger.warn({ err: error }, 'rate limits: Redis unavailable, using per-node memory counters');
    redisDown = true;
  });
  redis?.on('ready', () => {
    if (redisDown) logger.info('rate limits: Redis reachable again');
    redisDown = false;
  });
  // Start-up waits for the first connection attempt, so a node does not begin on its memory
  // fallback (and count apart from its peers) just because Redis was a few ms slower.
  const ready = redis
    ? new Promise<void>((resolve) => {
        redis.once('ready', () => resolve());
        redis.once('error', () => resolve());
      })
    : Promise.resolve();

  const limiter = (name: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.redisKeyPrefix}:${name}`,
      points,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
  const perAddress = limiter('address', config.perAddress);
  const perKey = limiter('key', config.perKey);
  const authFailures = limiter('authfail', config.authFailures);

  const consume = async (l: RateLimiterAbstract, key: string, what: string): Promise<Refusal | null> => {
    try {
      await l.consume(key);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), what };
      // A store error with no fallback left: count nothing rather than refuse everyone.
      logger.error({ err: rejection }, 'rate limiter failed; request let through');
      return null;
    }
  };

  return {
    ready,
    request: (address) => consume(perAddress, address, 'requests from this address'),
    principal: (actorId) => consume(perKey, actorId, 'requests with this API key'),
    authFailed: (address) => consume(authFailures, address, 'failed authentications from this address'),
    async authBlocked(address) {
      try {
        const state = await authFailures.get(address);
        if (state && state.consumedPoints >= config.authFailures) {
          return { retryAfterSeconds: Math.max(1, Math.ceil(state.msBeforeNext / 1000)), what: 'failed authentications from this address' };
        }
      } catch (error) {
        logger.error({ err: error }, 'rate limiter read failed');
      }
      return null;
    },
    async close() {
      if (redis) redis.disconnect();
    },
  };
}
