import type { ApiKey, CreatedApiKey } from '../api-keys/service';
import { builder } from '../builder';
import { actorOf } from '../context';
import { NotFoundError } from '../errors';
import { WRITE_ERRORS } from './errors';

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: 'A bearer credential for one developer. Only a hash of the token is stored.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'The first characters of the token, to tell keys apart.' }),
    scopes: t.exposeStringList('scopes'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    parentId: t.exposeID('parentId', {
      nullable: true,
      description: 'The key that minted this one: this key expires no later than it and is revoked with it.',
    }),
  }),
});

export const IssuedApiKeyRef = builder.objectRef<CreatedApiKey>('IssuedApiKey').implement({
  description: 'A newly created API key. `token` is shown this once and cannot be retrieved again.',
  fields: (t) => ({
    id: t.id({ resolve: (k) => k.apiKey.id }),
    token: t.exposeString('token'),
    apiKey: t.field({ type: ApiKeyRef, resolve: (k) => k.apiKey }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.stringList({ description: 'Defaults to every scope the calling key holds.' }),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
});

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKey: CreatedApiKey }>('CreateApiKeyPayload').implement({
  fields: (t) => ({ apiKey: t.field({ type: IssuedApiKeyRef, resolve: (p) => p.apiKey }) }),
});

const RevokeApiKeyPayload = builder.objectRef<{ apiKey: ApiKey }>('RevokeApiKeyPayload').implement({
  fields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, resolve: (p) => p.apiKey }) }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    authScopes: { scope: 'keys:manage' },
    errors: { types: WRITE_ERRORS, union: { name: 'CreateApiKeyResult' } },
    resolve: async (_root, { input }, ctx) => {
      const actor = actorOf(ctx);
      const held = ctx.principal.kind === 'developer' ? ctx.principal.scopes : new Set<never>();
      const scopes = input.scopes ?? [...held];
      return { apiKey: await ctx.services.apiKeys.create(actor, held, { ...input, scopes }) };
    },
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    authScopes: { scope: 'keys:manage' },
    errors: { types: [...WRITE_ERRORS, NotFoundError], union: { name: 'RevokeApiKeyResult' } },
    resolve: async (_root, { input }, ctx) => ({ apiKey: await ctx.services.apiKeys.revoke(actorOf(ctx), String(input.id)) }),
  }),
}));
