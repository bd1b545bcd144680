import { compileExpression, ExpressionError, evaluateExpression, type CompiledExpression, type ExpressionLimits, type Scope, type Value } from './expression';
import { Budget, resolveLimits } from './expression/limits';
import { taint, unwrapDeep } from './expression/taint';
import { newDict, pyStr } from './expression/values';
import { describeLocation, problemAt, type Problems, type Site } from './problems';
import type { LNode } from './source';

/**
 * Values in a task document that may be computed at run time. The rule for strings:
 *   "$ expr"          the whole string is an expression; its value keeps its type
 *   "a {{ expr }} b"  template: each {{ }} is replaced by str(value)
 *   "{{ expr }}"      a template that is exactly one field keeps the value's type, so
 *                     `json: "{{ steps[0].output }}"` sends an object, not its text
 *   anything else     literal
 * Keys are always literal. There is no escape for a literal "{{": write `$ '{{'`.
 */

export type TemplatePart = string | { readonly expr: CompiledExpression; readonly offset: number };

export type TemplateValue =
  | { readonly kind: 'literal'; readonly value: null | boolean | number | string; readonly site: Site }
  /** `offset` is where the expression source starts inside the string value. */
  | { readonly kind: 'expression'; readonly expr: CompiledExpression; readonly offset: number; readonly site: Site }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[]; readonly site: Site }
  | { readonly kind: 'list'; readonly items: readonly TemplateValue[]; readonly site: Site }
  | { readonly kind: 'map'; readonly entries: readonly { readonly key: string; readonly value: TemplateValue }[]; readonly site: Site };

export const EXPRESSION_PREFIX = '$ ';

export interface CompileOptions {
  /** Evaluate steps: every string is an expression, with or without the `$ ` prefix. */
  readonly stringsAreExpressions?: boolean;
  readonly limits?: Partial<ExpressionLimits>;
}

export function compileValue(node: LNode, problems: Problems, options: CompileOptions = {}): TemplateValue {
  switch (node.kind) {
    case 'seq':
      return { kind: 'list', items: node.items.map((item) => compileValue(item, problems, options)), site: node.site };
    case 'map':
      return {
        kind: 'map',
        entries: node.entries.map((e) => ({ key: e.key, value: compileValue(e.value, problems, options) })),
        site: node.site,
      };
    case 'scalar':
      if (typeof node.value !== 'string') return { kind: 'literal', value: node.value, site: node.site };
      return compileString(node.value, node.site, problems, options);
  }
}

export function compileString(text: string, site: Site, problems: Problems, options: CompileOptions = {}): TemplateValue {
  const literal: TemplateValue = { kind: 'literal', value: text, site };
  const compile = (source: string, offset: number): CompiledExpression | null => {
    try {
      return compileExpression(source, options.limits);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      problems.add(site, `invalid expression: ${err.message}`, offset + err.offset);
      return null;
    }
  };
  if (text.startsWith(EXPRESSION_PREFIX) || options.stringsAreExpressions === true) {
    const offset = text.startsWith(EXPRESSION_PREFIX) ? EXPRESSION_PREFIX.length : 0;
    const expr = compile(text.slice(offset), offset);
    return expr === null ? literal : { kind: 'expression', expr, offset, site };
  }
  if (!text.includes('{{')) return literal;
  const split = splitTemplate(text);
  if ('error' in split) {
    problems.add(site, split.error, split.at);
    return literal;
  }
  const parts: TemplatePart[] = [];
  let ok = true;
  for (const part of split.parts) {
    if (typeof part === 'string') parts.push(part);
    else {
      const expr = compile(text.slice(part.start, part.end), part.start);
      if (expr === null) ok = false;
      else parts.push({ expr, offset: part.start });
    }
  }
  return ok ? { kind: 'template', parts, site } : literal;
}

/**
 * Finds `{{ ... }}` fields. The closing `}}` is searched outside string literals and
 * brackets, so `{{ {'a': {'b': 1}}['a'] }}` and `{{ '}}' }}` work.
 */
