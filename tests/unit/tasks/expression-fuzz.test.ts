import fc from 'fast-check';
import { evaluateExpression, ExpressionError } from '../../../src/tasks/expression';

/**
 * Safety properties of the evaluator under arbitrary input:
 *   - it only ever throws ExpressionError;
 *   - it always finishes: every run ends in a value or an ExpressionError (the step, size and
 *     time budgets bound it; elapsed time is not asserted, as a loaded machine is slow, not wrong);
 *   - whatever it returns is plain JSON data: never a function, a host object, a
 *     prototype, or text produced by stringifying one;
 *   - it never mutates shared prototypes.
 */

const secrets = Object.freeze({ api_key: 'sk-fuzz-secret', constructor_like: 'x' });
const inputs = Object.freeze({ a: 1, s: 'str', list: Object.freeze([1, 'two', Object.freeze({ k: 'v' })]), obj: Object.freeze({ nested: Object.freeze({ deep: true }) }) });
const scope = Object.freeze({ secrets, inputs, input: inputs, steps: Object.freeze([Object.freeze({ output: 'prev' })]), _: 'prev' });

const LIMITS = { timeoutMs: 250, maxSteps: 20_000, maxStringLength: 64 * 1024, maxCollectionLength: 10_000 };
const HOST_THINGS: unknown[] = [process, globalThis, Function, Object, Object.prototype, Array.prototype, Function.prototype, String.prototype, eval, require];

function assertPlainData(v: unknown, seen = 0): void {
  expect(seen).toBeLessThan(10_000);
  if (v === null || typeof v === 'boolean' || typeof v === 'string') {
    if (typeof v === 'string') expect(v).not.toContain('[native code]');
    return;
  }
  if (typeof v === 'number') {
    expect(Number.isFinite(v)).toBe(true);
    return;
  }
  expect(typeof v).toBe('object');
  expect(HOST_THINGS).not.toContain(v);
  if (Array.isArray(v)) {
    expect(Object.getPrototypeOf(v)).toBe(Array.prototype);
    for (const item of v) assertPlainData(item, seen + 1);
    return;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  expect(proto === Object.prototype || proto === null).toBe(true);
  for (const key of Object.keys(v as object)) {
    expect(['constructor', '__proto__', 'prototype']).not.toContain(key);
    assertPlainData((v as Record<string, unknown>)[key], seen + 1);
  }
}

function runSafely(source: string): void {
  try {
    const result = evaluateExpression(source, scope, { limits: LIMITS });
    assertPlainData(result);
  } catch (err) {
    if (!(err instanceof ExpressionError)) {
      throw new Error(`non-ExpressionError for ${JSON.stringify(source)}: ${String(err)}`);
    }
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(source.length);
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.column).toBeGreaterThanOrEqual(1);
  }
}

const TOKENS = [
  // names, including every classic escape hatch
  'secrets', 'inputs', 'input', 'steps', '_', 'constructor', '__proto__', 'prototype', '__class__', '__globals__',
  'process', 'globalThis', 'global', 'Function', 'this', 'require', 'eval', 'window', 'module', 'exports', 'Object',
  'getattr', 'type', 'len', 'str', 'int', 'json_loads', 'json_dumps', 'join', 'split', 'replace', 'range', 'sorted',
  'min', 'max', 'b64encode', 'quote', 'urlencode', 'get', 'keys', 'items', 'lower', 'upper', 'api_key', 'a', 's',
  'list', 'obj', 'nested', 'call', 'apply', 'bind', 'toString', 'valueOf', 'hasOwnProperty', 'length',
  // literals
  "'constructor'", "'__proto__'", "'prototype'", "'api_key'", "'a'", "''", '""', '0', '1', '-1', '2', '10', '99999999',
  '1e308', '0.5', 'True', 'False', 'None', 'null', "'x' * 9999999", '[]', '{}', '[1]', "{'k': 1}",
  // operators and punctuation
  '.', '.', '.', '[', ']', '(', ')', '{', '}', ',', ':', '+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '>=',
  'in', 'not', 'and', 'or', 'if', 'else', 'is', "f'", "{", "}'", "'", '"', '\\', '$', '#', '`', ';', '=', '|', '&',
];

