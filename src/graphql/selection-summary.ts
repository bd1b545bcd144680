import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * What an operation touches, computed from its whole selection set (fragments and payload
 * selections included) without running it: every field it selects, as schema coordinates, and
 * how many value-revealing fields it names. Named fragments are summarised once and reused, so
 * a document of fragments spreading each other twice cannot make this exponential; a fragment
 * cycle (rejected later by validation) counts as empty.
 */
export interface SelectionSummary {
  /** "Type.field" -> the field's definition, for every field selected anywhere. */
  readonly fields: ReadonlyMap<string, GraphQLField<unknown, unknown>>;
  /** Occurrences of reveal fields, with fragment spreads counted each time they appear. */
  readonly reveals: number;
  /** Occurrences of fields that walk a whole tenant's history (verifyAuditLog). */
  readonly fullScans: number;
}

export const REVEAL_FIELDS: ReadonlySet<string> = new Set(['Secret.value', 'SecretVersion.value', 'Query.secretValue']);
export const FULL_SCAN_FIELDS: ReadonlySet<string> = new Set(['Query.verifyAuditLog']);

export function operationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/**
 * Summaries by operation node: the parse cache hands every request of a cached document the same
 * nodes, so an operation is summarised once (at validation) rather than again on every request.
 * Weak: an entry lives as long as its document does (the parse cache bounds that).
 */
const summaries = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; summary: SelectionSummary }>();

export function summarizeOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): SelectionSummary {
  const cached = summaries.get(operation);
  if (cached?.schema === schema) return cached.summary;
  const summary = summarizeUncached(schema, document, operation);
  summaries.set(operation, { schema, summary });
  return summary;
}

function summarizeUncached(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): SelectionSummary {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, SelectionSummary>();
  const inProgress = new Set<string>();

  const summarize = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined): SelectionSummary => {
    const fields = new Map<string, GraphQLField<unknown, unknown>>();
    let reveals = 0;
    let fullScans = 0;
    const merge = (s: SelectionSummary) => {
      for (const [k, v] of s.fields) fields.set(k, v);
      reveals += s.reveals;
      fullScans += s.fullScans;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!parent || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const def = parent.getFields()[selection.name.value];
        if (!def) continue; // unknown field: validation refuses the document
        const coordinate = `${parent.name}.${def.name}`;
        fields.set(coordinate, def);
        if (REVEAL_FIELDS.has(coordinate)) reveals += 1;
        if (FULL_SCAN_FIELDS.has(coordinate)) fullScans += 1;
        if (selection.selectionSet) merge(summarize(selection.selectionSet, getNamedType(def.type) as GraphQLCompositeType));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined) : parent;
        merge(summarize(selection.selectionSet, type));
      } else {
        merge(fragment(selection.name.value));
      }
    }
    return { fields, reveals, fullScans };
  };

  const fragment = (name: string): SelectionSummary => {
    const done = memo.get(name);
    if (done) return done;
    const definition = fragments.get(name);
    if (!definition || inProgress.has(name)) return { fields: new Map(), reveals: 0, fullScans: 0 };
    inProgress.add(name);
    const type = schema.getType(definition.typeCondition.name.value) as GraphQLCompositeType | undefined;
    const summary = summarize(definition.selectionSet, type);
    inProgress.delete(name);
    memo.set(name, summary);
    return summary;
  };

  const root =
    operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return summarize(operation.selectionSet, root ?? undefined);
}
