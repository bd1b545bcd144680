import { DATABASE_KINDS } from '../support/databases';
import { TestClock } from '../support/integration';
import { openRaw } from '../support/raw-db';
import { useDeveloper, useTestApp } from '../support/test-app';

/** The audit log (docs/audit-chain.md): every operation leaves exactly one record; the hash chain shows any edit or removal. */
describe.each(DATABASE_KINDS)('audit log on %s', (kind) => {
  const clock = new TestClock();
  const t = useTestApp(kind, { clock });
  const dev = useDeveloper(t);
  const VALUE_1 = 'audit-value-first-9d81';
  const VALUE_2 = 'audit-value-second-7c22';

  const gql = (query: string, token = dev.token) => t.graphql(token, query).then((r) => r.body);
  const events = async () =>
    (await gql(`{ auditEvents(first: 500) { edges { node { seq action secretName version actor requestId at detail } } } }`)).data.auditEvents.edges.map(
      (e: any) => e.node,
    );


  it('records each operation exactly once, newest first, with actor and request id, and never a value', async () => {
    const before = (await events()).length; // apikey.create from createDeveloper
    expect(before).toBe(1);
    await gql(`mutation { createSecret(input: { name: "audited", value: "${VALUE_1}" }) { __typename } }`);
    await gql(`mutation { updateSecret(input: { name: "audited", value: "${VALUE_2}" }) { __typename } }`);
    await gql(`{ secret(name: "audited") { value } }`);
    await gql(`mutation { rollbackSecret(input: { name: "audited", version: 1 }) { __typename } }`);
    await gql(`mutation { deleteSecret(input: { name: "audited" }) { __typename } }`);
    await gql(`mutation { restoreSecret(input: { name: "audited" }) { __typename } }`);
    await gql(`mutation { deleteSecret(input: { name: "audited", force: true }) { __typename } }`);
    const key = await gql(`mutation { createApiKey(input: { name: "reader", scopes: ["secrets:read"] }) { ... on CreateApiKeyPayload { apiKey { id token } } } }`);
    const reader = key.data.createApiKey.apiKey;
    await gql(`{ secrets(first: 1) { edges { node { name } } } }`, reader.token); // allowed: not audited
    const denied = await t.graphql(reader.token, `mutation { createSecret(input: { name: "nope", value: "x" }) { __typename } }`);
    expect(denied.body.data.createSecret.__typename).toBe('ForbiddenError');
    await gql(`mutation { revokeApiKey(input: { id: "${reader.id}" }) { __typename } }`);

    const log = await events();
    expect(log.map((e: any) => e.action).reverse()).toEqual([
      'apikey.create',
      'secret.create',
      'secret.update',
      'secret.reveal',
      'secret.rollback',
      'secret.delete',
      'secret.restore',
      'secret.purge',
      'apikey.create',
      'auth.denied',
      'apikey.revoke',
    ]);
    expect(log.map((e: any) => e.seq)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const byAction = Object.fromEntries(log.map((e: any) => [e.action, e]));
    expect(byAction['secret.rollback']).toMatchObject({ secretName: 'audited', version: 3, detail: { fromVersion: 1 } });
    expect(byAction['auth.denied']).toMatchObject({ actor: reader.id, detail: { fields: ['Mutation.createSecret'] } });
    expect(byAction['apikey.revoke'].detail).toMatchObject({ apiKeyId: reader.id, name: 'reader' });
    for (const e of log) {
      expect(e.at).toBe(clock.iso());
      if (e.action !== 'apikey.create' || e.seq !== 1) expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }

    const raw = await openRaw(t.db);
    try {
      const rows = JSON.stringify(await raw.all('SELECT * FROM audit_events'));
      for (const secret of [VALUE_1, VALUE_2, dev.token, reader.token, t.adminToken]) expect(rows).not.toContain(secret);
    } finally {
      await raw.close();
    }
  });

  it('filters by action and secret name and pages', async () => {
    const reveals = await gql(`{ auditEvents(first: 10, filter: { actions: ["secret.reveal"], secretName: "audited" }) { edges { node { action } } } }`);
    expect(reveals.data.auditEvents.edges).toEqual([{ node: { action: 'secret.reveal' } }]);
    const page1 = await gql(`{ auditEvents(first: 4) { edges { node { seq } } pageInfo { hasNextPage endCursor } } }`);
    expect(page1.data.auditEvents.edges.map((e: any) => e.node.seq)).toEqual([11, 10, 9, 8]);
    const page2 = await gql(`{ auditEvents(first: 4, after: "${page1.data.auditEvents.pageInfo.endCursor}") { edges { node { seq } } } }`);
    expect(page2.data.auditEvents.edges.map((e: any) => e.node.seq)).toEqual([7, 6, 5, 4]);
  });

  it('needs audit:read and shows only the caller\'s own events', async () => {
    const other = await t.createDeveloper('other');
    const theirs = await gql(`{ auditEvents(first: 50) { edges { node { action secretName } } } }`, other.token);
    expect(theirs.data.auditEvents.edges).toEqual([{ node: { action: 'apikey.create', secretName: null } }]);
    const key = await gql(`mutation { createApiKey(input: { name: "no-audit", scopes: ["secrets:read"] }) { ... on CreateApiKeyPayload { apiKey { token } } } }`);
    const refused = await t.graphql(key.data.createApiKey.apiKey.token, `{ auditEvents(first: 1) { edges { node { action } } } }`);
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('verifies an untouched chain and reports the first edited or deleted row', async () => {
    const verify = () =>
      gql(`{ verifyAuditLog { ok checkedEvents checkedChains firstBrokenChain firstBrokenSeq reason } }`).then((b) => b.data.verifyAuditLog);
    // One writer node here: the tenant's log is one chain, that node's.
    const chain = t.app.tenants.nodeId;
    const intact = await verify();
    expect(intact).toMatchObject({ ok: true, checkedChains: 1, firstBrokenChain: null, firstBrokenSeq: null });
    expect(intact.checkedEvents).toBeGreaterThanOrEqual(11);

    const raw = await openRaw(t.db);
    try {
      const [row] = await raw.all('SELECT id, action FROM audit_events WHERE developer_id = ? AND seq = 4', [dev.id]);
      await raw.run('UPDATE audit_events SET action = ? WHERE id = ?', ['secret.create', row!.id]);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenChain: chain, firstBrokenSeq: 4, reason: `event 4 of chain "${chain}" was modified` });
      await raw.run('UPDATE audit_events SET action = ? WHERE id = ?', [row!.action, row!.id]);
      expect((await verify()).ok).toBe(true);

      await raw.run('DELETE FROM audit_events WHERE developer_id = ? AND seq = 6', [dev.id]);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenChain: chain, firstBrokenSeq: 6 });
    } finally {
      await raw.close();
    }
  });

  it('detects removal of the newest events too', async () => {
    const fresh = await t.createDeveloper('tail');
    await gql(`mutation { createSecret(input: { name: "tail_secret", value: "tail-value-1234" }) { __typename } }`, fresh.token);
    const raw = await openRaw(t.db);
    try {
      await raw.run('DELETE FROM audit_events WHERE developer_id = ? AND seq = 2', [fresh.id]);
    } finally {
      await raw.close();
    }
    const result = await gql(`{ verifyAuditLog { ok firstBrokenSeq } }`, fresh.token);
    expect(result.data.verifyAuditLog).toEqual({ ok: false, firstBrokenSeq: 2 });
  });
});
