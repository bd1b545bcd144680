import type { BinaryOp, CompareOp, Node, NodeOf } from './ast';
import { ExpressionError, type ExpressionErrorCode } from './errors';
import { lookupFunction, lookupMethod, type CallContext, type FunctionSpec } from './functions';
import { Budget, type ExpressionLimits } from './limits';
import { isTainted, taint, unwrapDeep, type Unwrapped } from './taint';
import {
  admit, isDict, isForbiddenKey, isInt, isList, isNumeric, newDict, num, ownValue, pyCompare, pyEquals, pyStr,
  truthy, typeName, type Value,
} from './values';

/**
 * Tree-walking evaluator. Safety comes from construction, not from filtering: the only
 * values are JSON data (vetted by `admit` whenever they are read from the host), property
 * reads go through own data properties, and the only callables are the whitelist tables in
 * functions.ts. Every node evaluated ticks the budget.
 *
 * Taint (see taint.ts): every operation goes through `lift`, which opens tainted operands,
 * computes on the raw values and boxes the result with their secrets. Control flow counts
 * as data: the result of `x if c else y`, `a and b` and a comparison chain is tainted when
 * the condition that chose it was. An operation on tainted data that fails yields a failed
 * box instead of an error, so neither an error's text nor its presence describes a secret.
 */

export type Scope = Readonly<Record<string, unknown>>;

export function evaluateAst(ast: Node, source: string, scope: Scope, limits: ExpressionLimits, deadline?: number): Value {
  const evaluator = new Evaluator(source, scope, new Budget(limits, source, deadline));
  try {
    return evaluator.eval(ast);
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    if (err instanceof RangeError) {
      // Stack exhaustion from a pathological value; the depth limits should prevent it.
      throw new ExpressionError('expression or value is nested too deeply', 'budget', source, ast.start);
    }
    throw new ExpressionError('internal error while evaluating the expression', 'internal', source, ast.start);
  }
}

class Evaluator {
  constructor(
    private readonly source: string,
    private readonly scope: Scope,
    private readonly budget: Budget,
  ) {}

  private fail(message: string, code: ExpressionErrorCode, at: number): never {
    throw new ExpressionError(message, code, this.source, at);
  }

  private admitAt(v: unknown, at: number): Value {
    return admit(v, (m) => this.fail(m, 'forbidden', at));
  }

  /** A box opened one level (its truthiness, type and items are what shallow operations use). */
  private open(v: Value): Unwrapped {
    return isTainted(v) ? { value: v.value, secrets: new Set(v.secrets), failed: v.failed } : { value: v, secrets: null, failed: null };
  }

  /**
   * Runs `compute` on the operands with their boxes opened (deep: containers too, for
   * operations that read inside them) and boxes the result with every secret involved.
   */
  private lift(operands: Value[], at: number, deep: boolean, compute: (raw: Value[]) => Value): Value {
    let secrets: Set<string> | null = null;
    let failed: string | null = null;
    const raw = operands.map((v) => {
      const u = deep ? unwrapDeep(v, (n) => this.budget.tick(n, at)) : this.open(v);
      if (u.secrets !== null) {
        secrets ??= new Set();
        for (const name of u.secrets) secrets.add(name);
      }
      failed ??= u.failed;
      return u.value;
    });
    if (secrets === null) return compute(operands);
    if (failed !== null) return taint(null, secrets, failed);
    try {
      return taint(compute(raw), secrets);
    } catch (err) {
      // Budgets stay errors: they bound the work, and their messages carry no data.
      if (err instanceof ExpressionError && err.code !== 'budget') return taint(null, secrets, `line ${err.line}, column ${err.column}`);
      throw err;
    }
  }

