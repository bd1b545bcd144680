import fc from 'fast-check';
import { parse } from 'dotenv';
import { DotenvEncodingError, encodeDotenv } from '../../../src/cli/dotenv';

/** `locksmith export` must write .env text that `import` (dotenv) reads back to the same values. */
describe('encodeDotenv', () => {
  it('round-trips the awkward values people keep in .env files', () => {
    const values: Record<string, string> = {
      PLAIN: 'sk-abc_123',
      SPACES: '  padded  ',
      HASH: 'a#b # c',
      EQUALS: 'a=b=c',
      SINGLE: "it's",
      DOUBLE: 'say "hi"',
      BACKTICK: '`cmd`',
      NEWLINES: 'one\ntwo\n',
      CRLF: 'one\r\ntwo',
      BACKSLASH_N: 'C:\\new\\name',
      TRAILING_BACKSLASH: 'ends\\',
      ALL_QUOTES_MULTILINE: `it's "all"\n\`three\``,
      UNICODE: 'пароль ✓ 🔑',
      JSON: '{"a": [1, "b"]}',
    };
    const text = encodeDotenv(Object.entries(values));
    expect(parse(text)).toEqual(values);
  });

  it('refuses a value no quoting can carry, naming the key, instead of corrupting it', () => {
    expect(() => encodeDotenv([['OK', 'fine'], ['BAD', `'"\`#\n`]])).toThrow(DotenvEncodingError);
    expect(() => encodeDotenv([['BAD', `'"\`#\n`]])).toThrow(/BAD/);
  });

  it('either round-trips or refuses, for any values', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/);
    const value = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom('a', ' ', '#', '=', "'", '"', '`', '\\', 'n', '\n', '\r', '$', 'é') });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 6 }), (entries) => {
        let text: string;
        try {
          text = encodeDotenv(entries);
        } catch (error) {
          expect(error).toBeInstanceOf(DotenvEncodingError);
          return;
        }
        expect(parse(text)).toEqual(Object.fromEntries(entries));
      }),
      { numRuns: 500 },
    );
  });
});
