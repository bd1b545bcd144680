import { type AuditEvent, type AuditVerification, encodeAuditCursor } from '../audit/service';
import { builder } from '../builder';
import { actorOf } from '../context';
import { toConnection } from './connection';

export const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent').implement({
  description: 'One audited action. Never carries a value or a token.',
  fields: (t) => ({
    id: t.exposeID('id'),
    chain: t.exposeString('chain', {
      description: 'The hash chain the event belongs to: one per writer node ("" for events from before per-node chains).',
    }),
    seq: t.exposeInt('seq', { description: 'Position in its hash chain, from 1.' }),
    action: t.exposeString('action'),
    secretName: t.exposeString('secretName', { nullable: true }),
    version: t.exposeInt('version', { nullable: true }),
    actor: t.exposeString('actor', { nullable: true, description: 'API key id, "admin" or "system".' }),
    requestId: t.exposeString('requestId', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
    detail: t.expose('detail', { type: 'JSON', nullable: true }),
  }),
});

const AuditVerificationRef = builder.objectRef<AuditVerification>('AuditVerification').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    checkedEvents: t.exposeInt('checkedEvents'),
    checkedChains: t.exposeInt('checkedChains', { description: 'Hash chains (writer nodes) the log has.' }),
    firstBrokenChain: t.exposeString('firstBrokenChain', { nullable: true }),
    firstBrokenSeq: t.exposeInt('firstBrokenSeq', { nullable: true, description: 'Position in firstBrokenChain.' }),
    reason: t.exposeString('reason', { nullable: true }),
  }),
});

const AuditFilter = builder.inputType('AuditFilter', {
  fields: (t) => ({
    actions: t.stringList({ description: 'e.g. ["secret.reveal", "task.secret_use"]' }),
    secretName: t.string(),
    since: t.field({ type: 'DateTime' }),
    until: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  auditEvents: t.connection(
    {
      type: AuditEventRef,
      description: "The calling developer's audit log, newest first. Needs audit:read.",
      authScopes: { scope: 'audit:read' },
      args: { filter: t.arg({ type: AuditFilter }) },
      resolve: async (_root, args, ctx) => toConnection(await ctx.services.audit.list(actorOf(ctx), args), encodeAuditCursor),
    },
    { name: 'AuditEventConnection' },
    { name: 'AuditEventEdge' },
  ),
  verifyAuditLog: t.field({
    type: AuditVerificationRef,
    description: 'Recomputes the hash chain; reports the first event that was edited, removed or reordered.',
    authScopes: { scope: 'audit:read' },
    resolve: (_root, _args, ctx) => ctx.services.audit.verify(actorOf(ctx)),
  }),
}));