  eval(node: Node): Value {
    this.budget.tick(1, node.start);
    switch (node.type) {
      case 'Literal':
        return node.value;
      case 'FString':
        return this.fstring(node);
      case 'Name':
        return this.name(node);
      case 'Attribute':
        return this.attribute(node);
      case 'Index': {
        const at = node.index.start;
        return this.lift([this.eval(node.object), this.eval(node.index)], at, false, ([o, k]) => this.index(o!, k!, at));
      }
      case 'Slice':
        return this.slice(node);
      case 'Call':
        return this.call(node);
      case 'Unary':
        return this.lift([this.eval(node.operand)], node.start, true, ([v]) => this.unary(node, v!));
      case 'Binary':
        return this.lift([this.eval(node.left), this.eval(node.right)], node.start, true, ([a, b]) => this.binary(node.op, a!, b!, node));
      case 'Compare':
        return this.compare(node);
      case 'BoolOp': {
        const left = this.eval(node.left);
        const test = this.open(left);
        if (test.failed !== null) return left;
        const pick = node.op === 'and' ? (truthy(test.value) ? this.eval(node.right) : left) : truthy(test.value) ? left : this.eval(node.right);
        return test.secrets === null ? pick : taint(pick, test.secrets);
      }
      case 'Conditional': {
        const cond = this.eval(node.test);
        const test = this.open(cond);
        if (test.failed !== null) return cond;
        const pick = truthy(test.value) ? this.eval(node.body) : this.eval(node.orelse);
        return test.secrets === null ? pick : taint(pick, test.secrets);
      }
      case 'List': {
        this.budget.checkCollection(node.items.length, node.start);
        return node.items.map((item) => this.eval(item));
      }
      case 'Dict':
        return this.dict(node);
    }
  }

  private fstring(node: NodeOf<'FString'>): Value {
    const values = node.parts.map((part) => (typeof part === 'string' ? part : this.eval(part)));
    return this.lift(values, node.start, true, (raw) => {
      let out = '';
      raw.forEach((v, i) => {
        const part = node.parts[i]!;
        const piece = typeof part === 'string' ? part : pyStr(v, this.budget, part.start);
        this.budget.checkString(out.length + piece.length, node.start);
        out += piece;
      });
      return out;
    });
  }

  private name(node: NodeOf<'Name'>): Value {
    if (isForbiddenKey(node.name)) this.fail(`access to '${node.name}' is not allowed`, 'forbidden', node.start);
    const desc = Object.getOwnPropertyDescriptor(this.scope, node.name);
    if (desc !== undefined && 'value' in desc) return this.admitAt(desc.value, node.start);
    if (lookupFunction(node.name) !== undefined) {
      this.fail(`'${node.name}' is a function; call it, e.g. ${node.name}(x)`, 'type', node.start);
    }
    return this.fail(`name '${node.name}' is not defined`, 'name', node.start);
  }

  private attribute(node: NodeOf<'Attribute'>): Value {
    if (isForbiddenKey(node.name)) this.fail(`access to '${node.name}' is not allowed`, 'forbidden', node.nameStart);
    return this.lift([this.eval(node.object)], node.nameStart, false, ([object]) => this.attributeOf(node, object!));
  }

  private attributeOf(node: NodeOf<'Attribute'>, object: Value): Value {
    if (isDict(object)) {
      const v = ownValue(object, node.name);
      if (v !== undefined) return this.admitAt(v, node.nameStart);
      if (lookupMethod(object, node.name) !== undefined) {
        this.fail(`'${node.name}' is a method; call it: .${node.name}(...)`, 'type', node.nameStart);
      }
      return this.fail(`key '${node.name}' not found${keyHint(object)}`, 'key', node.nameStart);
    }
    if (lookupMethod(object, node.name) !== undefined) {
      this.fail(`'${node.name}' is a method; call it: .${node.name}(...)`, 'type', node.nameStart);
    }
    return this.fail(`'${typeName(object)}' object has no attribute '${node.name}'`, 'type', node.nameStart);
  }

