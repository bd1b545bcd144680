import { type BudgetKind, ExpressionError, type ExpressionErrorCode } from './errors';

function budgetError(message: string, kind: BudgetKind, source: string, at: number): ExpressionError {
  const err = new ExpressionError(message, 'budget', source, at);
  err.budget = kind;
  return err;
}

/**
 * Budgets that keep any single expression cheap. A task author controls the expression text
 * and (through inputs and HTTP responses) much of the data, so every dimension that could
 * grow without bound has a cap: source size, AST size and depth, evaluation work, the size
 * of strings and lists it builds, value nesting, and wall-clock time.
 */
export interface ExpressionLimits {
  maxSourceLength: number;
  maxNodes: number;
  /** Nesting of the expression itself (brackets, operator chains). */
  maxDepth: number;
  /** Nesting of values walked recursively (==, str(), json_dumps of inputs ...). */
  maxValueDepth: number;
  /** Abstract work units: one per AST node evaluated plus one per element/char touched by builtins. */
  maxSteps: number;
  maxStringLength: number;
  maxCollectionLength: number;
  timeoutMs: number;
}

export const DEFAULT_EXPRESSION_LIMITS: Readonly<ExpressionLimits> = Object.freeze({
  maxSourceLength: 16 * 1024,
  maxNodes: 2_000,
  maxDepth: 100,
  maxValueDepth: 256,
  // Work units are roughly characters or items touched, so a pass over a 1 MiB string costs
  // about a million: a few passes over the largest value allowed, not thousands.
  maxSteps: 5_000_000,
  maxStringLength: 1024 * 1024,
  maxCollectionLength: 100_000,
  timeoutMs: 1_000,
});

export function resolveLimits(partial?: Partial<ExpressionLimits>): ExpressionLimits {
  return { ...DEFAULT_EXPRESSION_LIMITS, ...(partial ?? {}) };
}

/** Per-evaluation meter. Cheap to call on every node: the clock is read every 1024 ticks. */
export class Budget {
  private steps = 0;
  private nextClockCheck = 1024;
  private readonly deadline: number;

  constructor(
    readonly limits: ExpressionLimits,
    readonly source: string,
    deadline?: number,
  ) {
    const own = Date.now() + limits.timeoutMs;
    this.deadline = deadline === undefined ? own : Math.min(own, deadline);
  }

  fail(message: string, code: ExpressionErrorCode, at: number): never {
    throw new ExpressionError(message, code, this.source, at);
  }

  tick(units: number, at: number): void {
    this.steps += units;
    if (this.steps > this.limits.maxSteps) {
      throw budgetError(`expression exceeded its evaluation budget of ${this.limits.maxSteps} steps`, 'steps', this.source, at);
    }
    if (this.steps >= this.nextClockCheck) {
      this.nextClockCheck = this.steps + 1024;
      this.checkClock(at);
    }
  }

  checkClock(at: number): void {
    if (Date.now() > this.deadline) {
      throw budgetError('expression took too long to evaluate', 'time', this.source, at);
    }
  }

  /** Call BEFORE building a string of this length, so a runaway never allocates. */
  checkString(length: number, at: number): void {
    if (length > this.limits.maxStringLength) {
      throw budgetError(`string of ${length} characters exceeds the limit of ${this.limits.maxStringLength}`, 'size', this.source, at);
    }
  }

  checkCollection(length: number, at: number): void {
    if (length > this.limits.maxCollectionLength) {
      throw budgetError(`list of ${length} items exceeds the limit of ${this.limits.maxCollectionLength}`, 'size', this.source, at);
    }
  }

  checkValueDepth(depth: number, at: number): void {
    if (depth > this.limits.maxValueDepth) {
      throw budgetError(`value is nested more than ${this.limits.maxValueDepth} levels deep`, 'depth', this.source, at);
    }
  }
}