export function splitTemplate(text: string): { parts: (string | { start: number; end: number })[] } | { error: string; at: number } {
  const parts: (string | { start: number; end: number })[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      parts.push(text.slice(i));
      break;
    }
    if (open > i) parts.push(text.slice(i, open));
    let depth = 0;
    let quote: string | null = null;
    let close = -1;
    for (let j = open + 2; j < text.length; j++) {
      const c = text[j];
      if (quote !== null) {
        if (c === '\\') j++;
        else if (c === quote) quote = null;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
      else if (c === '}') {
        if (depth === 0 && text[j + 1] === '}') {
          close = j;
          break;
        }
        depth = Math.max(0, depth - 1);
      }
    }
    if (close < 0) return { error: "unclosed '{{' in template (expected '}}')", at: open };
    parts.push({ start: open + 2, end: close });
    i = close + 2;
  }
  return { parts: parts.filter((p) => p !== '') };
}

// ---- rendering --------------------------------------------------------------------------------

/** A runtime expression failure, located in the task document. */
export class TemplateEvaluationError extends Error {
  override readonly name = 'TemplateEvaluationError';
  constructor(
    message: string,
    readonly path: string | null,
    readonly line: number | null,
    readonly column: number | null,
    readonly expressionError: ExpressionError,
  ) {
    super(message);
  }
}

export interface RenderOptions {
  readonly limits?: Partial<ExpressionLimits>;
  readonly deadline?: number;
}

function located(err: ExpressionError, site: Site, offset: number): TemplateEvaluationError {
  const p = problemAt(site, err.message, offset + err.offset);
  return new TemplateEvaluationError(`${err.message} at ${describeLocation(p)}`, p.path, p.line, p.column, err);
}

function evaluateAt(expr: CompiledExpression, offset: number, site: Site, scope: Scope, options: RenderOptions): Value {
  try {
    return evaluateExpression(expr, scope, options);
  } catch (err) {
    if (err instanceof ExpressionError) throw located(err, site, offset);
    throw err;
  }
}

export function renderValue(value: TemplateValue, scope: Scope, options: RenderOptions = {}): Value {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'expression':
      return evaluateAt(value.expr, value.offset, value.site, scope, options);
    case 'template': {
      const [only] = value.parts;
      if (value.parts.length === 1 && only !== undefined && typeof only !== 'string') {
        return evaluateAt(only.expr, only.offset, value.site, scope, options);
      }
      const limits = resolveLimits(options.limits);
      let out = '';
      // A template with a tainted field is tainted whole, like an f-string.
      let secrets: Set<string> | null = null;
      let failed: string | null = null;
      for (const part of value.parts) {
        let piece: string;
        if (typeof part === 'string') piece = part;
        else {
          const u = unwrapDeep(evaluateAt(part.expr, part.offset, value.site, scope, options));
          if (u.secrets !== null) {
            secrets ??= new Set();
            for (const name of u.secrets) secrets.add(name);
          }
          failed ??= u.failed;
          piece = pyStr(u.value, new Budget(limits, part.expr.source, options.deadline), 0);
        }
        if (out.length + piece.length > limits.maxStringLength) {
          throw located(
            new ExpressionError(`rendered template exceeds ${limits.maxStringLength} characters`, 'budget', '', 0),
            value.site,
            0,
          );
        }
        out += piece;
      }
      return secrets === null ? out : taint(failed === null ? out : null, secrets, failed);
    }
    case 'list':
      return value.items.map((item) => renderValue(item, scope, options));
    case 'map': {
      const out = newDict();
      for (const e of value.entries) out[e.key] = renderValue(e.value, scope, options);
      return out;
    }
  }
}

/** Every expression in a value, with where it sits (for static analysis). */
export function* expressionsIn(value: TemplateValue): Generator<{ expr: CompiledExpression; offset: number; site: Site }> {
  switch (value.kind) {
    case 'literal':
      return;
    case 'expression':
      yield { expr: value.expr, offset: value.offset, site: value.site };
      return;
    case 'template':
      for (const part of value.parts) if (typeof part !== 'string') yield { expr: part.expr, offset: part.offset, site: value.site };
      return;
    case 'list':
      for (const item of value.items) yield* expressionsIn(item);
      return;
    case 'map':
      for (const e of value.entries) yield* expressionsIn(e.value);
      return;
  }
}
