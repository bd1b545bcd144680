import type { CreatedApiKey } from '../api-keys/service';
import { builder } from '../builder';
import { actorOf } from '../context';
import type { Developer } from '../developers/service';
import { NameTakenError, NotFoundError } from '../errors';
import { ApiKeyRef, IssuedApiKeyRef } from './api-key';
import { WRITE_ERRORS } from './errors';

export const DeveloperRef = builder.objectRef<Developer>('Developer').implement({
  description: 'A tenant: owns secrets, data keys and API keys.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    apiKeys: t.field({
      type: [ApiKeyRef],
      description: 'Every API key of this developer, newest first. Needs keys:manage.',
      authScopes: { scope: 'keys:manage' },
      resolve: (developer, _args, ctx) => ctx.services.apiKeys.list(developer.id),
    }),
  }),
});

const CreateDeveloperInput = builder.inputType('CreateDeveloperInput', {
  fields: (t) => ({ name: t.string({ required: true }) }),
});

const CreateDeveloperPayload = builder
  .objectRef<{ developer: Developer; apiKey: CreatedApiKey }>('CreateDeveloperPayload')
  .implement({
    fields: (t) => ({
      developer: t.field({ type: DeveloperRef, resolve: (p) => p.developer }),
      apiKey: t.field({ type: IssuedApiKeyRef, description: 'A first key with every scope.', resolve: (p) => p.apiKey }),
    }),
  });

builder.queryField('me', (t) =>
  t.field({
    type: DeveloperRef,
    description: 'The developer the calling API key belongs to.',
    authScopes: { developer: true },
    resolve: async (_root, _args, ctx) => {
      const developer = await ctx.services.developers.get(actorOf(ctx).developerId);
      if (!developer) throw new NotFoundError('developer not found');
      return developer;
    },
  }),
);

builder.mutationField('createDeveloper', (t) =>
  t.field({
    type: CreateDeveloperPayload,
    description: 'Admin token only. Developer names are unique (NameTakenError).',
    args: { input: t.arg({ type: CreateDeveloperInput, required: true }) },
    authScopes: { admin: true },
    errors: { types: [...WRITE_ERRORS, NameTakenError], union: { name: 'CreateDeveloperResult' } },
    resolve: (_root, { input }, ctx) => ctx.services.developers.create(input.name, ctx.requestId),
  }),
);
