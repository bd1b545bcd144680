import type { Context } from '../context';
import { LimitExceededError } from '../errors';

/**
 * Counts one reveal in this request and refuses once the request used its budget. The static
 * rule (limits.ts) refuses operations that name too many reveals; this catches lists, where one
 * `value` field reveals once per row.
 */
export function countReveal(ctx: Context): void {
  ctx.reveals.count += 1;
  if (ctx.reveals.count > ctx.reveals.max) {
    throw new LimitExceededError('reveals', ctx.reveals.max, 'LOCKSMITH_MAX_REVEALS', 'this request revealed too many values');
  }
}
