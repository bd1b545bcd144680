import { isTainted, placeholder } from './expression/taint';

/**
 * The size of `value` as JSON text, in bytes (strings counted as UTF-16 units: an upper
 * bound that is cheap to get), or null as soon as it exceeds `cap`. Iterative, and it stops
 * at the cap, so a value that repeats one large string many times is never serialised.
 */
export function jsonSizeAtMost(value: unknown, cap: number): number | null {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (isTainted(v)) total += placeholder(v.secrets).length + 2;
    else if (typeof v === 'string') total += v.length + 2;
    else if (Array.isArray(v)) {
      total += 1 + v.length;
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      total += 1 + keys.length;
      for (const k of keys) {
        total += k.length + 3;
        stack.push((v as Record<string, unknown>)[k]);
      }
    } else total += 8;
    if (total > cap) return null;
  }
  return total;
}