  private index(object: Value, key: Value, at: number): Value {
    if (isList(object)) {
      if (!isInt(key) || typeof key === 'boolean') {
        this.fail(`list indices must be integers, not '${typeName(key)}'`, 'type', at);
      }
      const i = (key as number) < 0 ? (key as number) + object.length : (key as number);
      if (i < 0 || i >= object.length) this.fail(`list index ${key as number} out of range (length ${object.length})`, 'key', at);
      return this.admitAt(ownValue(object, i), at);
    }
    if (typeof object === 'string') {
      if (!isInt(key) || typeof key === 'boolean') {
        this.fail(`string indices must be integers, not '${typeName(key)}'`, 'type', at);
      }
      this.budget.tick(object.length, at);
      const cps = Array.from(object);
      const i = (key as number) < 0 ? (key as number) + cps.length : (key as number);
      if (i < 0 || i >= cps.length) this.fail('string index out of range', 'key', at);
      return cps[i]!;
    }
    if (isDict(object)) {
      if (typeof key !== 'string') return this.fail(`key ${pyStr(key, this.budget, at)} not found (dict keys are strings)`, 'key', at);
      if (isForbiddenKey(key)) this.fail(`access to '${key}' is not allowed`, 'forbidden', at);
      const v = ownValue(object, key);
      if (v === undefined) this.fail(`key '${key}' not found${keyHint(object)}`, 'key', at);
      return this.admitAt(v, at);
    }
    return this.fail(`'${typeName(object)}' object is not subscriptable`, 'type', at);
  }

  private slice(node: NodeOf<'Slice'>): Value {
    const operands = [this.eval(node.object), ...[node.lower, node.upper, node.step].map((n) => (n === null ? null : this.eval(n)))];
    return this.lift(operands, node.start, false, ([object, lower, upper, step]) => this.sliceOf(node, object!, lower!, upper!, step!));
  }

  private sliceOf(node: NodeOf<'Slice'>, object: Value, lowerV: Value, upperV: Value, stepV: Value): Value {
    const given = new Map<Node | null, Value>([
      [node.lower, lowerV],
      [node.upper, upperV],
      [node.step, stepV],
    ]);
    const bound = (n: Node | null): number | null => {
      if (n === null) return null;
      const v = given.get(n) ?? null;
      if (v === null) return null;
      if (!isInt(v)) this.fail(`slice indices must be integers or None, not '${typeName(v)}'`, 'type', n.start);
      return num(v as number | boolean);
    };
    const lower = bound(node.lower);
    const upper = bound(node.upper);
    const step = bound(node.step) ?? 1;
    if (step === 0) this.fail('slice step cannot be zero', 'value', node.step?.start ?? node.start);
    let seq: readonly Value[];
    if (isList(object)) seq = object;
    else if (typeof object === 'string') {
      this.budget.tick(object.length, node.start);
      seq = Array.from(object);
    } else return this.fail(`'${typeName(object)}' object is not subscriptable`, 'type', node.start);
    const picked = pySlice(seq, lower, upper, step);
    this.budget.tick(picked.length, node.start);
    if (typeof object === 'string') return (picked as string[]).join('');
    return picked.map((v) => this.admitAt(v, node.start));
  }

  private call(node: NodeOf<'Call'>): Value {
    const callee = node.callee;
    let fn: FunctionSpec | undefined;
    let name: string;
    const args: Value[] = [];
    if (callee.type === 'Name') {
      name = callee.name;
      fn = lookupFunction(name);
      if (fn === undefined) {
        const known = Object.hasOwn(this.scope, name);
        this.fail(known ? `'${name}' is not callable` : `unknown function '${name}'`, 'name', callee.start);
      }
    } else if (callee.type === 'Attribute') {
      name = callee.name;
      if (isForbiddenKey(name)) this.fail(`access to '${name}' is not allowed`, 'forbidden', callee.nameStart);
      const receiver = this.eval(callee.object);
      const opened = this.open(receiver);
      fn = lookupMethod(opened.value, name);
      if (fn === undefined) {
        // Which methods exist depends on the type, and the type of derived data is data.
        if (opened.secrets !== null) return taint(null, opened.secrets, 'a method call');
        this.fail(`'${typeName(receiver)}' object has no method '${name}'`, 'type', callee.nameStart);
      }
      args.push(receiver);
    } else {
      return this.fail('only built-in functions and methods can be called', 'type', callee.start);
    }
    for (const arg of node.args) args.push(this.eval(arg));
    const given = args.length;
    if (given < fn.min || given > fn.max) {
      const offset = callee.type === 'Attribute' ? 1 : 0;
      const range = fn.max === Infinity ? `at least ${fn.min - offset}` : fn.min === fn.max ? `${fn.min - offset}` : `${fn.min - offset} to ${fn.max - offset}`;
      this.fail(`${name}() takes ${range} argument(s) (${given - offset} given)`, 'type', node.start);
    }
    const ctx: CallContext = { budget: this.budget, at: node.start, name };
    const spec = fn;
    return this.lift(args, node.start, true, (raw) => {
      const result = spec.impl(ctx, raw);
      if (typeof result === 'string') this.budget.checkString(result.length, node.start);
      if (isList(result)) this.budget.checkCollection(result.length, node.start);
      return result;
    });
  }

