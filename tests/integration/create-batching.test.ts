/**
 * Group commit of creates, counted on a real database: concurrent creates of one tenant share
 * a transaction (multi-row inserts, one audit append), and a name that is taken fails only its
 * own create, never the others of its batch.
 */
import { DATABASE_KINDS } from '../support/databases';
import { createSecret, TestClock } from '../support/integration';
import { useDeveloper, useStarted, useTestApp } from '../support/test-app';
import { watchedSecretService } from '../support/watched-service';

describe.each(DATABASE_KINDS)('create batching on %s', (kind) => {
  const clock = new TestClock();
  const t = useTestApp(kind, { clock });
  const dev = useDeveloper(t, 'create batching');
  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'already_here', value: 'first-value' });
  });
  const watched = useStarted(async () => watchedSecretService(t, clock));

  const actor = (requestId: string) => ({ developerId: dev.id, actorId: 'create-batching-test', requestId });
  const secretInserts = () => watched.nodes.filter((n) => n.kind === 'InsertQueryNode' && JSON.stringify(n).includes('"secrets"')).length;

  it('writes concurrent creates of a tenant in shared transactions', async () => {
    watched.nodes.length = 0;
    const names = Array.from({ length: 10 }, (_, i) => `batched_${i}`);
    const created = await Promise.all(names.map((name, i) => watched.service.create(actor(`c-${i}`), { name, value: `value-${i}`, metadata: { env: 'prod', i } })));
    expect(created.map((s) => s.name)).toEqual(names);
    // The first create commits alone; the nine that arrive during its commit share the next.
    expect(secretInserts()).toBeLessThanOrEqual(2);
    const { body } = await t.graphql(dev.token, '{ secrets(first: 50, filter: { metadata: { env: "prod" } }) { edges { node { name value } } } }');
    expect(body.data.secrets.edges.map((e: any) => e.node.name).sort()).toEqual(names);
    expect(body.data.secrets.edges.find((e: any) => e.node.name === 'batched_3').node.value).toBe('value-3');
    const audit = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["secret.create"] }) { edges { node { secretName requestId } } } }');
    const requestIds = audit.body.data.auditEvents.edges.map((e: any) => e.node.requestId);
    for (let i = 0; i < 10; i++) expect(requestIds).toContain(`c-${i}`);
  });

  it('fails only the creates whose name is taken, by a live secret or by another create of the batch', async () => {
    const inputs = ['fresh_a', 'already_here', 'fresh_b', 'twice', 'twice', 'fresh_c'];
    const results = await Promise.allSettled(inputs.map((name, i) => watched.service.create(actor(`d-${i}`), { name, value: `v-${name}-${i}` })));
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code));
    expect(codes.filter((c) => c === 'NAME_TAKEN')).toHaveLength(2);
    expect(codes[1]).toBe('NAME_TAKEN');
    expect([codes[0], codes[2], codes[5]]).toEqual(['ok', 'ok', 'ok']);
    expect([codes[3], codes[4]].sort()).toEqual(['NAME_TAKEN', 'ok']);
    const { body } = await t.graphql(dev.token, '{ a: secret(name: "already_here") { value version } b: secret(name: "twice") { version } }');
    expect(body.data.a).toEqual({ value: 'first-value', version: 1 });
    expect(body.data.b.version).toBe(1);
    const audit = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["secret.create"] }) { edges { node { secretName requestId } } } }');
    const created = audit.body.data.auditEvents.edges.filter((e: any) => e.node.requestId?.startsWith('d-')).map((e: any) => e.node.secretName);
    expect(created.sort()).toEqual(['fresh_a', 'fresh_b', 'fresh_c', 'twice']);
  });
});
