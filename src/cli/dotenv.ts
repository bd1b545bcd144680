import { parse } from 'dotenv';

/**
 * Writing .env files that dotenv (the parser `locksmith import` uses, and most tools) reads back
 * to exactly the same values. dotenv has no general escape mechanism: single quotes and backticks
 * are literal (multi-line allowed), double quotes expand only \n and \r, and CR line breaks are
 * normalised to LF before parsing. So each value gets the first quoting style that round-trips,
 * checked by parsing it back, and the whole document is verified once more at the end. A value
 * no style can carry (it holds ', " and ` and also a CR or a literal \n) is refused rather than
 * written wrongly.
 */

const PLAIN = /^[A-Za-z0-9_./:@+,%-]+$/;

function candidates(value: string): string[] {
  const double = `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  const list: string[] = [];
  if (PLAIN.test(value)) list.push(value);
  // Portable forms first (a quote character that never appears inside the value) ...
  if (!value.includes("'")) list.push(`'${value}'`);
  if (!value.includes('"') && !value.includes('\\')) list.push(double);
  if (!value.includes('`')) list.push(`\`${value}\``);
  // ... then forms only dotenv's lenient parser reads back as intended (still verified below).
  list.push(`'${value}'`, double, `\`${value}\``);
  return list;
}

function roundTrips(key: string, encoded: string, value: string): boolean {
  // A sentinel entry after it catches a quote that would swallow the following lines.
  const parsed = parse(`${key}=${encoded}\nLOCKSMITH_SENTINEL='x'\n`);
  return parsed[key] === value && parsed.LOCKSMITH_SENTINEL === 'x' && Object.keys(parsed).length === 2;
}

export class DotenvEncodingError extends Error {
  override readonly name = 'DotenvEncodingError';
  constructor(readonly keys: string[]) {
    super(`cannot write ${keys.join(', ')} as .env: no dotenv quoting keeps the value intact (it mixes ', " and \` with line breaks or #)`);
  }
}

export function encodeDotenv(entries: ReadonlyArray<readonly [string, string]>): string {
  const lines: string[] = [];
  const failed: string[] = [];
  for (const [key, value] of entries) {
    const encoded = candidates(value).find((c) => roundTrips(key, c, value));
    if (encoded === undefined) failed.push(key);
    else lines.push(`${key}=${encoded}`);
  }
  if (failed.length > 0) throw new DotenvEncodingError(failed);
  const text = lines.length > 0 ? lines.join('\n') + '\n' : '';
  const back = parse(text);
  const mismatched = entries.filter(([key, value]) => back[key] !== value).map(([key]) => key);
  if (mismatched.length > 0 || Object.keys(back).length !== entries.length) throw new DotenvEncodingError(mismatched);
  return text;
}

export function parseDotenv(text: string): Array<[string, string]> {
  return Object.entries(parse(text));
}