const tokenSoup = fc
  .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 25 })
  .chain((tokens) => fc.constantFrom(tokens.join(' '), tokens.join('')));

describe('expression fuzzing', () => {
  let prototypeKeys: string[];
  beforeAll(() => {
    prototypeKeys = [Object.prototype, Array.prototype, String.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(',')) as string[];
  });
  afterAll(() => {
    const after = [Object.prototype, Array.prototype, String.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(','));
    expect(after).toEqual(prototypeKeys);
  });

  it('arbitrary strings only ever produce plain data or an ExpressionError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120, unit: 'binary' }), runSafely), { numRuns: 1500 });
  });

  it('arbitrary ASCII strings (more likely to lex) behave the same', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80, unit: 'binary-ascii' }), runSafely), { numRuns: 1500 });
  });

  it('token soups built from escape-hatch vocabulary never reach the host', () => {
    fc.assert(fc.property(tokenSoup, runSafely), { numRuns: 4000 });
  });

  it('random access paths into random JSON never return host objects', () => {
    const segment = fc.oneof(
      fc.constantFrom('.constructor', '.__proto__', "['constructor']", "['__proto__']", '.prototype', '[0]', '[-1]', '.keys()', '.items()'),
      fc.string({ maxLength: 6 }).map((k) => `[${JSON.stringify(k)}]`),
      fc.integer({ min: -3, max: 3 }).map((i) => `[${i}]`),
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(segment, { maxLength: 5 }), (value, path) => {
        try {
          assertPlainData(evaluateExpression(`inputs${path.join('')}`, { inputs: value }, { limits: LIMITS }));
        } catch (err) {
          expect(err).toBeInstanceOf(ExpressionError);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it.each([
    "''.constructor",
    "''.constructor.constructor('return process')()",
    'inputs.__proto__',
    "inputs['__proto__']",
    "secrets['constructor']",
    'secrets.constructor',
    '[].constructor',
    '{}.constructor',
    "{}['constructor']",
    '(1).constructor',
    'len.constructor',
    "str.__class__",
    "inputs.get('constructor')",
    "inputs.get('__proto__')",
    "'x'.__len__()",
    "getattr(inputs, 'constructor')",
    'process',
    'globalThis',
    'Function',
    'this',
    "json_loads('{\"__proto__\": {\"polluted\": 1}}').__proto__",
    "{'__proto__': 1}",
    'inputs.list.constructor',
    "inputs.list['constructor']",
    'steps.constructor',
    'inputs.toString()',
    'inputs.hasOwnProperty',
    "type(inputs).constructor",
    "[].__proto__",
  ])('escape attempt %s is an ExpressionError', (source) => {
    expect(() => evaluateExpression(source, scope)).toThrow(ExpressionError);
  });

  it('json_loads of a __proto__ key cannot pollute prototypes', () => {
    const v = evaluateExpression('json_loads(\'{"__proto__": {"polluted": 1}}\')', scope);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    assertPlainData(JSON.parse(JSON.stringify(v)));
  });

  it('a host function placed in the scope cannot be reached', () => {
    const hostile = { inputs: { fn: () => 'called', obj: new Map([['a', 1]]), date: new Date() } };
    for (const source of ['inputs.fn', "inputs['fn']", 'inputs.fn()', 'inputs.obj', 'inputs.date', 'str(inputs)', 'json_dumps(inputs)']) {
      expect(() => evaluateExpression(source, hostile)).toThrow(ExpressionError);
    }
  });
});

describe('host data with reserved keys', () => {
  // JSON.parse makes `__proto__` an own key; such data must not pass through an expression.
  it.each(['{"__proto__": {"x": 1}}', '{"a": [{"constructor": 1}]}', '{"prototype": null}'])('%s is refused where it is read', (json) => {
    const inputs = JSON.parse(json) as unknown;
    expect(() => evaluateExpression('inputs', { inputs } as never, { limits: LIMITS })).toThrow(ExpressionError);
  });

  it('clean data nested anywhere still reads', () => {
    const inputs = JSON.parse('{"a": [{"__typename": "T", "b": 1}]}') as unknown;
    expect(evaluateExpression('inputs.a[0].b', { inputs } as never, { limits: LIMITS })).toBe(1);
  });
});
