import fc from 'fast-check';
import { runTask, type RunTaskDeps } from '../../../src/tasks';

/**
 * A key with only tasks:run must not learn a secret's value: whatever an expression does to
 * `secrets.s` (any function, operator, slice, format or collection), nothing the run
 * returns or logs contains a recognisable form of it.
 */

const SECRET_CHARS = 'QWXZJKVqwxzjkv0123456789'.split('');
const secretArb = fc.array(fc.constantFrom(...SECRET_CHARS), { minLength: 24, maxLength: 40 }).map((cs) => cs.join(''));

const swapcase = (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
const reverse = (s: string) => [...s].reverse().join('');
const everyOther = (s: string, start: number) => [...s].filter((_, i) => i % 2 === start).join('');

/** Forms that would tell a reader the value: forward, reversed, case-changed, every other character, and base64 of each. */
function recognisable(secret: string): string[] {
  const plain = new Set<string>();
  for (const base of [secret, reverse(secret)]) {
    for (const cased of [base, base.toUpperCase(), base.toLowerCase(), swapcase(base)]) {
      plain.add(cased);
      plain.add(everyOther(cased, 0));
      plain.add(everyOther(cased, 1));
    }
  }
  const forms = new Set(plain);
  for (const p of plain) {
    forms.add(Buffer.from(p).toString('base64').replace(/=+$/, ''));
    forms.add(Buffer.from(p).toString('base64url'));
  }
  // A 12-character sliver of any of them is still a recognisable piece of the value.
  const pieces = new Set<string>();
  for (const f of forms) for (let i = 0; i + 12 <= f.length; i += 6) pieces.add(f.slice(i, i + 12));
  return [...pieces];
}

/** Random compositions of the language's functions and operators over `x`. */
const exprArb: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant('secrets.s'),
    fc.constant('secrets.s'),
    fc.constantFrom("'-'", "'ab'", '3', '0', 'inputs.n', "''"),
    tie('e').chain((x) =>
      fc.constantFrom(
        `upper(${x})`, `lower(${x})`, `${x}.upper()`, `${x}.lower()`, `${x}.title()`, `${x}.capitalize()`, `${x}.strip()`,
        `${x}[::-1]`, `${x}[::2]`, `${x}[1::2]`, `${x}[:12]`, `${x}[12:]`, `${x}[3]`, `${x}[-1]`, `list(${x})`,
        `' '.join(list(${x}))`, `join(list(${x}), ',')`, `${x}.replace('Q', '_')`, `replace(${x}, 'q', '-')`,
        `b64encode(${x})`, `urlsafe_b64encode(${x})`, `b64decode(${x})`, `quote(${x})`, `quote_plus(${x})`, `unquote(${x})`,
        `json_dumps(${x})`, `json_dumps(list(${x}))`, `json_loads(${x})`, `str(${x})`, `sorted(${x})`, `reversed(${x})`,
        `len(${x})`, `int(${x})`, `float(${x})`, `${x}.split('0')`, `${x}.find('Q')`, `${x}.count('1')`,
        `[${x}, ${x}]`, `{'k': ${x}}`, `{'k': ${x}}['k']`, `[${x}][0]`, `${x} + 'z'`, `'z' + ${x}`, `${x} * 2`,
        `f"<{${x}}>"`, `(${x} if ${x} else 'n')`, `(${x} == 'abc')`, `(${x} and 'y')`, `('Q' in ${x})`,
        `${x}.startswith('Q')`, `min(${x})`, `max(list(${x}))`, `{${x}: 1}`, `{'a': 1}[${x}]`, `range(len(${x}))`,
        `[c.upper() for c in ${x}]`.replace(/.*/, `list(${x}.upper())`), `type(${x})`, `bool(${x})`, `not ${x}`,
      ),
    ),
    fc.tuple(tie('e'), tie('e')).chain(([a, b]) =>
      fc.constantFrom(`${a} + ${b}`, `[${a}, ${b}]`, `{'a': ${a}, 'b': ${b}}`, `f"{${a}}{${b}}"`, `(${a} if ${b} else ${a})`, `${a} == ${b}`),
    ),
  ),
})).e;

