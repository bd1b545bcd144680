import { builder } from '../builder';
import { actorOf } from '../context';
import type { RotatedDataKey } from '../crypto/key-rotation';
import { WRITE_ERRORS } from './errors';

/** Key material and wrapped bytes never appear here: a data key is described, not shown. */
const DataKeyRef = builder.objectRef<RotatedDataKey>('DataKey').implement({
  description: "One generation of a developer's data key. Only its wrapped form is stored; this describes it.",
  fields: (t) => ({
    id: t.exposeID('id'),
    generation: t.exposeInt('generation', { description: 'Per-developer counter; the highest generation seals new writes.' }),
    provider: t.exposeString('provider', { description: 'Name of the key provider that wrapped it (local, aws-kms, vault-transit, ...).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const RotateDataKeyPayload = builder.objectRef<{ dataKey: RotatedDataKey }>('RotateDataKeyPayload').implement({
  fields: (t) => ({ dataKey: t.field({ type: DataKeyRef, resolve: (p) => p.dataKey }) }),
});

builder.mutationField('rotateDataKey', (t) =>
  t.field({
    type: RotateDataKeyPayload,
    description:
      "Starts a new generation of the caller's data key: new writes use it at once, older versions stay readable under theirs. " +
      'Needs keys:manage; audited as datakey.rotate. Fails with KeyServiceUnavailableError, changing nothing, when the key provider is unreachable.',
    authScopes: { scope: 'keys:manage' },
    errors: { types: WRITE_ERRORS, union: { name: 'RotateDataKeyResult' } },
    resolve: async (_root, _args, ctx) => {
      const actor = actorOf(ctx);
      return { dataKey: await ctx.services.keys.rotateDataKey(actor.developerId, actor) };
    },
  }),
);
