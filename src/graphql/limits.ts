import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { type DocumentNode, GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { LimitsConfig } from '../config';
import type { Context } from '../context';
import { LimitExceededError } from '../errors';
import { summarizeOperation } from './selection-summary';

/**
 * Limits on GraphQL documents, each refused with a typed LIMIT_EXCEEDED error naming the limit
 * and its setting. Tokens are counted while parsing (a huge document stops at the limit, not
 * after building its tree); depth, aliases, directives, cost and reveals are validation rules,
 * so a refused operation never executes. The graphql-armor rules do the counting; their
 * rejections are re-raised here as our typed error.
 */
export function limitError(error: LimitExceededError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, limit: error.limit, max: error.max, setting: error.setting, http: { status: error.httpStatus } },
  });
}

type Reject = (ctx: ValidationContext | null, error: GraphQLError) => void;

/** An armor onReject handler that reports (or, while parsing, throws) our typed error instead. */
function reject(limit: string, max: number, setting: string, what: string): Reject {
  return (ctx) => {
    const typed = limitError(new LimitExceededError(limit, max, setting, what));
    if (ctx) ctx.reportError(typed);
    else throw typed;
  };
}

export function useGraphQLLimits(limits: LimitsConfig): Plugin<Context>[] {
  const common = { exposeLimits: true, propagateOnRejection: false };
  const plugins: Plugin<Context>[] = [
    maxTokensPlugin({
      ...common,
      n: limits.maxTokens,
      onReject: [reject('tokens', limits.maxTokens, 'LOCKSMITH_MAX_TOKENS', 'the document has too many tokens')],
    }) as Plugin<Context>,
    maxDepthPlugin({
      ...common,
      n: limits.maxDepth,
      flattenFragments: true,
      onReject: [reject('depth', limits.maxDepth, 'LOCKSMITH_MAX_DEPTH', 'the operation is nested too deeply')],
    }) as Plugin<Context>,
    maxAliasesPlugin({
      ...common,
      n: limits.maxAliases,
      onReject: [reject('aliases', limits.maxAliases, 'LOCKSMITH_MAX_ALIASES', 'the operation uses too many aliases')],
    }) as Plugin<Context>,
    maxDirectivesPlugin({
      ...common,
      n: limits.maxDirectives,
      onReject: [reject('directives', limits.maxDirectives, 'LOCKSMITH_MAX_DIRECTIVES', 'the operation uses too many directives')],
    }) as Plugin<Context>,
    costLimitPlugin({
      ...common,
      maxCost: limits.maxCost,
      onReject: [reject('cost', limits.maxCost, 'LOCKSMITH_MAX_COST', 'the operation is too expensive')],
    }) as Plugin<Context>,
    {
      onValidate({ addValidationRule }) {
        addValidationRule(maxRevealsRule(limits.maxReveals));
        if (!limits.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    },
  ];
  // Suggestions ("Did you mean ...?") map the schema for whoever cannot introspect it.
  if (!limits.introspection) plugins.push(blockFieldSuggestionsPlugin() as Plugin<Context>);
  return plugins;
}

/**
 * Reveals per operation (and whole-chain verifications), counted statically: every `value` field (and `secretValue`) the
 * operation names, fragment spreads counted each time. Lists multiply this at run time; the
 * per-request counter (countReveal) catches those.
 */
function maxRevealsRule(max: number) {
  return function MaxRevealsRule(context: ValidationContext) {
    return {
      OperationDefinition: {
        enter(node: Parameters<typeof summarizeOperation>[2]) {
          const document = context.getDocument() as DocumentNode;
          const { reveals, fullScans } = summarizeOperation(context.getSchema(), document, node);
          // verifyAuditLog re-hashes a tenant's whole chain: once per operation is plenty.
          if (fullScans > 1) {
            context.reportError(limitError(new LimitExceededError('fullScans', 1, 'fixed', 'verifyAuditLog may appear once per operation')));
          }
          if (reveals > max) {
            context.reportError(
              limitError(new LimitExceededError('reveals', max, 'LOCKSMITH_MAX_REVEALS', `the operation reveals ${reveals > 1e9 ? 'far too many' : reveals} values`)),
            );
          }
        },
      },
    };
  };
}
