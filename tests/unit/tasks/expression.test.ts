import { compileExpression, evaluateExpression, ExpressionError } from '../../../src/tasks/expression';
import type { Scope } from '../../../src/tasks/expression';
import { Problems } from '../../../src/tasks/problems';
import { compileString, renderValue } from '../../../src/tasks/template';

const scope: Scope = {
  secrets: { api_key: 'sk-test-123', other: 'p@ss w/rd' },
  inputs: { city: 'Paris', n: 7, items: [3, 1, 2], nested: { a: { b: [10, 20] } }, flag: true, empty: [] },
  steps: [{ output: { temp: 21.5, tags: ['x', 'y'] } }],
  _: 'previous',
};

const ev = (source: string, s: Scope = scope) => evaluateExpression(source, s);

function expressionError(source: string, s: Scope = scope, options = {}): ExpressionError {
  try {
    evaluateExpression(source, s, options);
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw new Error(`expected an ExpressionError, got ${String(err)}`);
  }
  throw new Error(`expected ${source} to fail`);
}

describe('the seed example', () => {
  it('evaluates the template_variables f-string of the seed document', () => {
    expect(ev("f'https://api.example.com/v1?key={secrets.api_key}'")).toBe('https://api.example.com/v1?key=sk-test-123');
  });

  it('works as a `$ ` document value and as a Julep bearer header', () => {
    const problems = new Problems();
    const site = { path: 'x', line: 1, column: 1 };
    const value = compileString("$ f'https://api.example.com/v1?key={secrets.api_key}'", site, problems);
    expect(problems.list).toEqual([]);
    expect(renderValue(value, scope)).toBe('https://api.example.com/v1?key=sk-test-123');
    const header = compileString('$ f"Bearer {secrets.api_key}"', site, problems);
    expect(renderValue(header, scope)).toBe('Bearer sk-test-123');
  });
});

describe('literals', () => {
  it.each<[string, unknown]>([
    ['42', 42],
    ['1_000_000', 1000000],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['3.25', 3.25],
    ['.5', 0.5],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    ["'single'", 'single'],
    ['"double"', 'double'],
    ["'it\\'s'", "it's"],
    ['"tab\\tnew\\nline"', 'tab\tnew\nline'],
    ["'\\x41\\u00e9\\U0001F600'", 'A\u00e9\u{1F600}'],
    ["'keep \\d unknown'", 'keep \\d unknown'],
    ["r'raw\\n'", 'raw\\n'],
    ["'''triple 'quoted' text'''", "triple 'quoted' text"],
    ["'con' 'cat' \"enated\"", 'concatenated'],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', true],
    ['false', false],
    ['null', null],
    ['[1, "two", None,]', [1, 'two', null]],
    ['[]', []],
    ["{'a': 1, 'b': [True],}", { a: 1, b: [true] }],
    ['{}', {}],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });
});

describe('f-strings', () => {
  it.each<[string, unknown]>([
    ["f'{inputs.city}-{inputs.n + 1}'", 'Paris-8'],
    ["f'{{literal}} and {{{inputs.n}}}'", '{literal} and {7}'],
    ["f'{inputs.flag} {None} {inputs.items}'", 'True None [3, 1, 2]'],
    ["f'{ {\"k\": 1}[\"k\"] }'", '1'],
    ['f"{\'nested\'.upper()}"', 'NESTED'],
    ["F'{1}' f'{2}'", '12'],
    ["rf'\\n{inputs.n}'", '\\n7'],
    ["f'line\\n{inputs.n}'", 'line\n7'],
    ["f''", ''],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });
});

describe('operators', () => {
  it.each<[string, unknown]>([
    ['1 + 2', 3],
    ["'a' + 'b'", 'ab'],
    ['[1] + [2, 3]', [1, 2, 3]],
    ['True + 1', 2],
    ['5 - 7', -2],
    ['3 * 4', 12],
    ["'ab' * 3", 'ababab'],
    ["3 * 'ab'", 'ababab'],
    ["'ab' * -1", ''],
    ['[0] * 3', [0, 0, 0]],
    ['7 / 2', 3.5],
    ['6 / 3', 2],
    ['7 // 2', 3],
    ['-7 // 2', -4],
    ['7 % 3', 1],
    ['-7 % 3', 2],
    ['7 % -3', -2],
    ['2 ** 10', 1024],
    ['2 ** -1', 0.5],
    ['-inputs.n', -7],
    ['+inputs.n', 7],
    ['not inputs.flag', false],
    ['not []', true],
    ['1 == 1.0', true],
    ['True == 1', true],
    ["[1, {'a': 2}] == [1, {'a': 2}]", true],
    ["{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", true],
    ["'1' == 1", false],
    ['1 != 2', true],
    ['1 < 2', true],
    ['2 <= 2', true],
    ['3 > 2', true],
    ['2 >= 3', false],
    ["'apple' < 'banana'", true],
    ['[1, 2] < [1, 3]', true],
    ['[1, 2] < [1, 2, 0]', true],
    ["'ar' in 'Paris'", true],
    ['2 in inputs.items', true],
    ["'city' in inputs", true],
    ["'zzz' not in inputs", true],
    ['5 not in inputs.items', true],
    ['None is None', true],
    ['inputs.n is not None', true],
    ['1 < 2 < 3', true],
    ['1 < 3 < 2', false],
    ['0 and 1/0', 0],
    ['1 or 1/0', 1],
    ["'' or 'default'", 'default'],
    ["inputs.city and 'yes'", 'yes'],
    ["'big' if inputs.n > 5 else 'small'", 'big'],
    ["'a' if False else 'b' if False else 'c'", 'c'],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });
});

