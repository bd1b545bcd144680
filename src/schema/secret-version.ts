import { builder } from '../builder';
import { actorOf } from '../context';
import { countReveal } from '../graphql/reveal-budget';
import type { SecretVersionInfo } from '../secrets/service';

export const SecretVersionRef = builder.objectRef<SecretVersionInfo>('SecretVersion').implement({
  description: 'One value of a secret. Values are never overwritten: each change adds a version.',
  fields: (t) => ({
    version: t.exposeInt('version'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    createdBy: t.exposeString('createdBy', { nullable: true, description: 'API key id that wrote this version.' }),
    destroyed: t.boolean({ resolve: (v) => v.destroyedAt !== null }),
    destroyedAt: t.expose('destroyedAt', { type: 'DateTime', nullable: true }),
    value: t.string({
      description: 'The decrypted value. Needs secrets:reveal; every read is audited.',
      authScopes: { scope: 'secrets:reveal' },
      resolve: async (v, _args, ctx) => {
        const actor = actorOf(ctx);
        countReveal(ctx);
        const secret = await ctx.services.secrets.getById(actor, v.secretId);
        if (!secret) throw new Error('secret vanished during the request');
        return ctx.services.secrets.reveal(actor, secret, v.version);
      },
    }),
  }),
});
