import { builder } from '../builder';
import { actorOf } from '../context';
import { NameTakenError, NotFoundError, VersionConflictError } from '../errors';
import type { Secret, SecretVersionInfo } from '../secrets/service';
import { WRITE_ERRORS } from './errors';
import { SecretRef } from './secret';
import { SecretVersionRef } from './secret-version';

/** Secret writes. Each returns a `XResult` union of `XPayload { secret }` and typed errors. */

function payload(name: string) {
  return builder.objectRef<{ secret: Secret }>(name).implement({
    fields: (t) => ({ secret: t.field({ type: SecretRef, resolve: (p) => p.secret }) }),
  });
}

const ALLOWED_HOSTS_DOC =
  'The only hosts a task may send this secret, or anything derived from it, to (host names; *.example.com for any name below example.com). Empty: any host the server policy allows.';

const CreateSecretInput = builder.inputType('CreateSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true }),
    description: t.string(),
    metadata: t.field({ type: 'JSON' }),
    rotateEveryDays: t.int(),
    expiresAt: t.field({ type: 'DateTime' }),
    allowedHosts: t.stringList({ description: ALLOWED_HOSTS_DOC }),
  }),
});

const UpdateSecretInput = builder.inputType('UpdateSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string(),
    description: t.string({ description: 'null clears the description.' }),
    metadata: t.field({ type: 'JSON', description: 'Replaces the whole metadata object.' }),
    rotateEveryDays: t.int({ description: 'Rotation reminder cadence in days (1-3650); null turns it off.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'After this, revealing the value fails with SECRET_EXPIRED; null clears it.' }),
    allowedHosts: t.stringList({ description: `${ALLOWED_HOSTS_DOC} Replaces the list; null or [] removes the binding.` }),
    expectedVersion: t.int({ description: 'Check-and-set: apply only if the current version is this one.' }),
  }),
});

const DeleteSecretInput = builder.inputType('DeleteSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    recoveryWindowDays: t.int({ description: 'Days the secret stays restorable (0-30, default 7; 0 purges at once).' }),
    force: t.boolean({ description: 'Purge now, with no recovery window.' }),
    expectedVersion: t.int({ description: 'Check-and-set: delete only if the current version is this one.' }),
  }),
});

const RollbackSecretInput = builder.inputType('RollbackSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    version: t.int({ required: true, description: 'The old version whose value becomes current (as a new version).' }),
    expectedVersion: t.int({ description: 'Check-and-set: roll back only if the current version is this one.' }),
  }),
});

const DestroySecretVersionInput = builder.inputType('DestroySecretVersionInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    version: t.int({ required: true }),
    expectedVersion: t.int({ description: "Check-and-set on the secret's current version." }),
  }),
});

const DestroySecretVersionPayload = builder.objectRef<{ version: SecretVersionInfo }>('DestroySecretVersionPayload').implement({
  fields: (t) => ({ version: t.field({ type: SecretVersionRef, resolve: (p) => p.version }) }),
});

const RestoreSecretInput = builder.inputType('RestoreSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    expectedVersion: t.int({ description: 'Check-and-set: restore only if the deleted secret is at this version.' }),
  }),
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
    errors: { types: [...WRITE_ERRORS, NotFoundError, VersionConflictError], union: { name: 'DeleteSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.delete(actorOf(ctx), input) }),
  }),
  rollbackSecret: t.field({
    type: payload('RollbackSecretPayload'),
    args: { input: t.arg({ type: RollbackSecretInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NotFoundError, VersionConflictError], union: { name: 'RollbackSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.rollback(actorOf(ctx), input) }),
  }),
  destroySecretVersion: t.field({
    type: DestroySecretVersionPayload,
    description: 'Erases one old version for good (the row stays as a tombstone).',
    args: { input: t.arg({ type: DestroySecretVersionInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NotFoundError, VersionConflictError], union: { name: 'DestroySecretVersionResult' } },
    resolve: async (_root, { input }, ctx) => ({ version: await ctx.services.secrets.destroyVersion(actorOf(ctx), input) }),
  }),
  restoreSecret: t.field({
    type: payload('RestoreSecretPayload'),
    args: { input: t.arg({ type: RestoreSecretInput, required: true }) },
    authScopes: { scope: 'secrets:write' },
    errors: { types: [...WRITE_ERRORS, NotFoundError, NameTakenError, VersionConflictError], union: { name: 'RestoreSecretResult' } },
    resolve: async (_root, { input }, ctx) => ({ secret: await ctx.services.secrets.restore(actorOf(ctx), input.name, input.expectedVersion) }),
  }),
}));
