/**
 * AST of the expression language. Every node carries [start, end) offsets into the full
 * expression source so runtime errors point at the exact sub-expression.
 */

export type Literal = null | boolean | number | string;

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not';

interface Span {
  readonly start: number;
  readonly end: number;
}

export type Node =
  | (Span & { readonly type: 'Literal'; readonly value: Literal })
  | (Span & { readonly type: 'FString'; readonly parts: readonly (string | Node)[] })
  | (Span & { readonly type: 'Name'; readonly name: string })
  | (Span & { readonly type: 'Attribute'; readonly object: Node; readonly name: string; readonly nameStart: number })
  | (Span & { readonly type: 'Index'; readonly object: Node; readonly index: Node })
  | (Span & {
      readonly type: 'Slice';
      readonly object: Node;
      readonly lower: Node | null;
      readonly upper: Node | null;
      readonly step: Node | null;
    })
  | (Span & { readonly type: 'Call'; readonly callee: Node; readonly args: readonly Node[] })
  | (Span & { readonly type: 'Unary'; readonly op: '-' | '+' | 'not'; readonly operand: Node })
  | (Span & { readonly type: 'Binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node })
  | (Span & { readonly type: 'Compare'; readonly ops: readonly CompareOp[]; readonly operands: readonly Node[] })
  | (Span & { readonly type: 'BoolOp'; readonly op: 'and' | 'or'; readonly left: Node; readonly right: Node })
  | (Span & { readonly type: 'Conditional'; readonly test: Node; readonly body: Node; readonly orelse: Node })
  | (Span & { readonly type: 'List'; readonly items: readonly Node[] })
  | (Span & { readonly type: 'Dict'; readonly entries: readonly (readonly [Node, Node])[] });

export type NodeOf<T extends Node['type']> = Extract<Node, { type: T }>;

export function childrenOf(node: Node): Node[] {
  switch (node.type) {
    case 'Literal':
    case 'Name':
      return [];
    case 'FString':
      return node.parts.filter((p): p is Node => typeof p !== 'string');
    case 'Attribute':
      return [node.object];
    case 'Index':
      return [node.object, node.index];
    case 'Slice':
      return [node.object, node.lower, node.upper, node.step].filter((n): n is Node => n !== null);
    case 'Call':
      return [node.callee, ...node.args];
    case 'Unary':
      return [node.operand];
    case 'Binary':
    case 'BoolOp':
      return [node.left, node.right];
    case 'Compare':
      return [...node.operands];
    case 'Conditional':
      return [node.test, node.body, node.orelse];
    case 'List':
      return [...node.items];
    case 'Dict':
      return node.entries.flatMap(([k, v]) => [k, v]);
  }
}

/** Iterative walk (no recursion: an AST may be a long left-leaning chain). */
export function walk(root: Node, visit: (node: Node, parent: Node | null) => void): void {
  const stack: [Node, Node | null][] = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    visit(node, parent);
    const kids = childrenOf(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, node]);
  }
}

export function depthOf(root: Node): number {
  let max = 0;
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    if (d > max) max = d;
    for (const kid of childrenOf(node)) stack.push([kid, d + 1]);
  }
  return max;
}
