import { ValidationError } from './errors';

/** Relay-style keyset pagination shared by every list: arguments, windows, pages, cursors. */

export interface PageArgs {
  first?: unknown;
  after?: string | null;
  last?: unknown;
  before?: string | null;
}

export interface Page<T> {
  readonly items: T[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

export interface PageWindow {
  readonly limit: number;
  readonly cursor: string | null | undefined;
  /** last/before: walk the index the other way, then flip the rows back into order. */
  readonly backwards: boolean;
}

/** The default of LOCKSMITH_MAX_PAGE_SIZE: the most rows one page of any list may ask for. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

function pageSize(value: unknown, field: string, max: number): number {
  if (value === undefined || value === null) return Math.min(DEFAULT_PAGE_SIZE, max);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(field, `${field} must be a whole number from 0 to ${max} (LOCKSMITH_MAX_PAGE_SIZE)`);
  }
  return value;
}

/** `maxPageSize` is the server's LOCKSMITH_MAX_PAGE_SIZE; services pass it from their config. */
export function checkPageArgs(args: PageArgs, maxPageSize: number = MAX_PAGE_SIZE): PageWindow {
  const backwards = (args.last !== undefined && args.last !== null) || Boolean(args.before);
  if (backwards && ((args.first !== undefined && args.first !== null) || args.after)) {
    throw new ValidationError('first', 'page forwards (first/after) or backwards (last/before), not both');
  }
  return backwards
    ? { limit: pageSize(args.last, 'last', maxPageSize), cursor: args.before, backwards }
    : { limit: pageSize(args.first, 'first', maxPageSize), cursor: args.after, backwards };
}

/** Rows were fetched with one extra (limit + 1) to learn whether another page exists. */
export function toPage<T>(rows: T[], window: PageWindow): Page<T> {
  const more = rows.length > window.limit;
  const items = rows.slice(0, window.limit);
  if (window.backwards) items.reverse();
  return {
    items,
    hasNextPage: window.backwards ? Boolean(window.cursor) : more,
    hasPreviousPage: window.backwards ? more : Boolean(window.cursor),
  };
}

/** Opaque cursors: base64url JSON tagged with the list they belong to. */
export function encodeCursor(tag: string, ...parts: Array<string | number>): string {
  return Buffer.from(JSON.stringify([tag, ...parts])).toString('base64url');
}

/** Decodes a cursor of the given tag and shape; anything else is a ValidationError, not a crash. */
export function decodeCursor(cursor: string, tag: string, shape: ReadonlyArray<'string' | 'number'>): Array<string | number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const parts = Array.isArray(parsed) ? parsed.slice(1) : [];
  const ok =
    Array.isArray(parsed) &&
    parsed[0] === tag &&
    parts.length === shape.length &&
    parts.every((p, i) => (shape[i] === 'number' ? Number.isSafeInteger(p) : typeof p === 'string'));
  if (!ok) throw new ValidationError('after', 'not a cursor from this list');
  return parts as Array<string | number>;
}
