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

/** Forms shorter than this are not searched for in the canonical view (too many chance hits). */
const MIN_CANONICAL_FORM = 8;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Where the (possibly escaped) character starting at `i` ends, and what it decodes to. */
function charAt(text: string, i: number): { ch: string; next: number } {
  const c = text[i]!;
  if (c !== '\\') return { ch: c, next: i + 1 };
  // A run of backslashes counts as one: text escaped twice (JSON quoted inside JSON) reads
  // the same as text escaped once, and a literal backslash the same as its escaped form.
  let j = i;
  while (text[j] === '\\') j++;
  const e = text[j];
  if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) return { ch: SIMPLE_ESCAPES[e]!, next: j + 1 };
  if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 1, j + 5))) return { ch: String.fromCharCode(parseInt(text.slice(j + 1, j + 5), 16)), next: j + 5 };
  return { ch: '\\', next: j };
}

const WHITESPACE = /\s/;

/**
 * `text` with JSON escape sequences decoded and whitespace removed; `starts[i]` is where
 * canonical character i begins in the original (its end: `charAt(text, starts[i]).next`).
 * Code units are collected in a typed array, so a multi-megabyte body costs a few bytes per
 * character, not an array of strings.
 */
export function canonicalView(text: string): { text: string; starts: Int32Array } {
  const units = new Uint16Array(text.length);
  const starts = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; ) {
    const { ch, next } = charAt(text, i);
    if (!WHITESPACE.test(ch)) {
      units[n] = ch.charCodeAt(0);
      starts[n] = i;
      n++;
    }
    i = next;
  }
  let out = '';
  for (let k = 0; k < n; k += 8192) out += String.fromCharCode(...units.subarray(k, Math.min(n, k + 8192)));
  return { text: out, starts };
}

export class Redactor {
  private readonly entries: { name: string; value: string }[] = [];
  private matcher: RegExp | null = null;
  private labels = new Map<string, string>(); // form -> name
  private canonicalMatcher: RegExp | null = null;
  private canonicalLabels = new Map<string, string>();
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
    const canonical = new Map<string, string>();
    for (const [form, name] of labels) {
      const c = canonicalView(form).text;
      if (c.length >= MIN_CANONICAL_FORM && !canonical.has(c)) canonical.set(c, name);
    }
    this.canonicalLabels = canonical;
    this.canonicalMatcher =
      canonical.size === 0 ? null : new RegExp([...canonical.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    return this.matcher;
  }

  redact(text: string): string {
    const matcher = this.build();
    if (matcher === null || text === '') return text;
    const direct = text.replace(matcher, (m) => `[secret:${this.labels.get(m) ?? 'unknown'}]`);
    return this.redactCanonical(direct);
  }

  /**
   * The second pass: finds values whose text was re-encoded on the way back, by matching on a
   * canonical view of the text (JSON escapes decoded, whitespace dropped) and replacing the
   * span of the original each match came from. This catches `\/` and `\u00e4` escapes, a PEM
   * key whose newlines became `\n` or `\r\n`, and base64 wrapped across lines.
   */
  private redactCanonical(text: string): string {
    const matcher = this.canonicalMatcher;
    if (matcher === null) return text;
    const view = canonicalView(text);
    if (view.text.length < MIN_CANONICAL_FORM) return text;
    const spans: [number, number, string][] = [];
    matcher.lastIndex = 0;
    for (const m of view.text.matchAll(matcher)) {
      const first = m.index;
      const last = first + m[0].length - 1;
      spans.push([view.starts[first]!, charAt(text, view.starts[last]!).next, this.canonicalLabels.get(m[0]) ?? 'unknown']);
    }
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const [start, end, name] of spans) {
      if (start < at) continue;
      out += text.slice(at, start) + `[secret:${name}]`;
      at = end;
    }
    return out + text.slice(at);
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
