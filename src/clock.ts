/** Injectable time source, so expiry, recovery windows and purges are testable without sleeps. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
