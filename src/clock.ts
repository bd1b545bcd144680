/** Injectable time source, so expiry, recovery windows and purges are testable without sleeps. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Epoch milliseconds from a database column (BIGINT, nullable) as a Date. */
export function dateFromMillis(ms: number | null): Date | null {
  return ms === null ? null : new Date(Number(ms));
}
