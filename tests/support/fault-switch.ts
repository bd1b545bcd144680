/**
 * The fault injection and request counting the loopback fakes (fake-kms-server,
 * fake-vault-server) share: "the next N requests to these operations fail like this", and how
 * many requests each operation received.
 */

/** A fault: an error answer (its shape is the fake's own) or a connection dropped without one. */
export type FaultAction<E> = ({ kind: 'error' } & E) | { kind: 'drop' };

interface Fault<Op, E> {
  remaining: number;
  /** undefined: every operation. */
  readonly operations: ReadonlySet<Op> | undefined;
  readonly action: FaultAction<E>;
}

export class FaultSwitch<Op extends string, E> {
  private faults: Array<Fault<Op, E>> = [];

  /** The next `count` requests to one of `operations` (default: any) get `action`. */
  add(count: number, operations: readonly Op[] | undefined, action: FaultAction<E>): void {
    this.faults.push({ remaining: count, operations: operations && new Set(operations), action });
  }

  /** The fault for this request, if one is armed for its operation (and counts it down). */
  take(operation: Op): FaultAction<E> | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.operations || f.operations.has(operation)));
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return fault.action;
  }

  clear(): void {
    this.faults = [];
  }
}

/** Requests per operation that reached a fake (faults included). */
export class RequestCounter<Op extends string> {
  private readonly counts = new Map<Op, number>();

  record(operation: Op): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  /** One operation's count, or the total. */
  count(operation?: Op): number {
    if (operation) return this.counts.get(operation) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  reset(): void {
    this.counts.clear();
  }
}
