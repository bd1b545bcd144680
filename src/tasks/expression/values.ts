import type { Budget } from './limits';
import { isTainted, placeholder } from './taint';

/**
 * The value domain: JSON data only. Anything else a host might hand in (functions, class
 * instances, Maps, Dates, symbols, bigints, getters) is refused at the point it is read, so
 * no host object or prototype can ever be reached from an expression.
 */
export type Value = null | boolean | number | string | Value[] | Dict;
export interface Dict {
  [key: string]: Value;
}

/** Names an expression may never read, whatever the object: the classic prototype escapes. */
export function isForbiddenKey(key: string): boolean {
  return key === 'constructor' || key === 'prototype' || key.startsWith('__');
}

export function isList(v: unknown): v is Value[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
}

export function isDict(v: unknown): v is Dict {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function newDict(): Dict {
  return Object.create(null) as Dict;
}

/**
 * Reads an own *data* property and vets the result; never follows the prototype chain and
 * never runs a getter. Returns `undefined` when the key is absent.
 */
export function ownValue(container: Dict | Value[], key: string | number): unknown {
  const desc = Object.getOwnPropertyDescriptor(container, key);
  if (desc === undefined) return undefined;
  if (!('value' in desc)) return undefined;
  return desc.value;
}

/**
 * Keys the value domain has no room for: a dict literal cannot make them, so data handed in by
 * the host (task inputs, parsed tool responses) that holds one is refused where it is read,
 * rather than carried into outputs and requests where a merge by assignment would treat
 * `__proto__` as a prototype. Narrower than isForbiddenKey on purpose: that one bars reads of
 * any `__` name, while data may well carry such keys (a GraphQL API's `__typename`).
 */
function isReservedDataKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/** Containers already walked and found clean; data is never mutated once handed in. */
const vettedContainers = new WeakSet<object>();

/** The first reserved key anywhere inside `root`, walking each container once per lifetime. */
function findReservedKey(root: Value[] | Dict): string | undefined {
  if (vettedContainers.has(root)) return undefined;
  const walked: object[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || isTainted(v) || vettedContainers.has(v)) continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else {
      for (const key of Object.keys(v)) {
        if (isReservedDataKey(key)) return key;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
    walked.push(v);
  }
  for (const v of walked) vettedContainers.add(v);
  return undefined;
}

/** Admits a host value into the language, or explains why it cannot be used. */
export function admit(v: unknown, fail: (message: string) => never): Value {
  if (v === undefined || v === null) return null;
  // A tainted box is data too; the evaluator opens it only where that is safe.
  if (isTainted(v)) return v as unknown as Value;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      if (!Number.isFinite(v)) return fail('non-finite numbers are not supported');
      return v;
    case 'object':
      if (isList(v) || isDict(v)) {
        const reserved = findReservedKey(v);
        if (reserved !== undefined) return fail(`data holding the key '${reserved}' cannot be used in an expression`);
        return v;
      }
      return fail('this value is not plain data and cannot be used in an expression');
    default:
      return fail(`values of type ${typeof v} cannot be used in an expression`);
  }
}

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'string':
      return 'str';
    default:
      return isList(v) ? 'list' : 'dict';
  }
}

export function truthy(v: Value): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'string':
      return v.length > 0;
    default:
      return isList(v) ? v.length > 0 : Object.keys(v).length > 0;
  }
}

/** bool counts as a number, as in Python (True + 1 == 2). */
export function isNumeric(v: Value): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

export function num(v: number | boolean): number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

export function isInt(v: Value): v is number | boolean {
  return typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v));
}

