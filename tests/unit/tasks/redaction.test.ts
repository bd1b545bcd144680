import { encodedForms, Redactor } from '../../../src/tasks/redaction';

const SECRET = 'sk-Live/4eC39+HqLyjWDarjtT1zdp7dc=ü';

describe('Redactor', () => {
  const r = new Redactor([['stripe_key', SECRET]]);

  it.each<[string, string]>([
    ['raw', SECRET],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64 without padding', Buffer.from(SECRET).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['encodeURIComponent', encodeURIComponent(SECRET)],
    ['lower-case percent hex', encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['form encoding', new URLSearchParams({ k: SECRET }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
  ])('replaces the %s form', (_label, form) => {
    const text = `before ${form} after`;
    expect(r.redact(text)).toBe('before [secret:stripe_key] after');
  });

  it('finds a secret inside a larger base64 blob (Basic auth of user:secret), at every byte alignment', () => {
    for (const user of ['u', 'us', 'use', 'user']) {
      const header = `Basic ${Buffer.from(`${user}:${SECRET}`).toString('base64')}`;
      const redacted = r.redact(header);
      expect(redacted).toContain('[secret:stripe_key]');
      // What is left cannot be decoded back to the secret.
      expect(Buffer.from(redacted.replace('Basic ', ''), 'base64').toString()).not.toContain(SECRET.slice(4, -4));
    }
  });

  it('replaces a form-encoded value with spaces', () => {
    const spaced = new Redactor([['pw', 'correct horse battery']]);
    expect(spaced.redact('q=correct+horse+battery&x=1')).toBe('q=[secret:pw]&x=1');
    expect(spaced.redact('q=correct%20horse%20battery')).toBe('q=[secret:pw]');
  });

  it('prefers the longest match when one secret contains another', () => {
    const nested = new Redactor([
      ['short', 'abcdef12'],
      ['long', 'abcdef12345678'],
    ]);
    expect(nested.redact('x abcdef12345678 y abcdef12 z')).toBe('x [secret:long] y [secret:short] z');
  });

  it('redacts JSON recursively, keys included, without touching the input', () => {
    const input = { [SECRET]: { list: [1, `token ${SECRET}`, null, true], b64: Buffer.from(SECRET).toString('base64') } };
    const out = r.redactValue(input);
    expect(out).toEqual({ '[secret:stripe_key]': { list: [1, 'token [secret:stripe_key]', null, true], b64: '[secret:stripe_key]' } });
    expect(Object.keys(input)).toEqual([SECRET]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('copies __proto__ keys as plain data', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "yes"}}') as unknown;
    const out = r.redactValue(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('handles very deep values without recursion', () => {
    let deep: unknown = SECRET;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    let out = r.redactValue(deep);
    for (let i = 0; i < 200_000; i++) out = (out as unknown[])[0];
    expect(out).toBe('[secret:stripe_key]');
  });

  it('redacts error messages', () => {
    expect(r.redactError(new Error(`bad key ${SECRET}`))).toBe('bad key [secret:stripe_key]');
  });

  it('is a no-op without secrets and ignores empty values', () => {
    const empty = new Redactor([['nothing', '']]);
    expect(empty.size).toBe(0);
    expect(empty.redact('unchanged')).toBe('unchanged');
    expect(empty.redactValue({ a: 'b' })).toEqual({ a: 'b' });
  });

  it('labels a value once even if two names share it, and accepts values added later', () => {
    const later = new Redactor([['first', 'same-value-123']]);
    later.add('second', 'same-value-123');
    later.add('computed', 'derived-key-456');
    expect(later.redact('same-value-123 derived-key-456')).toBe('[secret:first] [secret:computed]');
  });

  describe('short values (fewer than 4 characters)', () => {
    const short = new Redactor([['pin', '42x']]);
    it('are redacted where they stand alone', () => {
      expect(short.redact('{"pin":"42x"}')).toBe('{"pin":"[secret:pin]"}');
      expect(short.redact('pin=42x&next')).toBe('pin=[secret:pin]&next');
      expect(short.redact('42x')).toBe('[secret:pin]');
    });
    it('are not cut out of longer words', () => {
      expect(short.redact('a242xb and 42xyz')).toBe('a242xb and 42xyz');
    });
  });

  it('redacts every occurrence in a large output with many secrets', () => {
    const many = new Redactor(Array.from({ length: 100 }, (_, i) => [`s${i}`, `secret-value-${i}-${'x'.repeat(20)}`] as const));
    const chunk = 'lorem ipsum dolor sit amet '.repeat(40);
    const text = Array.from({ length: 200 }, (_, i) => chunk + `secret-value-${i % 100}-${'x'.repeat(20)}`).join('\n');
    const big = text.repeat(5); // ~1.1 MB
    const out = many.redact(big);
    expect(out).not.toMatch(/secret-value-\d+-x{20}/);
    expect(out.match(/\[secret:s\d+\]/g)).toHaveLength(1000);
  });

  it('encodedForms covers the documented encodings', () => {
    const forms = encodedForms('a b/c');
    expect(forms).toEqual(expect.arrayContaining(['a b/c', 'YSBiL2M=', 'YSBiL2M', 'a%20b%2Fc', 'a%20b/c', 'a+b%2Fc']));
  });
});