describe('precedence (Python rules)', () => {
  it.each<[string, unknown]>([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 * 3 ** 2', 18],
    ['-2 ** 2', -4],
    ['2 ** 3 ** 2', 512],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['1 + 2 == 3', true],
    ['not 1 == 2', true],
    ['not True and False', false],
    ['True or False and False', true],
    ['(True or False) and False', false],
    ["1 if 0 else 2 + 3", 5],
    ['1 + 1 if True else 0', 2],
    ['2 * -3', -6],
    ['- - 3', 3],
    ['inputs.nested.a.b[1] * 2', 40],
    ["inputs['nested']['a']['b'][-1]", 20],
    ['steps[0].output.tags[0].upper()', 'X'],
    ['1 < 2 == True', false],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });
});

describe('attribute, index and slice access', () => {
  it.each<[string, unknown]>([
    ['inputs.city', 'Paris'],
    ["inputs['city']", 'Paris'],
    ['inputs.items[0]', 3],
    ['inputs.items[-1]', 2],
    ['inputs.items[1:]', [1, 2]],
    ['inputs.items[:-1]', [3, 1]],
    ['inputs.items[::-1]', [2, 1, 3]],
    ['inputs.items[::2]', [3, 2]],
    ['inputs.items[10:]', []],
    ["'Paris'[1:3]", 'ar'],
    ["'Paris'[-1]", 's'],
    ["'😀ab'[0]", '😀'],
    ['_', 'previous'],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });
});

describe('functions and methods', () => {
  it.each<[string, unknown]>([
    ["len('héllo')", 5],
    ["len('😀')", 1],
    ['len(inputs.items)', 3],
    ['len(inputs)', 6],
    ['str(12)', '12'],
    ['str(1.5)', '1.5'],
    ['str(True)', 'True'],
    ["str({'a': [1, None]})", '{"a": [1, null]}'],
    ["int('42')", 42],
    ["int(' -7 ')", -7],
    ['int(3.9)', 3],
    ['int(-3.9)', -3],
    ["int('ff', 16)", 255],
    ["float('2.5')", 2.5],
    ['bool(0)', false],
    ["bool('x')", true],
    ["lower('ABC')", 'abc'],
    ["upper('abc')", 'ABC'],
    ["'ABC'.lower()", 'abc'],
    ["strip('  x  ')", 'x'],
    ["'xxhixx'.strip('x')", 'hi'],
    ["'  x '.lstrip()", 'x '],
    ["'  x '.rstrip()", '  x'],
    ["join(['a', 'b', 'c'], ', ')", 'a, b, c'],
    ["'-'.join(['a', 'b'])", 'a-b'],
    ["split('a,b,,c', ',')", ['a', 'b', '', 'c']],
    ["'  a  b\\tc '.split()", ['a', 'b', 'c']],
    ["'a,b,c'.split(',', 1)", ['a', 'b,c']],
    ["replace('aaa', 'a', 'b')", 'bbb'],
    ["'aaa'.replace('a', 'b', 2)", 'bba'],
    ["'ab'.replace('', '-')", '-a-b-'],
    ["'Paris'.startswith('Pa')", true],
    ["'Paris'.endswith(['x', 'is'])", true],
    ["'Paris'.find('r')", 2],
    ["'banana'.count('a')", 3],
    ["'hello world'.title()", 'Hello World'],
    ["'hELLO'.capitalize()", 'Hello'],
    ["json_dumps({'a': [1, 'x', True, None]})", '{"a": [1, "x", true, null]}'],
    ["json_dumps([1], 2)", '[\n  1\n]'],
    ["json_loads('{\"a\": [1, 2]}')['a'][1]", 2],
    ['min(3, 1, 2)', 1],
    ['max(inputs.items)', 3],
    ["max('a', 'c', 'b')", 'c'],
    ['abs(-4)', 4],
    ['round(2.5)', 2],
    ['round(3.5)', 4],
    ['round(2.675, 2)', 2.67],
    ['round(1234, -2)', 1200],
    ['sum(inputs.items)', 6],
    ['sorted(inputs.items)', [1, 2, 3]],
    ['sorted(inputs.items, True)', [3, 2, 1]],
    ['reversed([1, 2])', [2, 1]],
    ["list('ab')", ['a', 'b']],
    ['range(3)', [0, 1, 2]],
    ['range(1, 10, 4)', [1, 5, 9]],
    ['range(3, 0, -1)', [3, 2, 1]],
    ['any([0, 1])', true],
    ['all([1, 0])', false],
    ["type('x')", 'str'],
    ['type(1.5)', 'float'],
    ["urlencode({'q': 'a b&c', 'n': 1, 'ok': True})", 'q=a+b%26c&n=1&ok=True'],
    ["quote('a b/c?d')", 'a%20b/c%3Fd'],
    ["quote('a/b', '')", 'a%2Fb'],
    ["quote_plus('a b')", 'a+b'],
    ["unquote('a%20b')", 'a b'],
    ["b64encode('user:pass')", 'dXNlcjpwYXNz'],
    ["b64decode('dXNlcjpwYXNz')", 'user:pass'],
    ["urlsafe_b64encode('??>')", 'Pz8-'],
    ["urlsafe_b64decode('Pz8-')", '??>'],
    ["inputs.get('city')", 'Paris'],
    ["inputs.get('missing', 'dflt')", 'dflt'],
    ["{'a': 1}.keys()", ['a']],
    ["{'a': 1}.values()", [1]],
    ["{'a': 1}.items()", [['a', 1]]],
    ['[1, 2, 1].count(1)', 2],
    ['[5, 6].index(6)', 1],
  ])('%s', (source, expected) => {
    expect(ev(source)).toEqual(expected);
  });
});