/** Python == : numbers compare by value (1 == 1.0 == True), containers deeply. */
export function pyEquals(a: Value, b: Value, budget: Budget, at: number, depth = 0): boolean {
  budget.tick(1, at);
  // Callers compare raw values; a box here is a bug, and must not answer anything about its inside.
  if (isTainted(a) || isTainted(b)) return budget.fail('cannot compare a value derived from a secret here', 'internal', at);
  if (typeof a === 'string' && typeof b === 'string') budget.tick(Math.min(a.length, b.length), at);
  budget.checkValueDepth(depth, at);
  if (isNumeric(a) && isNumeric(b)) return num(a) === num(b);
  if (a === null || b === null) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (isList(a)) {
    if (!isList(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!pyEquals(a[i] as Value, b[i] as Value, budget, at, depth + 1)) return false;
    }
    return true;
  }
  if (isList(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!pyEquals(a[k] as Value, b[k] as Value, budget, at, depth + 1)) return false;
  }
  return true;
}

/** Python ordering: numbers with numbers, strings with strings, lists lexicographically. */
export function pyCompare(a: Value, b: Value, op: string, budget: Budget, at: number, fail: (m: string) => never, depth = 0): number {
  budget.tick(1, at);
  budget.checkValueDepth(depth, at);
  if (isNumeric(a) && isNumeric(b)) return Math.sign(num(a) - num(b));
  if (typeof a === 'string' && typeof b === 'string') {
    budget.tick(Math.min(a.length, b.length), at);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (isList(a) && isList(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a[i] as Value;
      const y = b[i] as Value;
      if (pyEquals(x, y, budget, at, depth + 1)) continue;
      return pyCompare(x, y, op, budget, at, fail, depth + 1);
    }
    return Math.sign(a.length - b.length);
  }
  return fail(`'${op}' is not supported between '${typeName(a)}' and '${typeName(b)}'`);
}

export function formatNumber(n: number): string {
  if (Object.is(n, -0)) return '0';
  return String(n);
}

/**
 * str(): scalars the Python way (True, None), containers as JSON. JSON rather than Python's
 * repr because an interpolated container almost always lands in an HTTP body or an LLM
 * prompt, where JSON is what the other side parses.
 */
export function pyStr(v: Value, budget: Budget, at: number): string {
  if (isTainted(v)) return placeholder(v.secrets);
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return toJson(v, budget, at, null);
}

/**
 * json.dumps with Python's default separators (", " and ": "), or `indent` spaces. Written
 * by hand so that it ticks the budget, caps the length while building, and cannot overflow
 * the stack on deeply nested input.
 */
export function toJson(v: Value, budget: Budget, at: number, indent: number | null): string {
  const out: string[] = [];
  let length = 0;
  const push = (s: string) => {
    length += s.length;
    budget.checkString(length, at);
    out.push(s);
  };
  const itemSep = indent === null ? ', ' : ',';
  const keySep = ': ';
  const nl = (depth: number) => (indent === null ? '' : '\n' + ' '.repeat(indent * depth));
  const emit = (raw: Value, depth: number): void => {
    budget.tick(1, at);
    const x = admit(raw, (m) => budget.fail(m, 'forbidden', at));
    budget.checkValueDepth(depth, at);
    if (isTainted(x)) push(JSON.stringify(placeholder(x.secrets)));
    else if (x === null) push('null');
    else if (typeof x === 'boolean') push(x ? 'true' : 'false');
    else if (typeof x === 'number') push(formatNumber(x));
    else if (typeof x === 'string') {
      budget.tick(x.length, at);
      push(JSON.stringify(x));
    } else if (isList(x)) {
      if (x.length === 0) return push('[]');
      push('[');
      x.forEach((item, i) => {
        if (i > 0) push(itemSep);
        push(nl(depth + 1));
        emit(item as Value, depth + 1);
      });
      push(nl(depth));
      push(']');
    } else {
      const keys = Object.keys(x);
      if (keys.length === 0) return push('{}');
      push('{');
      keys.forEach((k, i) => {
        if (i > 0) push(itemSep);
        push(nl(depth + 1));
        push(JSON.stringify(k));
        push(keySep);
        emit(x[k] as Value, depth + 1);
      });
      push(nl(depth));
      push('}');
    }
  };
  emit(v, 0);
  return out.join('');
}

