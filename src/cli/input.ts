import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { Metadata, MetadataValue } from '../client/types';
import { UsageError } from './exit-codes';
import type { CliIo } from './io';

/** Reading values, metadata and numbers from flags, files and stdin. */

export interface ValueFlags {
  value?: string;
  valueFile?: string;
  keepNewline?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Binary secrets are stored base64-encoded by the caller; silently mangling them is worse.
    throw new UsageError(`${what} is not valid UTF-8 (encode binary data, e.g. with base64, first)`);
  }
}

export async function readStdin(io: CliIo): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Reads one line from a terminal without echoing it. */
export async function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  stdin.setRawMode?.(true);
  stdin.resume();
  let line = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer | string) => {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData);
            return resolve(line);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new UsageError('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else line += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode?.(false);
    stdin.pause();
    io.stderr.write('\n');
  }
}

/**
 * Editors and `echo` end files and pipes with a newline nobody means to store (it breaks an
 * Authorization header), so one trailing \n or \r\n is dropped from --value-file and stdin
 * unless --keep-newline. A value given with --value is taken exactly as the shell passed it.
 */
function dropFinalNewline(text: string, keep: boolean | undefined): string {
  if (keep) return text;
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** The value from --value, --value-file or stdin (`--value -` / `--value-file -`); undefined when none was given. */
export async function readValue(flags: ValueFlags, io: CliIo): Promise<string | undefined> {
  if (flags.value !== undefined && flags.valueFile !== undefined) {
    throw new UsageError('give the value with one of --value or --value-file, not both');
  }
  const fromStdin = flags.value === '-' || flags.valueFile === '-';
  if (fromStdin) {
    if (io.stdin.isTTY) return promptHidden(io, 'value (input hidden): ');
    return dropFinalNewline(decodeUtf8(await readStdin(io), 'stdin'), flags.keepNewline);
  }
  if (flags.valueFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(flags.valueFile);
    } catch (error) {
      throw new UsageError(`cannot read --value-file ${flags.valueFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return dropFinalNewline(decodeUtf8(bytes, `--value-file ${flags.valueFile}`), flags.keepNewline);
  }
  return flags.value;
}

/** commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `key=value` stores a string; `key:=json` stores a number or boolean (httpie's convention), so
 * `--metadata replicas:=3` and `--metadata tier=3` are both expressible and filters match exactly.
 */
export function parseMetadata(pairs: readonly string[] | undefined): Metadata | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const metadata: Metadata = {};
  for (const pair of pairs) {
    const typed = /^([^=:]+):=(.*)$/s.exec(pair);
    if (typed) {
      const [, key, raw] = typed as unknown as [string, string, string];
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        value = undefined;
      }
      if (typeof value !== 'number' && typeof value !== 'boolean') {
        throw new UsageError(`--metadata ${key}:=... must be a JSON number or boolean (use ${key}=... for a string)`);
      }
      metadata[key] = value as MetadataValue;
      continue;
    }
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata takes key=value (string) or key:=number|boolean, got ${JSON.stringify(pair)}`);
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return metadata;
}

/** commander argument parser for whole numbers. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw)) throw new InvalidArgumentError('must be a whole number');
    const n = Number(raw);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

/** commander parser for timestamps: ISO 8601, or a duration from now like 30d, 12h, 90m. */
export function timestamp(raw: string): string {
  const duration = /^(\d+)([mhdw])$/.exec(raw);
  if (duration) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[duration[2] as 'm' | 'h' | 'd' | 'w'];
    return new Date(Date.now() + Number(duration[1]) * unit).toISOString();
  }
  const time = Date.parse(raw);
  if (Number.isNaN(time)) throw new InvalidArgumentError('must be an ISO 8601 time (2027-01-31T00:00:00Z) or a duration like 30d');
  return new Date(time).toISOString();
}
