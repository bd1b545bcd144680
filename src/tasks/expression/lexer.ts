import { ExpressionError } from './errors';

/**
 * Tokenizer for the Python-like expression subset. Works on a [from, to) window of the full
 * source so that f-string parts are tokenized in place and every offset (and therefore every
 * error position) is relative to the whole expression, not to a fragment.
 */

export type FStringPart =
  | { readonly kind: 'text'; readonly value: string }
  /** [start, end) of the embedded expression in the full source. */
  | { readonly kind: 'expr'; readonly start: number; readonly end: number };

export type Token =
  | { readonly type: 'number'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly type: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'fstring'; readonly parts: readonly FStringPart[]; readonly start: number; readonly end: number }
  | { readonly type: 'name'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'keyword'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'op'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'eof'; readonly start: number; readonly end: number };

export const KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'not', 'in', 'is', 'if', 'else',
  'True', 'False', 'None', 'true', 'false', 'null',
]);

/** Python keywords we deliberately do not support; lexed as keywords so the parser can say so. */
export const UNSUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  'lambda', 'for', 'while', 'def', 'class', 'import', 'from', 'as', 'with', 'yield', 'await',
  'async', 'return', 'del', 'global', 'nonlocal', 'pass', 'raise', 'try', 'except', 'finally',
  'assert', 'break', 'continue', 'elif',
]);

const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '<', '>', '(', ')', '[', ']', '{', '}', ',', ':', '.'];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentChar = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function tokenize(source: string, from = 0, to = source.length): Token[] {
  const tokens: Token[] = [];
  const fail = (message: string, at: number): never => {
    throw new ExpressionError(message, 'syntax', source, at);
  };
  let i = from;
  while (true) {
    while (i < to && isSpace(source[i])) i++;
    if (i >= to) break;
    const c = source[i]!;
    const start = i;

    if (isIdentStart(c)) {
      while (i < to && isIdentChar(source[i])) i++;
      const word = source.slice(start, i);
      const q = source[i];
      if ((q === '"' || q === "'") && i < to) {
        const prefix = word.toLowerCase();
        if (prefix === 'f' || prefix === 'r' || prefix === 'fr' || prefix === 'rf') {
          const tok = lexString(source, start, i, to, prefix.includes('f'), prefix.includes('r'), fail);
          tokens.push(tok);
          i = tok.end;
          continue;
        }
        if (prefix === 'b' || prefix === 'rb' || prefix === 'br' || prefix === 'u') {
          fail(`string prefix '${word}' is not supported`, start);
        }
      }
      tokens.push({ type: KEYWORDS.has(word) || UNSUPPORTED_KEYWORDS.has(word) ? 'keyword' : 'name', value: word, start, end: i });
      continue;
    }

    if (c === '"' || c === "'") {
      const tok = lexString(source, start, start, to, false, false, fail);
      tokens.push(tok);
      i = tok.end;
      continue;
    }

    if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) {
      const tok = lexNumber(source, start, to, fail);
      tokens.push(tok);
      i = tok.end;
      continue;
    }

    const op = OPERATORS.find((o) => source.startsWith(o, i) && i + o.length <= to);
    if (op !== undefined) {
      tokens.push({ type: 'op', value: op, start, end: i + op.length });
      i += op.length;
      continue;
    }
    if (c === '=') fail("unexpected '='; use '==' to compare (assignment and keyword arguments are not supported)", start);
    if (c === '!') fail("unexpected '!'; use 'not' or '!='", start);
    if (c === '|') fail("unexpected '|'; filters are not supported, call a function instead, e.g. upper(x)", start);
    if (c === '&') fail("unexpected '&'; use 'and'", start);
    fail(`unexpected character ${JSON.stringify(c)}`, start);
  }
  tokens.push({ type: 'eof', start: i, end: i });
  return tokens;
}

function lexNumber(source: string, start: number, to: number, fail: (m: string, at: number) => never): Token {
  let i = start;
  let text: string;
  const radix = source[i] === '0' ? source[i + 1]?.toLowerCase() : undefined;
  if (radix === 'x' || radix === 'o' || radix === 'b') {
    i += 2;
    const digits = radix === 'x' ? /[0-9a-fA-F_]/ : radix === 'o' ? /[0-7_]/ : /[01_]/;
    const ds = i;
    while (i < to && digits.test(source[i]!)) i++;
    const body = source.slice(ds, i).replace(/_/g, '');
    if (body === '') fail('invalid number', start);
    text = source.slice(start, i);
    if (i < to && isIdentChar(source[i])) fail('invalid number', start);
    const value = parseInt(body, radix === 'x' ? 16 : radix === 'o' ? 8 : 2);
    if (!Number.isSafeInteger(value)) fail('number is too large', start);
    return { type: 'number', value, start, end: i };
  }
  const digits = () => {
    const ds = i;
    while (i < to && (isDigit(source[i]) || (source[i] === '_' && isDigit(source[i + 1]) && i > ds))) i++;
  };
  digits();
  if (source[i] === '.' && i < to) {
    i++;
    digits();
  }
  if ((source[i] === 'e' || source[i] === 'E') && i < to) {
    const save = i;
    i++;
    if (source[i] === '+' || source[i] === '-') i++;
    if (!isDigit(source[i])) i = save;
    else digits();
  }
  text = source.slice(start, i).replace(/_/g, '');
  if (i < to && isIdentChar(source[i])) fail('invalid number', start);
  const value = Number(text);
  if (!Number.isFinite(value)) fail('number is too large', start);
  return { type: 'number', value, start, end: i };
}

