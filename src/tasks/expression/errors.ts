/**
 * The one error type the expression language throws. Callers (document validation, the
 * runner, GraphQL) can rely on `instanceof ExpressionError` or on `code`, and map `offset`
 * into the surrounding document to report a line and column there.
 */

export type ExpressionErrorCode =
  | 'syntax' // the source does not parse
  | 'name' // unknown name or function
  | 'type' // operation not defined for these value types
  | 'value' // right type, bad value (int('x'), slice step 0, ...)
  | 'key' // missing dict key / list index out of range
  | 'zero_division'
  | 'forbidden' // constructor, __proto__, host objects ...
  | 'budget' // size, depth, step or time budget exhausted
  | 'internal'; // a bug; never expected, but still an ExpressionError

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units like editors and the yaml package. */
  readonly column: number;
}

export function positionAt(source: string, offset: number): SourcePosition {
  let line = 1;
  let column = 1;
  const end = Math.max(0, Math.min(offset, source.length));
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { line, column };
}

/** Which budget an evaluation ran out of (for code 'budget'). */
export type BudgetKind = 'steps' | 'time' | 'size' | 'depth';

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  readonly code: ExpressionErrorCode;
  budget: BudgetKind | undefined;
  /** Offset into the expression source (UTF-16 code units, 0-based). */
  readonly offset: number;
  readonly line: number;
  readonly column: number;

  constructor(message: string, code: ExpressionErrorCode, source: string, offset: number) {
    super(message);
    this.code = code;
    this.offset = Math.max(0, Math.min(offset, source.length));
    const pos = positionAt(source, this.offset);
    this.line = pos.line;
    this.column = pos.column;
  }

  /** The message with its position, for places that show the expression on its own. */
  describe(): string {
    return `${this.message} (line ${this.line}, column ${this.column})`;
  }
}
