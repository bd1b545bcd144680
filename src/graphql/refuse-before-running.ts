import { type DocumentNode, type ExecutionResult, type GraphQLField, GraphQLError, type GraphQLSchema, Kind, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal';
import { actorOf, type Context } from '../context';
import { ForbiddenError } from '../errors';
import { operationOf, summarizeOperation } from './selection-summary';

/**
 * Refuse before running: the scopes an operation needs come from its whole selection set,
 * payload selections included, and an operation the caller may not run as a whole is refused
 * before any resolver starts. Without this, `updateSecret { ... on UpdateSecretPayload {
 * secret { value } } }` from a key lacking secrets:reveal would commit the update and only
 * then fail on `value`, answering "forbidden" for a write that happened.
 *
 * One case is left to scope-auth at run time, because its answer is the same and keeps the
 * typed shape clients rely on: an operation with a single root field that is itself refused
 * (nothing under it can run), e.g. createSecret without secrets:write -> ForbiddenError member.
 */
export function useRefuseBeforeRunning(): Plugin<Context> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as Context;
      const document = args.document as DocumentNode;
      const operation = operationOf(document, args.operationName);
      if (!operation || !ctx?.principal) return;
      const refusal = refusalOf(ctx, args.schema, document, operation);
      if (!refusal) return;
      setResultAndStopExecution(refusal);
      // Audited like denials during execution (auditDenials records those; a stopped
      // operation never reaches it), before the response goes out.
      await auditDenials(ctx);
    },
  };
}

/**
 * The answer to an operation the caller may not run as a whole (its denied fields noted on the
 * context for auditDenials), or undefined when it may run. Shared by the plugin above and the
 * persisted-operation lane.
 */
export function refusalOf(ctx: Context, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): ExecutionResult | undefined {
  const summary = summarizeOperation(schema, document, operation);
  const denied = [...summary.fields].filter(([, field]) => !permits(ctx.principal, field)).map(([coordinate]) => coordinate);
  if (denied.length === 0) return undefined;

  const roots = operation.selectionSet.selections.filter((s) => !(s.kind === Kind.FIELD && s.name.value === '__typename'));
  const rootType = operation.operation === 'mutation' ? 'Mutation' : 'Query';
  const singleRoot = roots.length === 1 && roots[0]!.kind === Kind.FIELD ? `${rootType}.${roots[0]!.name.value}` : undefined;
  if (singleRoot && denied.includes(singleRoot)) return undefined;

  ctx.deniedFields.push(...denied);
  const message =
    ctx.principal.kind === 'admin'
      ? 'the admin token can only manage developers; use a developer API key'
      : `this API key lacks a scope this operation needs (${describe(denied, summary.fields)}); nothing was run`;
  const refusal = new ForbiddenError(message);
  return {
    errors: [
      new GraphQLError(refusal.message, {
        extensions: { code: refusal.code, deniedFields: denied, http: { status: refusal.httpStatus } },
      }),
    ],
  };
}

/**
 * Fields refused in this request (by refusalOf, or by scope-auth during execution) are written
 * as one `auth.denied` audit event before the response goes out. A failure to record is logged,
 * not shown: the caller was refused either way.
 */
export async function auditDenials(ctx: Context): Promise<void> {
  if (ctx.deniedFields.length === 0 || ctx.principal.kind !== 'developer') return;
  try {
    await ctx.services.audit.recordDenied(actorOf(ctx), ctx.deniedFields);
  } catch (error) {
    ctx.logger.error({ err: error, requestId: ctx.requestId }, 'could not audit a refused request');
  }
}

type ScopeRule = Record<string, unknown> | ((...args: unknown[]) => unknown);

/** Mirrors the builder's auth scopes (admin / developer / scope) for the static rules fields declare. */
function permits(principal: Principal, field: GraphQLField<unknown, unknown>): boolean {
  const rule = (field.extensions as { pothosOptions?: { authScopes?: ScopeRule } } | undefined)?.pothosOptions?.authScopes;
  if (!rule || typeof rule === 'function') return true; // none, or decided at run time by scope-auth
  return satisfies(principal, rule);
}

/** Pothos combines the keys of a scope map with "any", except under `$all`. */
function satisfies(principal: Principal, rule: Record<string, unknown>, mode: 'any' | 'all' = 'any'): boolean {
  const checks = Object.entries(rule).map(([key, value]) => {
    if (key === '$all') return satisfies(principal, value as Record<string, unknown>, 'all');
    if (key === '$any') return satisfies(principal, value as Record<string, unknown>, 'any');
    if (key === 'admin') return value === true && principal.kind === 'admin';
    if (key === 'developer') return value === true && principal.kind === 'developer';
    if (key === 'scope') return principal.kind === 'developer' && principal.scopes.has(value as never);
    return false; // a scope this mirror does not know: refuse rather than guess
  });
  return mode === 'all' ? checks.every(Boolean) : checks.some(Boolean);
}

function describe(denied: string[], fields: ReadonlyMap<string, GraphQLField<unknown, unknown>>): string {
  const scopes = new Set<string>();
  for (const coordinate of denied) {
    const rule = (fields.get(coordinate)?.extensions as { pothosOptions?: { authScopes?: Record<string, unknown> } } | undefined)?.pothosOptions?.authScopes;
    if (rule && typeof rule.scope === 'string') scopes.add(rule.scope);
    else if (rule?.admin) scopes.add('the admin token');
    else scopes.add('a developer API key');
  }
  return `${[...scopes].join(', ')} for ${denied.join(', ')}`;
}