function lexString(
  source: string,
  tokenStart: number,
  quoteAt: number,
  to: number,
  isF: boolean,
  isRaw: boolean,
  fail: (m: string, at: number) => never,
): Token {
  const q = source[quoteAt]!;
  const triple = source.startsWith(q + q + q, quoteAt) && quoteAt + 3 <= to;
  const qlen = triple ? 3 : 1;
  const contentStart = quoteAt + qlen;
  let j = contentStart;
  // Find the end first, as Python (before 3.12) does: braces do not matter for termination.
  while (true) {
    if (j >= to) fail('unterminated string', tokenStart);
    const ch = source[j];
    if (ch === '\\') {
      j += 2;
      continue;
    }
    if (!triple && ch === '\n') fail('unterminated string (use \\n for a newline)', tokenStart);
    if (triple ? source.startsWith(q + q + q, j) : ch === q) break;
    j++;
  }
  const contentEnd = j;
  const end = j + qlen;
  if (end > to) fail('unterminated string', tokenStart);
  if (!isF) {
    const value = isRaw ? source.slice(contentStart, contentEnd) : unescape(source, contentStart, contentEnd, fail);
    return { type: 'string', value, start: tokenStart, end };
  }
  return { type: 'fstring', parts: fstringParts(source, contentStart, contentEnd, isRaw, fail), start: tokenStart, end };
}

function fstringParts(
  source: string,
  from: number,
  to: number,
  isRaw: boolean,
  fail: (m: string, at: number) => never,
): FStringPart[] {
  const parts: FStringPart[] = [];
  let text = '';
  let segStart = from;
  const flush = (segEnd: number) => {
    if (segEnd > segStart) text += isRaw ? source.slice(segStart, segEnd) : unescape(source, segStart, segEnd, fail);
  };
  let i = from;
  while (i < to) {
    const c = source[i];
    if (c === '\\' && !isRaw) {
      i += 2;
      continue;
    }
    if (c === '{' && source[i + 1] === '{' && i + 1 < to) {
      flush(i);
      text += '{';
      i += 2;
      segStart = i;
      continue;
    }
    if (c === '}' && source[i + 1] === '}' && i + 1 < to) {
      flush(i);
      text += '}';
      i += 2;
      segStart = i;
      continue;
    }
    if (c === '}') fail("single '}' is not allowed in an f-string (write '}}')", i);
    if (c === '{') {
      flush(i);
      if (text !== '') parts.push({ kind: 'text', value: text });
      text = '';
      const exprStart = i + 1;
      const exprEnd = findExpressionEnd(source, exprStart, to, fail);
      if (source.slice(exprStart, exprEnd).trim() === '') fail('empty expression in f-string', i);
      parts.push({ kind: 'expr', start: exprStart, end: exprEnd });
      i = exprEnd + 1;
      segStart = i;
      continue;
    }
    i++;
  }
  flush(to);
  if (text !== '') parts.push({ kind: 'text', value: text });
  return parts;
}

/** Returns the offset of the '}' closing an f-string replacement field that starts at `from`. */
function findExpressionEnd(source: string, from: number, to: number, fail: (m: string, at: number) => never): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < to; i++) {
    const c = source[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    } else if (depth === 0 && c === ':') {
      fail('format specifications like {x:.2f} are not supported; use round() or str()', i);
    } else if (depth === 0 && c === '!' && source[i + 1] !== '=') {
      fail('conversions like {x!r} are not supported', i);
    }
  }
  return fail("expected '}' to close the f-string expression", from - 1);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', a: '\x07', '0': '\0',
  '\n': '',
};

function unescape(source: string, from: number, to: number, fail: (m: string, at: number) => never): string {
  if (source.indexOf('\\', from) === -1 || source.indexOf('\\', from) >= to) return source.slice(from, to);
  let out = '';
  for (let i = from; i < to; i++) {
    const c = source[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = source[i + 1];
    if (e === undefined || i + 1 >= to) {
      out += '\\';
      continue;
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const hex = source.slice(i + 2, i + 2 + hexLen);
      if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex) || i + 2 + hexLen > to) {
        fail(`invalid \\${e} escape`, i);
      }
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) fail(`invalid \\${e} escape`, i);
      out += String.fromCodePoint(cp);
      i += 1 + hexLen;
      continue;
    }
    // Python keeps unknown escapes verbatim ("\d" stays backslash-d); so do we.
    out += '\\' + e;
    i++;
  }
  return out;
}
