import { base64, base64UrlPadded, percentEncode } from './encoding';
import { isTainted, placeholder } from './expression/taint';

/**
 * Replaces secret values in anything a run returns or logs with `[secret:NAME]`.
 *
 * Forms recognised for each value: the value itself; its JSON-escaped form (error
 * messages quote raw response text); base64 and base64url, padded and not, plus the three
 * byte alignments of base64 so a secret inside a larger encoded blob (Basic auth of
 * "user:secret") is still found; percent-encoding as encodeURIComponent, Python's quote
 * and quote_plus / form encoding, with upper- and lower-case hex.
 *
 * One combined regular expression, alternatives longest first, is applied in one pass
 * per string, so with many secrets a large output is scanned once rather than once per
 * secret and form; the longest match at each position wins (a secret that contains
 * another is replaced whole).
 *
 * Short values: a value (or encoded form) shorter than SHORT_VALUE_LENGTH characters is
 * replaced only where it stands alone, not inside a longer run of letters and digits.
 * Replacing a 1-3 character secret everywhere would shred every output (a secret "a"
 * would hit every word), while a value that short offers no secrecy a redactor could
 * protect anyway. It is still caught when it appears as its own token, e.g. echoed in a
 * JSON field. Partial base64 forms shorter than 8 characters are not used at all.
 */

export const SHORT_VALUE_LENGTH = 4;
const MIN_PARTIAL_BASE64 = 8;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Every encoded form of `value` the redactor looks for (including the value itself). */
export function encodedForms(value: string): string[] {
  if (value === '') return [];
  const forms = new Set<string>([value]);
  forms.add(JSON.stringify(value).slice(1, -1));
  const b64 = base64(value);
  const b64url = base64UrlPadded(value);
  for (const f of [b64, b64url]) {
    forms.add(f);
    forms.add(f.replace(/=+$/, ''));
  }
  const bytes = Buffer.from(value, 'utf8');
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
    const first = Math.ceil((8 * shift) / 6);
    const last = Math.floor((8 * (shift + bytes.length)) / 6); // exclusive
    if (last - first >= MIN_PARTIAL_BASE64) {
      const part = shifted.slice(first, last);
      forms.add(part);
      forms.add(part.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  const percent = [
    encodeURIComponentSafe(value),
    percentEncode(value, '/'),
    percentEncode(value, '', true),
    new URLSearchParams([['k', value]]).toString().slice(2),
  ];
  for (const p of percent) {
    forms.add(p);
    forms.add(p.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  }
  forms.delete('');
  return [...forms];
}

function encodeURIComponentSafe(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // lone surrogate; the raw form is already covered
  }
}

export class Redactor {
  private readonly entries: { name: string; value: string }[] = [];
  private matcher: RegExp | null = null;
  private labels = new Map<string, string>(); // form -> name
  private dirty = false;

  constructor(secrets?: Iterable<readonly [name: string, value: string]>) {
    if (secrets !== undefined) for (const [name, value] of secrets) this.add(name, value);
  }

  /** Adds a value (a decrypted secret, a server key, a credential computed by an expression). */
  add(name: string, value: string): void {
    if (value === '' || this.entries.some((e) => e.value === value)) return;
    this.entries.push({ name, value });
    this.dirty = true;
  }

  get size(): number {
    return this.entries.length;
  }

  private build(): RegExp | null {
    if (!this.dirty) return this.matcher;
    this.dirty = false;
    const labels = new Map<string, string>();
    for (const { name, value } of this.entries) {
      for (const form of encodedForms(value)) if (!labels.has(form)) labels.set(form, name);
    }
    this.labels = labels;
    if (labels.size === 0) return (this.matcher = null);
    const alternatives = [...labels.keys()]
      .sort((a, b) => b.length - a.length)
      .map((form) =>
        form.length < SHORT_VALUE_LENGTH ? `(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])` : escapeRegExp(form),
      );
    this.matcher = new RegExp(alternatives.join('|'), 'g');
    return this.matcher;
  }

  redact(text: string): string {
    const matcher = this.build();
    if (matcher === null || text === '') return text;
    return text.replace(matcher, (m) => `[secret:${this.labels.get(m) ?? 'unknown'}]`);
  }

  /** Error messages (and anything else) as redacted text. */
  redactError(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return this.redact(message);
  }

  /**
   * A redacted deep copy of JSON-like data: strings and object keys are redacted. Built
   * iteratively, so deeply nested response data cannot exhaust the stack; the copy is
   * plain objects and arrays whatever the input's prototypes were.
   */
  redactValue(value: unknown): unknown {
    const box: { v?: unknown } = {};
    const stack: [unknown, (v: unknown) => void][] = [[value, (v) => (box.v = v)]];
    while (stack.length > 0) {
      const [src, set] = stack.pop()!;
      // A tainted value shows as its placeholder as a whole, however it was transformed.
      if (isTainted(src)) set(placeholder(src.secrets));
      else if (typeof src === 'string') set(this.redact(src));
      else if (Array.isArray(src)) {
        const out: unknown[] = new Array<unknown>(src.length);
        set(out);
        src.forEach((item, i) => stack.push([item, (v) => (out[i] = v)]));
      } else if (src !== null && typeof src === 'object') {
        const out: Record<string, unknown> = {};
        set(out);
        for (const key of Object.keys(src)) {
          const k = this.redact(key);
          // Define each key now, in source order, and fill its value when the stack gets to
          // it: the stack pops children last-first, so defining keys there reversed objects.
          Object.defineProperty(out, k, { value: null, enumerable: true, writable: true, configurable: true });
          stack.push([(src as Record<string, unknown>)[key], (v) => (out[k] = v)]);
        }
      } else if (typeof src === 'bigint' || typeof src === 'symbol' || typeof src === 'function') {
        set(this.redact(String(src)));
      } else set(src);
    }
    return box.v;
  }
}
