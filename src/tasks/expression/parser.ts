import type { BinaryOp, CompareOp, Node } from './ast';
import { depthOf } from './ast';
import { ExpressionError } from './errors';
import type { ExpressionLimits } from './limits';
import { tokenize, type Token } from './lexer';

/**
 * Recursive-descent parser with Python's precedence (lowest first):
 *   x if c else y  <  or  <  and  <  not  <  comparisons (chained)  <  + -  <  * / // %
 *   <  unary - +  <  **  <  calls, attributes, subscripts
 * Recursion is bounded by `maxDepth` (nested brackets, unary chains, f-strings) and the
 * finished tree's depth is checked too, because left-associative chains (1+1+1+...) are
 * built in a loop yet evaluate recursively.
 */

interface SharedState {
  nodes: number;
  depth: number;
}

export function parse(source: string, limits: ExpressionLimits): { ast: Node; nodeCount: number } {
  if (source.length > limits.maxSourceLength) {
    throw new ExpressionError(
      `expression is ${source.length} characters long; the limit is ${limits.maxSourceLength}`,
      'budget',
      source,
      0,
    );
  }
  const state: SharedState = { nodes: 0, depth: 0 };
  const ast = new Parser(source, 0, source.length, limits, state).parseAll();
  if (depthOf(ast) > limits.maxDepth) {
    throw new ExpressionError(`expression is nested too deeply (limit ${limits.maxDepth})`, 'budget', source, 0);
  }
  return { ast, nodeCount: state.nodes };
}

