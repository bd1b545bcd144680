/**
 * Group commit of creates, counted on a real database: concurrent creates share a transaction
 * (multi-row inserts, one audit append per tenant), across tenants too, and a name that is taken
 * fails only its own create, never the others of its batch, whichever tenant they belong to.
 */
import { DATABASE_KINDS } from '../support/databases';
import { createSecret, TestClock } from '../support/integration';
import { useDeveloper, useStarted, useTestApp } from '../support/test-app';
import { watchedSecretService } from '../support/watched-service';

describe.each(DATABASE_KINDS)('create batching on %s', (kind) => {
  const clock = new TestClock();
  const t = useTestApp(kind, { clock });
  const dev = useDeveloper(t, 'create batching');
  const other = useDeveloper(t, 'create batching other tenant');
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

  it("shares a transaction across tenants, and one tenant's taken name fails no other tenant's create", async () => {
    // The other tenant's data key first, through the app: the watched service shares the app's
    // data keys, and on SQLite their first write (the app's connection) would wait on the watched
    // connection's open batch, blocking the thread for the busy timeout (not a production case:
    // a server has one connection to its SQLite file).
    await createSecret(t, other.token, { name: 'their_first', value: 'v-their-first' });
    watched.nodes.length = 0;
    const mine = (i: number) => ({ developerId: dev.id, actorId: 'create-batching-test', requestId: `e-${i}` });
    const theirs = (i: number) => ({ developerId: other.id, actorId: 'create-batching-test', requestId: `f-${i}` });
    const results = await Promise.allSettled([
      watched.service.create(mine(0), { name: 'cross_a', value: 'v-cross-a' }),
      ...Array.from({ length: 6 }, (_, i) => watched.service.create(theirs(i), { name: `their_${i}`, value: `v-their-${i}` })),
      watched.service.create(mine(1), { name: 'already_here', value: 'v-taken' }),
      watched.service.create(mine(2), { name: 'cross_b', value: 'v-cross-b' }),
    ]);
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code));
    expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'NAME_TAKEN', 'ok']);
    // Which creates share a transaction depends on when each arrives (the other tenant's first
    // create waits for its data key); whichever did, the outcomes are each create's own.
    const { body } = await t.graphql(other.token, '{ secrets(first: 50) { edges { node { name value } } } }');
    expect(body.data.secrets.edges.map((e: any) => e.node.name).sort()).toEqual([...Array.from({ length: 6 }, (_, i) => `their_${i}`), 'their_first']);
    const audit = await t.graphql(other.token, '{ auditEvents(first: 100, filter: { actions: ["secret.create"] }) { edges { node { requestId } } } }');
    const ours = audit.body.data.auditEvents.edges.map((e: any) => e.node.requestId).filter((id: string) => id.startsWith('f-'));
    expect(ours.sort()).toEqual(['f-0', 'f-1', 'f-2', 'f-3', 'f-4', 'f-5']);
  });
});
