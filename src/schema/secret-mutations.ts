import { builder } from '../builder';
import { actorOf } from '../context';
import { NameTakenError, NotFoundError, VersionConflictError } from '../errors';
import type { Secret } from '../secrets/service';
import { WRITE_ERRORS } from './errors';
import { SecretRef } from './secret';

/** Secret writes. Each returns a `XResult` union of `XPayload { secret }` and typed errors. */

function payload(name: string) {
  return builder.objectRef<{ secret: Secret }>(name).implement({
    fields: (t) => ({ secret: t.field({ type: SecretRef, resolve: (p) => p.secret }) }),
  });
}

const CreateSecretInput = builder.inputType('CreateSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true }),
    description: t.string(),
    metadata: t.field({ type: 'JSON' }),
    rotateEveryDays: t.int(),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
});

const UpdateSecretInput = builder.inputType('UpdateSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string(),
    description: t.string({ description: 'null clears the description.' }),
    metadata: t.field({ type: 'JSON', description: 'Replaces the whole metadata object.' }),
    expectedVersion: t.int({ description: 'Check-and-set: apply only if the current version is this one.' }),
  }),
});

const DeleteSecretInput = builder.inputType('DeleteSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    recoveryWindowDays: t.int({ description: 'Days the secret stays restorable (0-30, default 7; 0 purges at once).' }),
    force: t.boolean({ description: 'Purge now, with no recovery window.' }),
  }),
});

const RestoreSecretInput = builder.inputType('RestoreSecretInput', {
  fields: (t) => ({ name: t.string({ required: true }) }),
});

builder.mutationFields((t) => ({
  createSecret: t.field({
    type: payload('CreateSecretPayload'),
    args: { input: t.arg({ type: CreateSecretInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NameTakenError], union: { name: 'CreateSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.create(actorOf(ctx), input) }),
  }),
  updateSecret: t.field({
    type: payload('UpdateSecretPayload'),
    args: { input: t.arg({ type: UpdateSecretInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NotFoundError, VersionConflictError], union: { name: 'UpdateSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.update(actorOf(ctx), input) }),
  }),
  deleteSecret: t.field({
    type: payload('DeleteSecretPayload'),
    args: { input: t.arg({ type: DeleteSecretInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NotFoundError], union: { name: 'DeleteSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.delete(actorOf(ctx), input) }),
  }),
  restoreSecret: t.field({
    type: payload('RestoreSecretPayload'),
    args: { input: t.arg({ type: RestoreSecretInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NotFoundError, NameTakenError], union: { name: 'RestoreSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.restore(actorOf(ctx), input.name) }),
  }),
}));
