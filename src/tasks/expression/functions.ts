import { base64, base64UrlPadded, percentEncode } from '../encoding';
import type { ExpressionErrorCode } from './errors';
import type { Budget } from './limits';
import {
  isDict, isForbiddenKey, isInt, isList, isNumeric, num, ownValue, pyCompare, pyEquals, pyStr,
  toJson, truthy, typeName, admit, type Dict, type Value,
} from './values';

/**
 * The whitelist of callable functions. Each is pure, works only on plain values, and pays
 * for its work through the budget (and checks output sizes *before* building them). These
 * tables are the only things an expression can call: there is no path from a name or an
 * attribute to a host function.
 */

export interface CallContext {
  readonly budget: Budget;
  /** Offset of the call in the source, for error positions. */
  readonly at: number;
  readonly name: string;
}

type Impl = (ctx: CallContext, args: Value[]) => Value;

export interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly impl: Impl;
}

const fail = (ctx: CallContext, message: string, code: ExpressionErrorCode = 'type'): never =>
  ctx.budget.fail(message, code, ctx.at);

function str(ctx: CallContext, v: Value | undefined, what = 'argument'): string {
  if (typeof v !== 'string') fail(ctx, `${ctx.name}() ${what} must be a string, not '${typeName(v ?? null)}'`);
  return v as string;
}

function int(ctx: CallContext, v: Value | undefined, what = 'argument'): number {
  if (v === undefined || !isInt(v)) fail(ctx, `${ctx.name}() ${what} must be an integer, not '${typeName(v ?? null)}'`);
  return num(v as number | boolean);
}

function numeric(ctx: CallContext, v: Value | undefined): number {
  if (v === undefined || !isNumeric(v)) fail(ctx, `${ctx.name}() argument must be a number, not '${typeName(v ?? null)}'`);
  return num(v as number | boolean);
}

function list(ctx: CallContext, v: Value | undefined, what = 'argument'): Value[] {
  if (!isList(v)) fail(ctx, `${ctx.name}() ${what} must be a list, not '${typeName(v ?? null)}'`);
  return v as Value[];
}

function finite(ctx: CallContext, n: number): number {
  if (!Number.isFinite(n)) fail(ctx, `${ctx.name}() result is too large`, 'value');
  return n;
}

/** Iterable in the Python sense: list items, string characters, dict keys. */
function items(ctx: CallContext, v: Value | undefined): Value[] {
  if (isList(v)) return v;
  if (typeof v === 'string') {
    ctx.budget.tick(v.length, ctx.at);
    return Array.from(v);
  }
  if (isDict(v)) return Object.keys(v);
  return fail(ctx, `'${typeName(v ?? null)}' object is not iterable`);
}

/** Charges the budget one unit per item of a list a built-in walks. */
function counted(ctx: CallContext, values: Value[]): Value[] {
  ctx.budget.tick(values.length, ctx.at);
  return values;
}

function codePoints(ctx: CallContext, s: string): string[] {
  ctx.budget.tick(s.length, ctx.at);
  return Array.from(s);
}

function built(ctx: CallContext, s: string): string {
  ctx.budget.checkString(s.length, ctx.at);
  return s;
}

// ---- string operations shared by the function and method forms ----------------------------

const WHITESPACE = ' \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u0085\u001c\u001d\u001e\u001f';

