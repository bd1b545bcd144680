import type { Metadata } from '../client/types';
import type { CliIo } from './io';

/** stdout rendering: JSON for scripts (--json), aligned plain text for people. */

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLine(io: CliIo, line = ''): void {
  io.stdout.write(line + '\n');
}

/** Progress notes and warnings go to stderr so stdout stays parseable. */
export function note(io: CliIo, message: string): void {
  io.stderr.write(`locksmith: ${message}\n`);
}

// Control characters from the server (a description, a metadata value) must not drive the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g;
const clean = (text: string) => text.replace(CONTROL, '?');

export function printTable(io: CliIo, headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): void {
  const cells = [headers, ...rows].map((row) => row.map((cell) => clean(cell).replace(/\n/g, ' ')));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  for (const row of cells) {
    const line = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
    io.stdout.write(line.trimEnd() + '\n');
  }
}

/** `label  value` lines, labels aligned. */
export function printFields(io: CliIo, fields: ReadonlyArray<readonly [string, string | null | undefined]>): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) {
    io.stdout.write(`${label.padEnd(width)}  ${clean(value ?? '-')}\n`);
  }
}

export function formatMetadata(metadata: Metadata): string {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return '-';
  return entries.map(([k, v]) => (typeof v === 'string' ? `${k}=${v}` : `${k}:=${String(v)}`)).join(' ');
}

export const orDash = (value: string | number | null | undefined): string =>
  value === null || value === undefined || value === '' ? '-' : String(value);
