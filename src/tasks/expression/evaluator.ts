import type { BinaryOp, CompareOp, Node, NodeOf } from './ast';
import { ExpressionError, type ExpressionErrorCode } from './errors';
import { lookupFunction, lookupMethod, type CallContext, type FunctionSpec } from './functions';
import { Budget, type ExpressionLimits } from './limits';
import {
  admit, isDict, isForbiddenKey, isInt, isList, isNumeric, newDict, num, ownValue, pyCompare, pyEquals, pyStr,
  truthy, typeName, type Value,
} from './values';

/**
 * Tree-walking evaluator. Safety comes from construction, not from filtering: the only
 * values are JSON data (vetted by `admit` whenever they are read from the host), property
 * reads go through own data properties, and the only callables are the whitelist tables in
 * functions.ts. Every node evaluated ticks the budget.
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
      case 'Index':
        return this.index(this.eval(node.object), this.eval(node.index), node.index.start);
      case 'Slice':
        return this.slice(node);
      case 'Call':
        return this.call(node);
      case 'Unary':
        return this.unary(node);
      case 'Binary':
        return this.binary(node.op, this.eval(node.left), this.eval(node.right), node);
      case 'Compare':
        return this.compare(node);
      case 'BoolOp': {
        const left = this.eval(node.left);
        if (node.op === 'and') return truthy(left) ? this.eval(node.right) : left;
        return truthy(left) ? left : this.eval(node.right);
      }
      case 'Conditional':
        return truthy(this.eval(node.test)) ? this.eval(node.body) : this.eval(node.orelse);
      case 'List': {
        this.budget.checkCollection(node.items.length, node.start);
        return node.items.map((item) => this.eval(item));
      }
      case 'Dict':
        return this.dict(node);
    }
  }

  private fstring(node: NodeOf<'FString'>): string {
    let out = '';
    for (const part of node.parts) {
      const piece = typeof part === 'string' ? part : pyStr(this.eval(part), this.budget, part.start);
      this.budget.checkString(out.length + piece.length, node.start);
      out += piece;
    }
    return out;
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
    const object = this.eval(node.object);
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
    const object = this.eval(node.object);
    const bound = (n: Node | null): number | null => {
      if (n === null) return null;
      const v = this.eval(n);
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
      fn = lookupMethod(receiver, name);
      if (fn === undefined) this.fail(`'${typeName(receiver)}' object has no method '${name}'`, 'type', callee.nameStart);
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
    const result = fn.impl(ctx, args);
    if (typeof result === 'string') this.budget.checkString(result.length, node.start);
    if (isList(result)) this.budget.checkCollection(result.length, node.start);
    return result;
  }

  private unary(node: NodeOf<'Unary'>): Value {
    const v = this.eval(node.operand);
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

  private compare(node: NodeOf<'Compare'>): boolean {
    let left = this.eval(node.operands[0]!);
    for (let i = 0; i < node.ops.length; i++) {
      const operand = node.operands[i + 1]!;
      const right = this.eval(operand);
      if (!this.compareOne(node.ops[i]!, left, right, operand.start)) return false;
      left = right;
    }
    return true;
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
      this.budget.tick(container.length >> 4, at);
      return container.includes(item as string);
    }
    if (isList(container)) return container.some((v) => pyEquals(this.admitAt(v, at), item, this.budget, at));
    if (isDict(container)) return typeof item === 'string' && !isForbiddenKey(item) && ownValue(container, item) !== undefined;
    return this.fail(`argument of type '${typeName(container)}' is not iterable`, 'type', at);
  }

  private dict(node: NodeOf<'Dict'>): Value {
    this.budget.checkCollection(node.entries.length, node.start);
    const out = newDict();
    for (const [k, v] of node.entries) {
      const key = this.eval(k);
      if (typeof key !== 'string') this.fail(`dict keys must be strings, not '${typeName(key)}'`, 'type', k.start);
      if (isForbiddenKey(key as string)) this.fail(`'${key as string}' cannot be used as a key`, 'forbidden', k.start);
      out[key as string] = this.eval(v);
    }
    return out;
  }
}

function keyHint(object: object): string {
  const keys = Object.keys(object);
  if (keys.length === 0) return ' (the dict is empty)';
  const shown = keys.slice(0, 10).map((k) => (k.length > 40 ? k.slice(0, 40) + '...' : k));
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
