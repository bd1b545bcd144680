import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Scope } from './auth/principal';
import type { Context } from './context';
import { ForbiddenError } from './errors';

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { admin: boolean; developer: boolean; scope: Scope };
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date };
  };
  DefaultFieldNullability: false;
}>({
  // Errors before scope-auth: an authorization failure on a mutation becomes a typed
  // ForbiddenError member of its result union rather than a top-level error.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      admin: ctx.principal.kind === 'admin',
      developer: ctx.principal.kind === 'developer',
      scope: (scope) => ctx.principal.kind === 'developer' && ctx.principal.scopes.has(scope),
    }),
    unauthorizedError: (_parent, ctx, info, result) => {
      ctx.deniedFields.push(`${info.parentType.name}.${info.fieldName}`);
      return new ForbiddenError(
        ctx.principal.kind === 'admin'
          ? 'the admin token can only manage developers; use a developer API key'
          : needsAdmin(result.failure)
            ? 'only the admin token can do this'
            : `this API key lacks the scope this needs (${describeFailure(result.failure)})`,
      );
    },
  },
  errors: { directResult: true },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { authScopes: { scope: 'secrets:read' } },
    nodesQueryOptions: false,
  },
});

function needsAdmin(failure: unknown): boolean {
  const node = failure as { scope?: string; failures?: unknown[] } | undefined;
  return node?.scope === 'admin' || Boolean(node?.failures?.some(needsAdmin));
}

function describeFailure(failure: unknown): string {
  const scopes = new Set<string>();
  const walk = (f: unknown) => {
    if (!f || typeof f !== 'object') return;
    const node = f as { kind?: string; scope?: string; parameter?: unknown; failures?: unknown[] };
    if (node.scope === 'scope' && typeof node.parameter === 'string') scopes.add(node.parameter);
    node.failures?.forEach(walk);
  };
  walk(failure);
  return scopes.size > 0 ? [...scopes].join(' or ') : 'a developer API key';
}

builder.queryType({});
builder.mutationType({});