function depsFor(secret: string, logs: string[]): RunTaskDeps {
  const log = (fields: Record<string, unknown>, message: string) => logs.push(`${message} ${JSON.stringify(fields)}`);
  return {
    secrets: {
      exists: async (names) => new Set(names.filter((n) => n === 's')),
      reveal: async (names) => new Map(names.filter((n) => n === 's').map((n) => [n, secret])),
    },
    fetch: (() => Promise.reject(new Error('no network in this test'))) as unknown as typeof fetch,
    logger: { info: log, warn: log, debug: log },
  };
}

describe('taint', () => {
  it('random compositions over a secret never yield a recognisable form of it', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.array(exprArb, { minLength: 1, maxLength: 3 }), async (secret, exprs) => {
        const logs: string[] = [];
        const doc = { main: [{ evaluate: Object.fromEntries(exprs.map((e, i) => [`v${i}`, `$ ${e}`])) }, { evaluate: { again: '$ _' } }] };
        const result = await runTask(doc, { n: 7 }, depsFor(secret, logs));
        const seen = JSON.stringify(result) + '\n' + logs.join('\n');
        for (const form of recognisable(secret)) {
          if (seen.includes(form)) throw new Error(`found ${form} of the secret in ${seen.slice(0, 500)}`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    'upper(secrets.s)', 'lower(secrets.s)', 'secrets.s[::-1]', 'secrets.s[::2]', 'list(secrets.s)', "' '.join(list(secrets.s))",
    "secrets.s.replace('-', '_')", 'b64encode(secrets.s[::-1])', 'json_dumps(list(secrets.s))', 'len(secrets.s)',
    "('yes' if secrets.s[0] == 's' else 'no')", "int(secrets.s)", "{'a': 1}[secrets.s]",
  ])('%s comes back as [secret:s] as a whole', async (expr) => {
    const logs: string[] = [];
    const result = await runTask({ main: [{ evaluate: { v: `$ ${expr}` } }] }, {}, depsFor('sk-live-0123456789abcdefghij', logs));
    expect(result.steps[0]).toMatchObject({ status: 'SUCCEEDED', output: { v: '[secret:s]' } });
  });

  it('keeps untainted neighbours readable: [s[:20], s[20:]] is two placeholders, the rest stays', async () => {
    const result = await runTask(
      { main: [{ evaluate: { parts: '$ [secrets.s[:20], secrets.s[20:], inputs.n]', n: '$ inputs.n + 1' } }] },
      { n: 1 },
      depsFor('sk-live-0123456789abcdefghij', []),
    );
    expect(result.steps[0]!.output).toEqual({ parts: ['[secret:s]', '[secret:s]', 1], n: 2 });
  });

  it('still sends the real value in a request, and taint survives into later steps', async () => {
    const sent: string[] = [];
    const fetchSpy = (async (url: string, init: RequestInit) => {
      sent.push(`${url} ${JSON.stringify(init.headers instanceof Headers ? Object.fromEntries(init.headers) : init.headers)} ${String(init.body)}`);
      return new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const doc = {
      tools: [{ name: 't', type: 'api_call', api_call: { method: 'POST', url: 'https://api.example.com/x', headers: { 'X-Key': '$ steps[0].output.k' }, json: { rev: '$ steps[0].output.k[::-1]' } } }],
      main: [{ evaluate: { k: '$ upper(secrets.s)' } }, { tool: 't' }],
    };
    const d = depsFor('sk-live-0123456789abcdefghij', []);
    const result = await runTask(doc, {}, { ...d, fetch: fetchSpy });
    expect(result.status).toBe('SUCCEEDED');
    expect(sent[0]).toContain('SK-LIVE-0123456789ABCDEFGHIJ');
    expect(sent[0]).toContain('JIHGFEDCBA9876543210-EVIL-KS');
  });
});