  private unary(node: NodeOf<'Unary'>, v: Value): Value {
    if (node.op === 'not') return !truthy(v);
    if (!isNumeric(v)) this.fail(`bad operand type for unary ${node.op}: '${typeName(v)}'`, 'type', node.start);
    const n = num(v as number | boolean);
    return node.op === '-' ? (n === 0 ? 0 : -n) : n;
  }

  private finite(n: number, at: number): number {
    if (!Number.isFinite(n)) this.fail('numeric result is too large', 'value', at);
    return Object.is(n, -0) ? 0 : n;
  }

  private binary(op: BinaryOp, a: Value, b: Value, node: Node): Value {
    const at = node.start;
    if (isNumeric(a) && isNumeric(b)) {
      const x = num(a);
      const y = num(b);
      switch (op) {
        case '+':
          return this.finite(x + y, at);
        case '-':
          return this.finite(x - y, at);
        case '*':
          return this.finite(x * y, at);
        case '/':
          if (y === 0) this.fail('division by zero', 'zero_division', at);
          return this.finite(x / y, at);
        case '//':
          if (y === 0) this.fail('integer division by zero', 'zero_division', at);
          return this.finite(Math.floor(x / y), at);
        case '%': {
          if (y === 0) this.fail('modulo by zero', 'zero_division', at);
          let r = x % y;
          if (r !== 0 && r < 0 !== y < 0) r += y; // Python: the result takes the divisor's sign
          return this.finite(r, at);
        }
        case '**':
          if (x === 0 && y < 0) this.fail('0 cannot be raised to a negative power', 'zero_division', at);
          if (x < 0 && !Number.isInteger(y)) this.fail('negative number raised to a fractional power', 'value', at);
          return this.finite(x ** y, at);
      }
    }
    if (op === '+') {
      if (typeof a === 'string' && typeof b === 'string') {
        this.budget.checkString(a.length + b.length, at);
        return a + b;
      }
      if (isList(a) && isList(b)) {
        this.budget.checkCollection(a.length + b.length, at);
        this.budget.tick(a.length + b.length, at);
        return [...a, ...b];
      }
    }
    if (op === '*') {
      const [seq, times] = isInt(b) ? [a, b] : isInt(a) ? [b, a] : [null, null];
      if (times !== null) {
        const n = Math.max(0, num(times));
        if (typeof seq === 'string') {
          if (seq === '' || n === 0) return '';
          this.budget.checkString(seq.length * n, at);
          this.budget.tick(seq.length * n, at);
          return seq.repeat(n);
        }
        if (isList(seq)) {
          if (seq.length === 0 || n === 0) return [];
          this.budget.checkCollection(seq.length * n, at);
          this.budget.tick(seq.length * n, at);
          const out: Value[] = [];
          for (let i = 0; i < n; i++) out.push(...seq);
          return out;
        }
      }
    }
    if (op === '%' && typeof a === 'string') {
      this.fail("'%' string formatting is not supported; use an f-string", 'type', at);
    }
    return this.fail(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`, 'type', at);
  }

  private compare(node: NodeOf<'Compare'>): Value {
    let left = this.eval(node.operands[0]!);
    let secrets: Set<string> | null = null;
    const result = (b: boolean): Value => (secrets === null ? b : taint(b, secrets));
    for (let i = 0; i < node.ops.length; i++) {
      const operand = node.operands[i + 1]!;
      const right = this.eval(operand);
      const op = node.ops[i]!;
      const outcome = this.open(this.lift([left, right], operand.start, true, ([a, b]) => this.compareOne(op, a!, b!, operand.start)));
      if (outcome.secrets !== null) {
        secrets ??= new Set();
        for (const name of outcome.secrets) secrets.add(name);
        if (outcome.failed !== null) return taint(null, secrets, outcome.failed);
      }
      // The chain stops where Python's would; when that depends on secret data, so does the result.
      if (outcome.value !== true) return result(false);
      left = right;
    }
    return result(true);
  }

  private compareOne(op: CompareOp, a: Value, b: Value, at: number): boolean {
    const fail = (m: string): never => this.fail(m, 'type', at);
    switch (op) {
      case '==':
        return pyEquals(a, b, this.budget, at);
      case '!=':
        return !pyEquals(a, b, this.budget, at);
      case '<':
        return pyCompare(a, b, op, this.budget, at, fail) < 0;
      case '<=':
        return pyCompare(a, b, op, this.budget, at, fail) <= 0;
      case '>':
        return pyCompare(a, b, op, this.budget, at, fail) > 0;
      case '>=':
        return pyCompare(a, b, op, this.budget, at, fail) >= 0;
      case 'in':
        return this.contains(b, a, at);
      case 'not in':
        return !this.contains(b, a, at);
      case 'is':
        return a === b;
      case 'is not':
        return a !== b;
    }
  }

  private contains(container: Value, item: Value, at: number): boolean {
    if (typeof container === 'string') {
      if (typeof item !== 'string') this.fail(`'in <string>' requires a string on the left, not '${typeName(item)}'`, 'type', at);
      this.budget.tick(container.length, at);
      return container.includes(item as string);
    }
    if (isList(container)) return container.some((v) => pyEquals(this.admitAt(v, at), item, this.budget, at));
    if (isDict(container)) return typeof item === 'string' && !isForbiddenKey(item) && ownValue(container, item) !== undefined;
    return this.fail(`argument of type '${typeName(container)}' is not iterable`, 'type', at);
  }

  private dict(node: NodeOf<'Dict'>): Value {
    this.budget.checkCollection(node.entries.length, node.start);
    const out = newDict();
    // A key computed from a secret would be readable through keys(): such a dict is tainted whole.
    let keySecrets: Set<string> | null = null;
    for (const [k, v] of node.entries) {
      const opened = this.open(this.eval(k));
      if (opened.secrets !== null) {
        keySecrets ??= new Set();
        for (const name of opened.secrets) keySecrets.add(name);
        if (opened.failed !== null) return taint(null, keySecrets, opened.failed);
      }
      const key = opened.value;
      if (typeof key !== 'string') {
        if (keySecrets !== null) return taint(null, keySecrets, 'a dict key');
        this.fail(`dict keys must be strings, not '${typeName(key)}'`, 'type', k.start);
      }
      if (isForbiddenKey(key as string)) {
        if (keySecrets !== null) return taint(null, keySecrets, 'a dict key');
        this.fail(`'${key as string}' cannot be used as a key`, 'forbidden', k.start);
      }
      out[key as string] = this.eval(v);
    }
    return keySecrets === null ? out : taint(out, keySecrets);
  }
}

function keyHint(object: object): string {
  const keys = Object.keys(object);
  if (keys.length === 0) return ' (the dict is empty)';
  // Long keys are left out rather than cut (a cut could split a value the redactor must find whole).
  const shown = keys.slice(0, 10).map((k) => (k.length > 40 ? `(${k.length}-character key)` : k));
  return ` (keys: ${shown.join(', ')}${keys.length > 10 ? ', ...' : ''})`;
}

/** Python's slice semantics, including negative steps and out-of-range clamping. */
export function pySlice<T>(seq: readonly T[], lower: number | null, upper: number | null, step: number): T[] {
  const len = seq.length;
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v < 0 ? v + len : v));
  const out: T[] = [];
  if (step > 0) {
    const start = lower === null ? 0 : clamp(lower, 0, len);
    const stop = upper === null ? len : clamp(upper, 0, len);
    for (let i = start; i < stop; i += step) out.push(seq[i]!);
  } else {
    const start = lower === null ? len - 1 : clamp(lower, -1, len - 1);
    const stop = upper === null ? -1 : clamp(upper, -1, len - 1);
    for (let i = start; i > stop; i += step) out.push(seq[i]!);
  }
  return out;
}
