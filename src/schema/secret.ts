import { builder } from '../builder';
import { actorOf } from '../context';
import { countReveal } from '../graphql/reveal-budget';
import { encodeSecretCursor, encodeVersionCursor, type Secret } from '../secrets/service';
import { toConnection } from './connection';
import { SecretVersionRef } from './secret-version';

export const SecretRef = builder.objectRef<Secret>('Secret');

builder.node(SecretRef, {
  id: { resolve: (secret) => secret.id },
  loadOne: (id, ctx) => ctx.services.secrets.getById(actorOf(ctx), id),
  description: 'A named, encrypted value owned by one developer. Reading `value` needs secrets:reveal.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    version: t.exposeInt('version', { description: 'The current version number; bumps when the value changes.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true }),
    purgeAt: t.expose('purgeAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a deleted secret is erased for good unless restored first.',
    }),
    rotateEveryDays: t.exposeInt('rotateEveryDays', { nullable: true }),
    rotationDueAt: t.expose('rotationDueAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the value is due for rotation (last value change + rotateEveryDays).',
    }),
    valueChangedAt: t.expose('valueChangedAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    lastRevealedAt: t.expose('lastRevealedAt', { type: 'DateTime', nullable: true }),
    allowedHosts: t.stringList({
      nullable: true,
      description: 'The only hosts a task may send this secret, or anything derived from it, to; empty: any host the server policy allows.',
      resolve: (secret) => [...secret.allowedHosts],
    }),
    value: t.string({
      description: 'The decrypted current value. Needs secrets:reveal; every read is audited.',
      authScopes: { scope: 'secrets:reveal' },
      resolve: (secret, _args, ctx) => {
        countReveal(ctx);
        return ctx.services.secrets.reveal(actorOf(ctx), secret);
      },
    }),
    versions: t.connection(
      {
        type: SecretVersionRef,
        description: 'Versions, newest first.',
        resolve: async (secret, args, ctx) =>
          toConnection(await ctx.services.secrets.listVersions(actorOf(ctx), secret, args), (v) => encodeVersionCursor(v.version)),
      },
      { name: 'SecretVersionConnection' },
      { name: 'SecretVersionEdge' },
    ),
  }),
});

const SecretFilter = builder.inputType('SecretFilter', {
  fields: (t) => ({
    metadata: t.field({
      type: 'JSON',
      description: 'Secrets whose metadata has every given key with exactly the given value.',
    }),
    namePrefix: t.string(),
    deleted: t.boolean({ description: 'true lists deleted secrets still in their recovery window.' }),
    dueForRotation: t.boolean({ description: 'true lists secrets whose rotation is due or whose expiresAt has passed.' }),
  }),
});

builder.queryFields((t) => ({
  secret: t.field({
    type: SecretRef,
    nullable: true,
    description: 'A live secret by name; null when absent or deleted.',
    authScopes: { scope: 'secrets:read' },
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => ctx.services.secrets.get(actorOf(ctx), name),
  }),
  secrets: t.connection(
    {
      type: SecretRef,
      description: 'Secrets ordered by name.',
      authScopes: { scope: 'secrets:read' },
      args: { filter: t.arg({ type: SecretFilter }) },
      resolve: async (_root, args, ctx) =>
        toConnection(await ctx.services.secrets.list(actorOf(ctx), args), encodeSecretCursor),
    },
    { name: 'SecretConnection' },
    { name: 'SecretEdge' },
  ),
  secretValue: t.string({
    nullable: true,
    description:
      'Just the value of a live secret (the current version, or `version`); null when absent. Needs secrets:reveal; audited. REST: GET /api/secret-value.',
    authScopes: { scope: 'secrets:reveal' },
    args: { name: t.arg.string({ required: true }), version: t.arg.int() },
    resolve: async (_root, { name, version }, ctx) => {
      const actor = actorOf(ctx);
      countReveal(ctx);
      const secret = await ctx.services.secrets.get(actor, name);
      return secret ? ctx.services.secrets.reveal(actor, secret, version ?? undefined) : null;
    },
  }),
  secretVersion: t.field({
    type: SecretVersionRef,
    nullable: true,
    description: 'One version of a live secret; null when the secret or version does not exist.',
    authScopes: { scope: 'secrets:read' },
    args: { name: t.arg.string({ required: true }), version: t.arg.int({ required: true }) },
    resolve: async (_root, { name, version }, ctx) => {
      const actor = actorOf(ctx);
      const secret = await ctx.services.secrets.get(actor, name);
      if (!secret) return null;
      return ctx.services.secrets.findVersion(actor, secret, version);
    },
  }),
}));
