import type { Value } from './values';

// Local copies of the container checks: values.ts imports this module, not the reverse.
const isList = (v: unknown): v is Value[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
const isDict = (v: unknown): v is Record<string, Value> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Taint: a value read from `secrets.*`, and everything computed from it, is wrapped in a
 * Tainted box that names the secrets it came from. The evaluator computes on the raw value
 * inside and wraps the result again, so taint survives any operator, slice, function,
 * format or condition. Only the outbound request of a tool or LLM call unwraps it for real;
 * everywhere else (outputs, errors, logs) a box shows as `[secret:NAME]` as a whole.
 *
 * Containers are not boxed for holding a tainted item: `[s[:20], s[20:]]` is a plain list
 * of two boxes, so untainted neighbours stay readable. Containers are never mutated after
 * the evaluator builds them, which is what makes the per-object cache below sound.
 *
 * A box with `failed` set stands for an operation on secret data that raised an error: the
 * error is swallowed (its presence or message would tell the task something about the
 * value) and the failure surfaces only if the box is about to leave in a request.
 */
export class Tainted {
  constructor(
    readonly value: Value,
    readonly secrets: ReadonlySet<string>,
    /** Where an operation on secret data failed ("line 1, column 5"), if one did. */
    readonly failed: string | null = null,
  ) {
    Object.freeze(this);
  }
}

export function isTainted(v: unknown): v is Tainted {
  return v instanceof Tainted;
}

/** The placeholder a tainted value shows as wherever it may not appear. */
export function placeholder(secrets: ReadonlySet<string>): string {
  return `[secret:${[...secrets].sort().join(',')}]`;
}

/** Boxes `value` with the union of `secrets` (and of any box it already is). */
export function taint(value: Value | Tainted, secrets: ReadonlySet<string>, failed: string | null = null): Value {
  if (isTainted(value)) {
    const all = new Set([...value.secrets, ...secrets]);
    return new Tainted(value.value, all, value.failed ?? failed) as unknown as Value;
  }
  return new Tainted(value, secrets, failed) as unknown as Value;
}

const cleanContainers = new WeakSet<object>();

export interface Unwrapped {
  readonly value: Value;
  /** Secrets anything inside came from; null when nothing was tainted. */
  readonly secrets: Set<string> | null;
  readonly failed: string | null;
}

/**
 * The raw value with every box inside opened, and what was in them. Untainted containers
 * are returned as they are (no copy) and remembered, so the walk is paid once per object.
 * `tick` is charged per item walked.
 */
export function unwrapDeep(v: Value, tick: (units: number) => void = () => undefined): Unwrapped {
  if (isTainted(v)) {
    const inner = unwrapDeep(v.value, tick);
    const secrets = new Set(v.secrets);
    inner.secrets?.forEach((s) => secrets.add(s));
    return { value: inner.value, secrets, failed: v.failed ?? inner.failed };
  }
  if (v === null || typeof v !== 'object' || cleanContainers.has(v)) return { value: v, secrets: null, failed: null };
  let secrets: Set<string> | null = null;
  let failed: string | null = null;
  const note = (u: Unwrapped) => {
    if (u.secrets !== null) {
      secrets ??= new Set();
      for (const s of u.secrets) secrets.add(s);
    }
    failed ??= u.failed;
  };
  if (isList(v)) {
    tick(v.length);
    const items = v.map((item) => {
      const u = unwrapDeep(item, tick);
      note(u);
      return u.value;
    });
    if (secrets === null) {
      cleanContainers.add(v);
      return { value: v, secrets: null, failed: null };
    }
    return { value: items, secrets, failed };
  }
  if (isDict(v)) {
    const keys = Object.keys(v);
    tick(keys.length);
    const out = Object.create(null) as Record<string, Value>;
    for (const k of keys) {
      const u = unwrapDeep(v[k] as Value, tick);
      note(u);
      out[k] = u.value;
    }
    if (secrets === null) {
      cleanContainers.add(v);
      return { value: v, secrets: null, failed: null };
    }
    return { value: out, secrets, failed };
  }
  return { value: v, secrets: null, failed: null };
}

/** Secrets behind a value, looking into containers; null when none. */
export function secretsIn(v: Value): Set<string> | null {
  return unwrapDeep(v).secrets;
}