function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(Array.from(chars));
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && set.has(cps[a]!)) a++;
  if (right) while (b > a && set.has(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

function stripImpl(left: boolean, right: boolean): Impl {
  return (ctx, [s, chars]) => {
    const text = str(ctx, s);
    ctx.budget.tick(text.length, ctx.at);
    const set = chars === undefined || chars === null ? WHITESPACE : str(ctx, chars, 'chars');
    return stripChars(text, set, left, right);
  };
}

const splitImpl: Impl = (ctx, [s, sep, maxsplit]) => {
  const text = str(ctx, s);
  ctx.budget.tick(text.length, ctx.at);
  const limit = maxsplit === undefined ? -1 : int(ctx, maxsplit, 'maxsplit');
  let parts: string[];
  if (sep === undefined || sep === null) {
    const trimmed = stripChars(text, WHITESPACE, true, false);
    parts = [];
    let rest = trimmed;
    while (rest !== '') {
      if (limit >= 0 && parts.length === limit) {
        parts.push(rest);
        break;
      }
      const m = /[\s\u0085\u001c-\u001f]+/.exec(rest);
      if (m === null) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
  } else {
    const separator = str(ctx, sep, 'separator');
    if (separator === '') fail(ctx, 'empty separator', 'value');
    parts = text.split(separator);
    if (limit >= 0 && parts.length > limit + 1) {
      parts = [...parts.slice(0, limit), parts.slice(limit).join(separator)];
    }
  }
  ctx.budget.checkCollection(parts.length, ctx.at);
  return parts;
};

function joinStrings(ctx: CallContext, separator: string, values: Value[]): string {
  let total = separator.length * Math.max(0, values.length - 1);
  values.forEach((v, i) => {
    if (typeof v !== 'string') fail(ctx, `${ctx.name}(): item ${i} must be a string, not '${typeName(v)}' (use str())`);
    total += (v as string).length;
  });
  ctx.budget.checkString(total, ctx.at);
  ctx.budget.tick(values.length + total, ctx.at);
  return (values as string[]).join(separator);
}

const replaceImpl: Impl = (ctx, [s, oldV, newV, countV]) => {
  const text = str(ctx, s);
  const from = str(ctx, oldV, 'old');
  const to = str(ctx, newV, 'new');
  const count = countV === undefined ? -1 : int(ctx, countV, 'count');
  ctx.budget.tick(text.length, ctx.at);
  const pieces = from === '' ? ['', ...Array.from(text), ''] : text.split(from);
  const occurrences = pieces.length - 1;
  const n = count < 0 ? occurrences : Math.min(count, occurrences);
  ctx.budget.checkString(text.length + n * (to.length - from.length), ctx.at);
  if (from === '') {
    const cps = pieces.slice(1, -1);
    let out = '';
    for (let i = 0; i < cps.length; i++) out += (i < n ? to : '') + cps[i];
    return out + (n > cps.length ? to : '');
  }
  if (n === occurrences) return pieces.join(to);
  return pieces.slice(0, n + 1).join(to) + from + pieces.slice(n + 1).join(from);
};

function affixImpl(which: 'start' | 'end'): Impl {
  return (ctx, [s, affix]) => {
    const text = str(ctx, s);
    const options = isList(affix) ? affix : [affix];
    ctx.budget.tick(options.length, ctx.at);
    return options.some((a) => {
      const p = scan(ctx, str(ctx, a ?? null, 'prefix'));
      return which === 'start' ? text.startsWith(p) : text.endsWith(p);
    });
  };
}

const findImpl: Impl = (ctx, [s, sub]) => {
  const text = str(ctx, s);
  const needle = str(ctx, sub, 'substring');
  ctx.budget.tick(text.length, ctx.at);
  const idx = text.indexOf(needle);
  return idx < 0 ? -1 : Array.from(text.slice(0, idx)).length;
};

const countImpl: Impl = (ctx, [s, sub]) => {
  if (isList(s)) {
    let n = 0;
    for (const item of s) if (pyEquals(item, sub ?? null, ctx.budget, ctx.at)) n++;
    return n;
  }
  const text = str(ctx, s);
  const needle = str(ctx, sub, 'substring');
  ctx.budget.tick(text.length, ctx.at);
  if (needle === '') return Array.from(text).length + 1;
  return text.split(needle).length - 1;
};

const titleImpl: Impl = (ctx, [s]) => {
  const text = str(ctx, s);
  ctx.budget.tick(text.length, ctx.at);
  return built(ctx, text.replace(/\p{L}+/gu, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()));
};

const capitalizeImpl: Impl = (ctx, [s]) => {
  const [first = '', ...rest] = codePoints(ctx, str(ctx, s));
  return built(ctx, first.toUpperCase() + rest.join('').toLowerCase());
};

/** Charges the budget for a pass over `s`: every built-in pays for the size of what it reads. */
function scan(ctx: CallContext, s: string): string {
  ctx.budget.tick(s.length, ctx.at);
  return s;
}

const lowerImpl: Impl = (ctx, [s]) => built(ctx, scan(ctx, str(ctx, s)).toLowerCase());
const upperImpl: Impl = (ctx, [s]) => built(ctx, scan(ctx, str(ctx, s)).toUpperCase());

// ---- numbers ------------------------------------------------------------------------------

function bankersRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const roundImpl: Impl = (ctx, [x, digits]) => {
  const n = numeric(ctx, x);
  if (digits === undefined || digits === null) return finite(ctx, bankersRound(n));
  const d = int(ctx, digits, 'ndigits');
  if (d >= 0) return d > 20 ? n : Number(n.toFixed(d));
  const p = 10 ** -d;
  return finite(ctx, bankersRound(n / p) * p);
};

function extreme(sign: 1 | -1): Impl {
  return (ctx, args) => {
    const values = args.length === 1 ? items(ctx, args[0]) : args;
    if (values.length === 0) fail(ctx, `${ctx.name}() of an empty list`, 'value');
    let best: Value = values[0]!;
    for (const v of values.slice(1)) {
      const c = pyCompare(v, best, '<', ctx.budget, ctx.at, (m) => fail(ctx, m));
      if (c * sign > 0) best = v;
    }
    return best;
  };
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';
const INT_PATTERN = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * How a bad argument is described in an error: whole when short, else by its length only.
 * Never a prefix: a cut can split a secret value the text happens to contain (an upstream
 * echo), and a split value is one the redactor can no longer recognise.
 */
function short(s: string): string {
  return s.length > 40 ? `(a string of ${s.length} characters)` : JSON.stringify(s);
}

const intImpl: Impl = (ctx, [x, base]) => {
  if (x === undefined) return 0;
  if (typeof x === 'string') {
    const text = scan(ctx, x).trim();
    if (base !== undefined) {
      const b = int(ctx, base, 'base');
      if (b < 2 || b > 36) fail(ctx, 'int() base must be between 2 and 36', 'value');
      const digits = text.replace(/^[+-]/, '').replace(/_/g, '').toLowerCase();
      const valid = digits !== '' && new RegExp(`^[${DIGITS.slice(0, b)}]+$`).test(digits);
      if (!valid) fail(ctx, `invalid literal for int() with base ${b}: ${short(x)}`, 'value');
      return finite(ctx, (text.startsWith('-') ? -1 : 1) * parseInt(digits, b));
    }
    if (!INT_PATTERN.test(text)) fail(ctx, `invalid literal for int() with base 10: ${short(x)}`, 'value');
    return finite(ctx, Number(text.replace(/_/g, '')));
  }
  if (base !== undefined) fail(ctx, "int() can't convert a non-string with an explicit base");
  return finite(ctx, Math.trunc(numeric(ctx, x)));
};

const floatImpl: Impl = (ctx, [x]) => {
  if (x === undefined) return 0;
  if (typeof x === 'string') {
    const text = scan(ctx, x).trim();
    if (!FLOAT_PATTERN.test(text)) fail(ctx, `could not convert string to float: ${short(x)}`, 'value');
    return finite(ctx, Number(text));
  }
  return numeric(ctx, x);
};

const rangeImpl: Impl = (ctx, args) => {
  const [a, b, c] = args.map((v, i) => int(ctx, v, `argument ${i + 1}`));
  const start = args.length === 1 ? 0 : a!;
  const stop = args.length === 1 ? a! : b!;
  const step = c ?? 1;
  if (step === 0) fail(ctx, 'range() step must not be zero', 'value');
  const length = Math.max(0, Math.ceil((stop - start) / step));
  ctx.budget.checkCollection(length, ctx.at);
  ctx.budget.tick(length, ctx.at);
  return Array.from({ length }, (_, i) => start + i * step);
};

// ---- JSON and encodings ---------------------------------------------------------------------

const jsonLoadsImpl: Impl = (ctx, [s]) => {
  const text = scan(ctx, str(ctx, s));
  let parsed: unknown;
  try {
    // Keys the language can never read are dropped rather than kept as traps for code
    // that copies the result with assignment semantics.
    parsed = JSON.parse(text, (key, value: unknown) => (isForbiddenKey(key) ? undefined : value));
  } catch {
    // V8's message quotes the input, which may be a secret: say less.
    return fail(ctx, 'json_loads(): the string is not valid JSON', 'value');
  }
  // Walk it once, iteratively, so later recursive operations are known to be safe.
  const stack: [unknown, number][] = [[parsed, 0]];
  let count = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    ctx.budget.checkValueDepth(depth, ctx.at);
    count++;
    if (isList(v)) {
      ctx.budget.checkCollection(v.length, ctx.at);
      for (const item of v) stack.push([item, depth + 1]);
    } else if (isDict(v)) {
      for (const item of Object.values(v)) stack.push([item, depth + 1]);
    }
  }
  ctx.budget.tick(count, ctx.at);
  return parsed as Value;
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function b64decode(ctx: CallContext, s: Value | undefined, urlSafe: boolean): string {
  const text = str(ctx, s);
  ctx.budget.tick(text.length, ctx.at);
  const alphabet = urlSafe ? /^[A-Za-z0-9\-_]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!alphabet.test(text) || text.length % 4 !== 0) fail(ctx, `${ctx.name}(): invalid base64`, 'value');
  const bytes = Buffer.from(text, urlSafe ? 'base64url' : 'base64');
  try {
    return utf8.decode(bytes);
  } catch {
    return fail(ctx, `${ctx.name}(): decoded bytes are not UTF-8 text`, 'value');
  }
}

const urlencodeImpl: Impl = (ctx, [d]) => {
  if (!isDict(d)) fail(ctx, `urlencode() argument must be a dict, not '${typeName(d ?? null)}'`);
  const pairs: string[] = [];
  let length = 0;
  for (const [k, v] of Object.entries(d as Dict)) {
    const pair = percentEncode(scan(ctx, k), '', true) + '=' + percentEncode(scan(ctx, pyStr(admit(v, (m) => fail(ctx, m, 'forbidden')), ctx.budget, ctx.at)), '', true);
    length += pair.length + 1;
    ctx.budget.checkString(length, ctx.at);
    pairs.push(pair);
  }
  return pairs.join('&');
};

function encoded(ctx: CallContext, s: string, produce: (s: string) => string): string {
  // Inputs are already capped and an encoding grows a string at most 9x, so building first
  // and checking after is bounded.
  ctx.budget.tick(s.length, ctx.at);
  return built(ctx, produce(s));
}

// ---- dict helpers -----------------------------------------------------------------------------

function dictArg(ctx: CallContext, d: Value | undefined): Dict {
  if (!isDict(d)) fail(ctx, `${ctx.name}() requires a dict, not '${typeName(d ?? null)}'`);
  return d as Dict;
}

function dictEntries(ctx: CallContext, d: Dict): [string, Value][] {
  const keys = Object.keys(d).filter((k) => !isForbiddenKey(k));
  ctx.budget.tick(keys.length, ctx.at);
  return keys.map((k) => [k, admit(ownValue(d, k), (m) => fail(ctx, m, 'forbidden'))]);
}

// ---- the tables -------------------------------------------------------------------------------

const spec = (min: number, max: number, impl: Impl): FunctionSpec => ({ min, max, impl });

const stringMethods: Record<string, FunctionSpec> = {
  lower: spec(1, 1, lowerImpl),
  upper: spec(1, 1, upperImpl),
  strip: spec(1, 2, stripImpl(true, true)),
  lstrip: spec(1, 2, stripImpl(true, false)),
  rstrip: spec(1, 2, stripImpl(false, true)),
  split: spec(1, 3, splitImpl),
  replace: spec(3, 4, replaceImpl),
  startswith: spec(2, 2, affixImpl('start')),
  endswith: spec(2, 2, affixImpl('end')),
  find: spec(2, 2, findImpl),
  count: spec(2, 2, countImpl),
  title: spec(1, 1, titleImpl),
  capitalize: spec(1, 1, capitalizeImpl),
  // sep.join(items), as in Python.
  join: spec(2, 2, (ctx, [sep, values]) => joinStrings(ctx, str(ctx, sep), items(ctx, values))),
};

const listMethods: Record<string, FunctionSpec> = {
  count: spec(2, 2, countImpl),
  index: spec(2, 2, (ctx, [l, x]) => {
    const values = list(ctx, l);
    const i = values.findIndex((v) => pyEquals(v, x ?? null, ctx.budget, ctx.at));
    if (i < 0) fail(ctx, 'list.index(x): x not in list', 'value');
    return i;
  }),
};

const dictMethods: Record<string, FunctionSpec> = {
  get: spec(2, 3, (ctx, [d, k, dflt]) => {
    const key = str(ctx, k, 'key');
    if (isForbiddenKey(key)) fail(ctx, `access to '${key}' is not allowed`, 'forbidden');
    const v = ownValue(dictArg(ctx, d), key);
    return v === undefined ? (dflt ?? null) : admit(v, (m) => fail(ctx, m, 'forbidden'));
  }),
  keys: spec(1, 1, (ctx, [d]) => dictEntries(ctx, dictArg(ctx, d)).map(([k]) => k)),
  values: spec(1, 1, (ctx, [d]) => dictEntries(ctx, dictArg(ctx, d)).map(([, v]) => v)),
  items: spec(1, 1, (ctx, [d]) => dictEntries(ctx, dictArg(ctx, d)).map(([k, v]) => [k, v])),
};

export const METHODS: Readonly<Record<'str' | 'list' | 'dict', Readonly<Record<string, FunctionSpec>>>> = {
  str: stringMethods,
  list: listMethods,
  dict: dictMethods,
};

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  len: spec(1, 1, (ctx, [x]) => {
    if (typeof x === 'string') return codePoints(ctx, x).length;
    if (isList(x)) return x.length;
    if (isDict(x)) return Object.keys(x).length;
    return fail(ctx, `object of type '${typeName(x ?? null)}' has no len()`);
  }),
  str: spec(0, 1, (ctx, [x]) => (x === undefined ? '' : pyStr(x, ctx.budget, ctx.at))),
  int: spec(0, 2, intImpl),
  float: spec(0, 1, floatImpl),
  bool: spec(0, 1, (_ctx, [x]) => (x === undefined ? false : truthy(x))),
  abs: spec(1, 1, (ctx, [x]) => Math.abs(numeric(ctx, x))),
  round: spec(1, 2, roundImpl),
  min: spec(1, Infinity, extreme(-1)),
  max: spec(1, Infinity, extreme(1)),
  sum: spec(1, 2, (ctx, [l, start]) => {
    let total = start === undefined ? 0 : numeric(ctx, start);
    const values = items(ctx, l);
    ctx.budget.tick(values.length, ctx.at);
    for (const v of values) total += numeric(ctx, v);
    return finite(ctx, total);
  }),
  sorted: spec(1, 2, (ctx, [l, reverse]) => {
    const values = [...items(ctx, l)];
    ctx.budget.tick(values.length * Math.max(1, Math.ceil(Math.log2(values.length + 1))), ctx.at);
    values.sort((a, b) => pyCompare(a, b, '<', ctx.budget, ctx.at, (m) => fail(ctx, m)));
    return reverse !== undefined && truthy(reverse) ? values.reverse() : values;
  }),
  reversed: spec(1, 1, (ctx, [l]) => [...counted(ctx, items(ctx, l))].reverse()),
  list: spec(0, 1, (ctx, [l]) => (l === undefined ? [] : [...counted(ctx, items(ctx, l))])),
  range: spec(1, 3, rangeImpl),
  any: spec(1, 1, (ctx, [l]) => counted(ctx, items(ctx, l)).some((v) => truthy(v))),
  all: spec(1, 1, (ctx, [l]) => counted(ctx, items(ctx, l)).every((v) => truthy(v))),
  type: spec(1, 1, (_ctx, [x]) => typeName(x ?? null)),
  // String helpers in function form: f(s, ...) == s.f(...). join takes the list first,
  // join(items, sep), which reads naturally without a method call.
  lower: stringMethods.lower!,
  upper: stringMethods.upper!,
  strip: stringMethods.strip!,
  lstrip: stringMethods.lstrip!,
  rstrip: stringMethods.rstrip!,
  split: stringMethods.split!,
  replace: stringMethods.replace!,
  startswith: stringMethods.startswith!,
  endswith: stringMethods.endswith!,
  join: spec(1, 2, (ctx, [values, sep]) => joinStrings(ctx, sep === undefined ? '' : str(ctx, sep, 'separator'), items(ctx, values))),
  json_dumps: spec(1, 2, (ctx, [x, indent]) =>
    toJson(x ?? null, ctx.budget, ctx.at, indent === undefined || indent === null ? null : Math.max(0, Math.min(16, int(ctx, indent, 'indent')))),
  ),
  json_loads: spec(1, 1, jsonLoadsImpl),
  urlencode: spec(1, 1, urlencodeImpl),
  quote: spec(1, 2, (ctx, [s, safe]) => encoded(ctx, str(ctx, s), (t) => percentEncode(t, safe === undefined ? '/' : str(ctx, safe, 'safe')))),
  quote_plus: spec(1, 1, (ctx, [s]) => encoded(ctx, str(ctx, s), (t) => percentEncode(t, '', true))),
  unquote: spec(1, 1, (ctx, [s]) => {
    const text = str(ctx, s);
    ctx.budget.tick(text.length, ctx.at);
    try {
      return decodeURIComponent(text);
    } catch {
      return fail(ctx, 'unquote(): malformed percent-encoding', 'value');
    }
  }),
  b64encode: spec(1, 1, (ctx, [s]) => encoded(ctx, str(ctx, s), base64)),
  b64decode: spec(1, 1, (ctx, [s]) => b64decode(ctx, s, false)),
  urlsafe_b64encode: spec(1, 1, (ctx, [s]) => encoded(ctx, str(ctx, s), base64UrlPadded)),
  urlsafe_b64decode: spec(1, 1, (ctx, [s]) => b64decode(ctx, s, true)),
};

export function lookupFunction(name: string): FunctionSpec | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}

export function lookupMethod(receiver: Value, name: string): FunctionSpec | undefined {
  const table = typeof receiver === 'string' ? METHODS.str : isList(receiver) ? METHODS.list : isDict(receiver) ? METHODS.dict : undefined;
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}
