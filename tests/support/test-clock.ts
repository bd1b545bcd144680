import type { Clock } from '../../src/clock';

/** Time that moves only when a test says so. Starts at the real time so dates look normal. */
export class TestClock implements Clock {
  ms: number;
  constructor(start = Date.now()) {
    // Whole seconds: DateTime round trips are then exact whatever the serializer does with millis.
    this.ms = Math.floor(start / 1000) * 1000;
  }
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  iso(offsetMs = 0): string {
    return new Date(this.ms + offsetMs).toISOString();
  }
}