describe('errors carry a code and a position', () => {
  it.each<[string, string, number, number, RegExp]>([
    ['1 +', 'syntax', 1, 4, /unexpected end/],
    ['(1 + 2', 'syntax', 1, 7, /expected '\)'/],
    ['[1, 2', 'syntax', 1, 6, /expected ',' or '\]' in list/],
    ["'open", 'syntax', 1, 1, /unterminated string/],
    ['1 2', 'syntax', 1, 3, /unexpected number 2/],
    ['a = 1', 'syntax', 1, 3, /use '=='/],
    ['x | upper', 'syntax', 1, 3, /filters are not supported/],
    ['lambda: 1', 'syntax', 1, 1, /'lambda' is not supported/],
    ['[x for x in y]', 'syntax', 1, 4, /comprehensions are not supported/],
    ["f'{inputs.n:.2f}'", 'syntax', 1, 12, /format specifications/],
    ["f'{}'", 'syntax', 1, 3, /empty expression/],
    ["f'a } b'", 'syntax', 1, 5, /single '}'/],
    ["f'{1 +}'", 'syntax', 1, 7, /unexpected '}'|unexpected end/],
    ['(1, 2)', 'syntax', 1, 3, /tuples are not supported/],
    ['{1, 2}', 'syntax', 1, 3, /sets are not supported/],
    ['unknown_thing', 'name', 1, 1, /name 'unknown_thing' is not defined/],
    ['nope(1)', 'name', 1, 1, /unknown function 'nope'/],
    ['len', 'type', 1, 1, /'len' is a function/],
    ['len(1, 2)', 'type', 1, 1, /takes 1 argument/],
    ["1 + 'a'", 'type', 1, 1, /unsupported operand type\(s\) for \+: 'int' and 'str'/],
    ["'a' < 1", 'type', 1, 7, /'<' is not supported between 'str' and 'int'/],
    ["'%s' % 1", 'type', 1, 1, /f-string/],
    ['1 / 0', 'zero_division', 1, 1, /division by zero/],
    ['inputs.n // 0', 'zero_division', 1, 1, /division by zero/],
    ['5 % 0', 'zero_division', 1, 1, /modulo by zero/],
    ['inputs.items[5]', 'key', 1, 14, /out of range/],
    ['inputs.missing', 'key', 1, 8, /key 'missing' not found \(keys: city, n, items/],
    ["inputs['missing']", 'key', 1, 8, /key 'missing' not found/],
    ["'abc'.nope()", 'type', 1, 7, /no method 'nope'/],
    ["'abc'.upper", 'type', 1, 7, /'upper' is a method/],
    ["int('x1')", 'value', 1, 1, /invalid literal for int/],
    ['inputs.items[::0]', 'value', 1, 16, /slice step cannot be zero/],
    ['10 ** 400', 'value', 1, 1, /too large/],
    ["min([])", 'value', 1, 1, /empty/],
    ["json_loads('{bad')", 'value', 1, 1, /not valid JSON/],
  ])('%s', (source, code, line, column, message) => {
    const err = expressionError(source);
    expect(err).toBeInstanceOf(ExpressionError);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect({ line: err.line, column: err.column }).toEqual({ line, column });
    expect(err.offset).toBe(column - 1);
  });

  it('reports line and column inside a multi-line expression', () => {
    const err = expressionError("inputs.city +\n  ' ' +\n  inputs.nope");
    expect(err.code).toBe('key');
    expect([err.line, err.column]).toEqual([3, 10]);
  });

  it('positions errors inside f-string fields relative to the whole expression', () => {
    const err = expressionError("f'a {inputs.n} b {inputs.zzz}'");
    expect(err.column).toBe(26);
  });

  it('compileExpression reports syntax errors without evaluating', () => {
    expect(() => compileExpression('1 +* 2')).toThrow(ExpressionError);
    expect(compileExpression('inputs.nope').source).toBe('inputs.nope');
  });
});

// The budget's own error is the proof that it, not the machine's patience, stopped the expression:
// no elapsed-time bound here (a loaded machine is slow, not wrong).
describe('budgets stop runaway expressions with a budget error', () => {
  const fast = (source: string, code: string, pattern: RegExp, options = {}) => {
    const err = expressionError(source, scope, options);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(pattern);
  };

  it('string repetition is checked before allocating', () => fast("'a' * 100000000", 'budget', /exceeds the limit of 1048576/));
  it('repeated doubling hits the string cap', () => fast("('x' * 600000) + ('y' * 600000)", 'budget', /exceeds the limit/));
  it('list repetition is capped', () => fast('[1, 2] * 10000000', 'budget', /list of 20000000 items exceeds/));
  it('range is capped', () => fast('range(1000000000)', 'budget', /exceeds the limit/));
  it('replace cannot blow up a string', () => fast("('a' * 1000).replace('a', 'b' * 10000)", 'budget', /exceeds the limit/));
  it('join is checked before building', () => fast("join(['x' * 1000000, 'y' * 1000000])", 'budget', /exceeds the limit/));
  it('deeply nested lists are refused by the parser', () => fast('['.repeat(5000) + ']'.repeat(5000), 'budget', /nested too deeply/));
  it('deeply nested parentheses are refused', () => fast('('.repeat(5000) + '1' + ')'.repeat(5000), 'budget', /nested too deeply/));
  it('long unary chains are refused', () => fast('not '.repeat(3000) + 'True', 'budget', /nested too deeply/));
  it('long operator chains are refused', () => fast(Array(3000).fill('1').join(' + '), 'budget', /too large|nested too deeply/));
  it('very long sources are refused', () => fast('1 + '.repeat(10000) + '1', 'budget', /characters long/));
  it('evaluation steps are counted', () =>
    fast('sorted(range(50000)) + sorted(range(50000)) + sorted(range(50000))', 'budget', /evaluation budget/, { limits: { maxSteps: 1_000_000 } }));
  it('O(n) built-ins pay for the size of their input, not one step (int() over a long string, many times)', () => {
    const err = expressionError(`len([${Array(200).fill('int(inputs.z, 2)').join(', ')}])`, { inputs: { z: '0'.repeat(100_000) } }, { limits: { maxSteps: 1_000_000 } });
    expect(err).toMatchObject({ code: 'budget', budget: 'steps' });
  });
  it.each(['upper', 'lower', 'json_loads', 'float', 'list', 'reversed', 'any', 'all'])('%s() pays by size', (fn) => {
    const arg = ['list', 'reversed', 'any', 'all'].includes(fn) ? 'inputs.l' : fn === 'float' ? 'inputs.z' : 'inputs.s';
    const inputs = { s: '1'.repeat(100_000), z: '0'.repeat(100_000), l: Array(100_000).fill(1) };
    const err = expressionError(`[${Array(60).fill(`${fn}(${arg})`).join(', ')}]`, { inputs }, { limits: { maxSteps: 1_000_000 } });
    expect(err).toMatchObject({ code: 'budget', budget: 'steps' });
  });
  it('wall-clock deadline is enforced', () => fast('sorted(range(5000))', 'budget', /took too long/, { deadline: Date.now() - 1 }));
  it('custom limits apply', () => fast("'ab' * 10", 'budget', /exceeds the limit of 5/, { limits: { maxStringLength: 5 } }));
  it('json_loads refuses deeply nested values', () =>
    fast(`json_loads('${'['.repeat(1000)}${']'.repeat(1000)}')`, 'budget', /nested more than 256/));
  it('deep input values do not crash equality', () => {
    let deep: unknown = [];
    for (let i = 0; i < 5000; i++) deep = [deep];
    const err = expressionError('inputs == inputs', { inputs: deep });
    expect(err.code).toBe('budget');
  });
});
