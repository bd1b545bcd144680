/**
 * Where a part of a task document came from, and the shape of a validation problem. Shared
 * by the document loader, the normaliser, static analysis and validation so every problem
 * points at the same kind of location: a path like `steps[1].arguments.city` and, when the
 * task was given as text, a 1-based line and column.
 */

export interface Site {
  readonly path: string;
  readonly line: number | null;
  readonly column: number | null;
  /**
   * For string scalars given as text: maps an offset inside the string's *value* to the
   * document position, accounting for quotes, escapes and block indentation.
   */
  readonly locate?: (valueOffset: number) => { line: number; column: number };
}

export interface TaskProblem {
  readonly message: string;
  readonly path: string | null;
  readonly line: number | null;
  readonly column: number | null;
}

export function problemAt(site: Site | null, message: string, valueOffset?: number): TaskProblem {
  if (site === null) return { message, path: null, line: null, column: null };
  if (valueOffset !== undefined && site.locate !== undefined) {
    const pos = site.locate(valueOffset);
    return { message, path: site.path, line: pos.line, column: pos.column };
  }
  return { message, path: site.path === '' ? null : site.path, line: site.line, column: site.column };
}

/** A collector that keeps problems in document order of discovery. */
export class Problems {
  readonly list: TaskProblem[] = [];

  add(site: Site | null, message: string, valueOffset?: number): void {
    this.list.push(problemAt(site, message, valueOffset));
  }

  get size(): number {
    return this.list.length;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function childPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENTIFIER.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

export function describeLocation(site: { path: string | null; line: number | null; column: number | null }): string {
  const where = site.path ?? 'task';
  return site.line === null ? where : `${where} (line ${site.line}, column ${site.column})`;
}