const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(
    private readonly source: string,
    from: number,
    to: number,
    private readonly limits: ExpressionLimits,
    private readonly state: SharedState,
  ) {
    this.tokens = tokenize(source, from, to);
  }

  parseAll(): Node {
    const node = this.expression();
    const t = this.peek();
    if (t.type !== 'eof') this.unexpected(t);
    return node;
  }

  // ---- helpers -----------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }

  private nextOp(): string {
    const t = this.next();
    return t.type === 'op' ? t.value : '';
  }

  private isOp(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'op' && t.value === value;
  }

  private isKeyword(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'keyword' && t.value === value;
  }

  private expectOp(value: string, context: string): Token {
    const t = this.peek();
    if (t.type === 'op' && t.value === value) return this.next();
    return this.fail(`expected '${value}' ${context}, found ${describe(t)}`, t.start);
  }

  private fail(message: string, at: number): never {
    throw new ExpressionError(message, 'syntax', this.source, at);
  }

  private unexpected(t: Token): never {
    if (t.type === 'keyword' && (t.value === 'for' || t.value === 'async')) {
      this.fail('comprehensions are not supported', t.start);
    }
    if (t.type === 'keyword' && !['and', 'or', 'not', 'in', 'is', 'if', 'else'].includes(t.value)) {
      this.fail(`'${t.value}' is not supported in expressions`, t.start);
    }
    return this.fail(`unexpected ${describe(t)}`, t.start);
  }

  private node<N extends Node>(n: N): N {
    this.state.nodes++;
    if (this.state.nodes > this.limits.maxNodes) {
      throw new ExpressionError(`expression is too large (more than ${this.limits.maxNodes} nodes)`, 'budget', this.source, n.start);
    }
    return n;
  }

  private enter(at: number): void {
    this.state.depth++;
    if (this.state.depth > this.limits.maxDepth) {
      throw new ExpressionError(`expression is nested too deeply (limit ${this.limits.maxDepth})`, 'budget', this.source, at);
    }
  }

  private leave(): void {
    this.state.depth--;
  }

  // ---- grammar -----------------------------------------------------------------------

  private expression(): Node {
    this.enter(this.peek().start);
    try {
      const body = this.orExpr();
      if (!this.isKeyword('if')) return body;
      this.next();
      const test = this.orExpr();
      if (!this.isKeyword('else')) this.fail(`expected 'else' in conditional expression, found ${describe(this.peek())}`, this.peek().start);
      this.next();
      const orelse = this.expression();
      return this.node({ type: 'Conditional', test, body, orelse, start: body.start, end: orelse.end });
    } finally {
      this.leave();
    }
  }

  private orExpr(): Node {
    let left = this.andExpr();
    while (this.isKeyword('or')) {
      this.next();
      const right = this.andExpr();
      left = this.node({ type: 'BoolOp', op: 'or', left, right, start: left.start, end: right.end });
    }
    return left;
  }

  private andExpr(): Node {
    let left = this.notExpr();
    while (this.isKeyword('and')) {
      this.next();
      const right = this.notExpr();
      left = this.node({ type: 'BoolOp', op: 'and', left, right, start: left.start, end: right.end });
    }
    return left;
  }

  private notExpr(): Node {
    if (this.isKeyword('not')) {
      const t = this.next();
      this.enter(t.start);
      try {
        const operand = this.notExpr();
        return this.node({ type: 'Unary', op: 'not', operand, start: t.start, end: operand.end });
      } finally {
        this.leave();
      }
    }
    return this.comparison();
  }

  private compareOp(): CompareOp | null {
    const t = this.peek();
    if (t.type === 'op' && COMPARE_OPS.has(t.value)) {
      this.next();
      return t.value as CompareOp;
    }
    if (t.type === 'keyword') {
      if (t.value === 'in') {
        this.next();
        return 'in';
      }
      if (t.value === 'not' && this.isKeyword('in', 1)) {
        this.next();
        this.next();
        return 'not in';
      }
      if (t.value === 'is') {
        this.next();
        if (this.isKeyword('not')) {
          this.next();
          return 'is not';
        }
        return 'is';
      }
    }
    return null;
  }

  private comparison(): Node {
    const first = this.arith();
    const ops: CompareOp[] = [];
    const operands: Node[] = [first];
    for (let op = this.compareOp(); op !== null; op = this.compareOp()) {
      ops.push(op);
      operands.push(this.arith());
    }
    if (ops.length === 0) return first;
    return this.node({ type: 'Compare', ops, operands, start: first.start, end: operands[operands.length - 1]!.end });
  }

  private arith(): Node {
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.nextOp() as BinaryOp;
      const right = this.term();
      left = this.node({ type: 'Binary', op, left, right, start: left.start, end: right.end });
    }
    return left;
  }

  private term(): Node {
    let left = this.factor();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.nextOp() as BinaryOp;
      const right = this.factor();
      left = this.node({ type: 'Binary', op, left, right, start: left.start, end: right.end });
    }
    return left;
  }

  private factor(): Node {
    if (this.isOp('-') || this.isOp('+')) {
      const start = this.peek().start;
      const op = this.nextOp() as '-' | '+';
      this.enter(start);
      try {
        const operand = this.factor();
        return this.node({ type: 'Unary', op, operand, start, end: operand.end });
      } finally {
        this.leave();
      }
    }
    return this.power();
  }

  private power(): Node {
    const base = this.primary();
    if (!this.isOp('**')) return base;
    const t = this.next();
    this.enter(t.start);
    try {
      // Right-associative, and the exponent may carry a sign: 2 ** -1.
      const exponent = this.factor();
      return this.node({ type: 'Binary', op: '**', left: base, right: exponent, start: base.start, end: exponent.end });
    } finally {
      this.leave();
    }
  }

  private primary(): Node {
    let node = this.atom();
    while (true) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.type !== 'name' && t.type !== 'keyword') this.fail(`expected a name after '.', found ${describe(t)}`, t.start);
        node = this.node({ type: 'Attribute', object: node, name: t.value as string, nameStart: t.start, start: node.start, end: t.end });
      } else if (this.isOp('[')) {
        node = this.subscript(node);
      } else if (this.isOp('(')) {
        node = this.call(node);
      } else {
        return node;
      }
    }
  }

  private subscript(object: Node): Node {
    this.next();
    let lower: Node | null = null;
    if (!this.isOp(':')) {
      lower = this.expression();
      if (this.isOp(']')) {
        const close = this.next();
        return this.node({ type: 'Index', object, index: lower, start: object.start, end: close.end });
      }
      if (this.isOp(',')) this.fail('tuple indexes are not supported', this.peek().start);
    }
    this.expectOp(':', 'in slice');
    const upper = this.isOp(']') || this.isOp(':') ? null : this.expression();
    let step: Node | null = null;
    if (this.isOp(':')) {
      this.next();
      step = this.isOp(']') ? null : this.expression();
    }
    const close = this.expectOp(']', 'to close the subscript');
    return this.node({ type: 'Slice', object, lower, upper, step, start: object.start, end: close.end });
  }

  private call(callee: Node): Node {
    this.next();
    const args = this.sequence(')', 'argument list');
    const close = this.next();
    return this.node({ type: 'Call', callee, args, start: callee.start, end: close.end });
  }

  /** Comma-separated expressions up to (not consuming) `closer`; trailing comma allowed. */
  private sequence(closer: string, what: string): Node[] {
    const items: Node[] = [];
    while (!this.isOp(closer)) {
      if (this.peek().type === 'eof') this.fail(`expected '${closer}' to close the ${what}`, this.peek().start);
      if (this.isOp('*') || this.isOp('**')) this.fail('unpacking (*args) is not supported', this.peek().start);
      items.push(this.expression());
      if (this.isKeyword('for')) this.fail('comprehensions are not supported', this.peek().start);
      if (this.isOp(',')) this.next();
      else if (!this.isOp(closer)) this.fail(`expected ',' or '${closer}' in ${what}, found ${describe(this.peek())}`, this.peek().start);
    }
    return items;
  }

  private atom(): Node {
    const t = this.peek();
    switch (t.type) {
      case 'number':
        this.next();
        return this.node({ type: 'Literal', value: t.value, start: t.start, end: t.end });
      case 'string':
      case 'fstring':
        return this.strings();
      case 'name':
        this.next();
        return this.node({ type: 'Name', name: t.value, start: t.start, end: t.end });
      case 'keyword': {
        const literal = KEYWORD_LITERALS.get(t.value);
        if (literal !== undefined) {
          this.next();
          return this.node({ type: 'Literal', value: literal.value, start: t.start, end: t.end });
        }
        return this.unexpected(t);
      }
      case 'op':
        if (t.value === '(') return this.parenthesized();
        if (t.value === '[') return this.list();
        if (t.value === '{') return this.dict();
        return this.unexpected(t);
      case 'eof':
        return this.fail('unexpected end of expression', t.start);
    }
  }

  private parenthesized(): Node {
    const open = this.next();
    if (this.isOp(')')) this.fail('empty parentheses (tuples are not supported)', open.start);
    const inner = this.expression();
    if (this.isOp(',')) this.fail('tuples are not supported; use a list [a, b]', this.peek().start);
    this.expectOp(')', 'to close the parenthesis');
    return inner;
  }

  private list(): Node {
    const open = this.next();
    const items = this.sequence(']', 'list');
    const close = this.next();
    return this.node({ type: 'List', items, start: open.start, end: close.end });
  }

  private dict(): Node {
    const open = this.next();
    const entries: (readonly [Node, Node])[] = [];
    while (!this.isOp('}')) {
      if (this.peek().type === 'eof') this.fail("expected '}' to close the dict", this.peek().start);
      if (this.isOp('**')) this.fail('dict unpacking (**d) is not supported', this.peek().start);
      const key = this.expression();
      if (!this.isOp(':')) {
        this.fail(this.isOp(',') || this.isOp('}') ? 'sets are not supported; use a list' : `expected ':' in dict, found ${describe(this.peek())}`, this.peek().start);
      }
      this.next();
      const value = this.expression();
      entries.push([key, value]);
      if (this.isOp(',')) this.next();
      else if (!this.isOp('}')) this.fail(`expected ',' or '}' in dict, found ${describe(this.peek())}`, this.peek().start);
    }
    const close = this.next();
    return this.node({ type: 'Dict', entries, start: open.start, end: close.end });
  }

  /** Adjacent string literals concatenate, as in Python: 'a' f'{b}' 'c'. */
  private strings(): Node {
    const first = this.peek();
    const parts: (string | Node)[] = [];
    let hasExpr = false;
    let end = first.end;
    while (this.peek().type === 'string' || this.peek().type === 'fstring') {
      const t = this.next();
      end = t.end;
      if (t.type === 'string') {
        parts.push(t.value);
      } else if (t.type === 'fstring') {
        for (const part of t.parts) {
          if (part.kind === 'text') parts.push(part.value);
          else {
            hasExpr = true;
            parts.push(this.fstringExpression(part.start, part.end));
          }
        }
      }
    }
    if (!hasExpr) {
      return this.node({ type: 'Literal', value: parts.join(''), start: first.start, end });
    }
    const merged: (string | Node)[] = [];
    for (const p of parts) {
      const last = merged[merged.length - 1];
      if (typeof p === 'string' && typeof last === 'string') merged[merged.length - 1] = last + p;
      else merged.push(p);
    }
    return this.node({ type: 'FString', parts: merged, start: first.start, end });
  }

  private fstringExpression(start: number, end: number): Node {
    return new Parser(this.source, start, end, this.limits, this.state).parseAll();
  }
}

const KEYWORD_LITERALS: ReadonlyMap<string, { value: null | boolean }> = new Map([
  ['True', { value: true }],
  ['true', { value: true }],
  ['False', { value: false }],
  ['false', { value: false }],
  ['None', { value: null }],
  ['null', { value: null }],
]);

function describe(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of expression';
    case 'number':
      return `number ${t.value}`;
    case 'string':
      return 'string';
    case 'fstring':
      return 'f-string';
    case 'name':
      return `name '${t.value}'`;
    case 'keyword':
      return `'${t.value}'`;
    case 'op':
      return `'${t.value}'`;
  }
}
