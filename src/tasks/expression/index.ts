import type { Node } from './ast';
import { ExpressionError } from './errors';
import { evaluateAst, type Scope } from './evaluator';
import { resolveLimits, type ExpressionLimits } from './limits';
import { parse } from './parser';
import type { Value } from './values';

export { ExpressionError, positionAt, type ExpressionErrorCode, type SourcePosition } from './errors';
export { DEFAULT_EXPRESSION_LIMITS, type ExpressionLimits } from './limits';
export type { Value, Dict } from './values';
export type { Node } from './ast';
export type { Scope } from './evaluator';
export { FUNCTIONS, METHODS } from './functions';

export interface CompiledExpression {
  readonly source: string;
  readonly ast: Node;
  readonly nodeCount: number;
}

export interface EvaluateOptions {
  limits?: Partial<ExpressionLimits>;
  /** Absolute deadline (Date.now() ms); the evaluation also has its own timeoutMs. */
  deadline?: number;
}

/** Parses once; throws only ExpressionError. */
export function compileExpression(source: string, limits?: Partial<ExpressionLimits>): CompiledExpression {
  try {
    const { ast, nodeCount } = parse(source, resolveLimits(limits));
    return { source, ast, nodeCount };
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    throw new ExpressionError(
      err instanceof RangeError ? 'expression is nested too deeply' : 'internal error while parsing the expression',
      err instanceof RangeError ? 'budget' : 'internal',
      source,
      0,
    );
  }
}

/** Evaluates a compiled expression (or source text) against a scope of plain data. */
export function evaluateExpression(expr: CompiledExpression | string, scope: Scope, options: EvaluateOptions = {}): Value {
  const compiled = typeof expr === 'string' ? compileExpression(expr, options.limits) : expr;
  return evaluateAst(compiled.ast, compiled.source, scope, resolveLimits(options.limits), options.deadline);
}
