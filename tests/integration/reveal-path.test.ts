/**
 * The reveal path's round trips, counted on a real database: looking a secret up by name also
 * brings its current sealed value (no second query for the value), and concurrent reveals of a
 * tenant share one audit commit with at most one `last_revealed_at` update for the whole batch
 * (and none for secrets revealed within the last second).
 */
import type { RootOperationNode } from 'kysely';
import { DATABASE_KINDS } from '../support/databases';
import { createSecret, TestClock, updateSecret } from '../support/integration';
import { useDeveloper, useStarted, useTestApp } from '../support/test-app';
import { watchedSecretService } from '../support/watched-service';

describe.each(DATABASE_KINDS)('reveal path on %s', (kind) => {
  const clock = new TestClock();
  const t = useTestApp(kind, { clock });
  const dev = useDeveloper(t, 'reveal path');
  beforeAll(async () => {
    for (const name of ['one', 'two', 'three']) await createSecret(t, dev.token, { name, value: `value-of-${name}` });
    await updateSecret(t, dev.token, { name: 'one', value: 'value-of-one-v2' });
  });
  const watched = useStarted(async () => watchedSecretService(t, clock));

  const actor = (requestId = 'r1') => ({ developerId: dev.id, actorId: 'reveal-path-test', requestId });
  const touches = (table: string) => (n: RootOperationNode) => JSON.stringify(n).includes(`"${table}"`);

  it('reads the secret and its current sealed value in one query', async () => {
    watched.nodes.length = 0;
    const secret = (await watched.service.get(actor(), 'one'))!;
    expect(watched.nodes).toHaveLength(1);
    expect(watched.nodes.filter(touches('secret_versions'))).toHaveLength(1);
    expect(await watched.service.reveal(actor(), secret)).toBe('value-of-one-v2');
    // The reveal itself read nothing more: every statement after the lookup is the audit commit's.
    expect(watched.nodes.slice(1).filter((n) => n.kind === 'SelectQueryNode' && touches('secret_versions')(n))).toHaveLength(0);
    // An older version is still read on demand.
    watched.nodes.length = 0;
    expect(await watched.service.reveal(actor(), secret, 1)).toBe('value-of-one');
    expect(watched.nodes.filter((n) => n.kind === 'SelectQueryNode' && touches('secret_versions')(n))).toHaveLength(1);
  });

  it('coalesces concurrent lookups into one query per developer, never answering one tenant with another\'s secret', async () => {
    const other = await t.createDeveloper('reveal path other');
    await createSecret(t, other.token, { name: 'only_other', value: 'value-of-only-other' });
    await createSecret(t, other.token, { name: 'one', value: 'value-of-other-one' });
    const otherActor = { developerId: other.id, actorId: 'reveal-path-other', requestId: 'o1' };
    watched.nodes.length = 0;
    const [one, two, missing, foreign, otherOne, otherOnly] = await Promise.all([
      watched.service.get(actor(), 'one'),
      watched.service.get(actor(), 'two'),
      watched.service.get(actor(), 'nope'),
      watched.service.get(actor(), 'only_other'),
      watched.service.get(otherActor, 'one'),
      watched.service.get(otherActor, 'only_other'),
    ]);
    // Two queries, one per developer, not six.
    expect(watched.nodes.filter((n) => n.kind === 'SelectQueryNode' && touches('secrets')(n))).toHaveLength(2);
    expect([one?.name, two?.name, missing, foreign]).toEqual(['one', 'two', null, null]);
    expect(otherOne?.id).not.toBe(one?.id);
    expect(await watched.service.reveal(actor(), one!)).toBe('value-of-one-v2');
    expect(await watched.service.reveal(otherActor, otherOne!)).toBe('value-of-other-one');
    expect(await watched.service.reveal(otherActor, otherOnly!)).toBe('value-of-only-other');
  });

  it('commits concurrent reveals of a tenant together: one batch, one update of last_revealed_at', async () => {
    const secrets = await Promise.all(['one', 'two', 'three'].map((n) => watched.service.get(actor(), n)));
    watched.nodes.length = 0;
    const values = await Promise.all(Array.from({ length: 12 }, (_, i) => watched.service.reveal(actor(`batch-${i}`), secrets[i % 3]!)));
    expect(values.slice(0, 3)).toEqual(['value-of-one-v2', 'value-of-two', 'value-of-three']);
    const updates = watched.nodes.filter((n) => n.kind === 'UpdateQueryNode' && touches('secrets')(n) && JSON.stringify(n).includes('last_revealed_at'));
    const inserts = watched.nodes.filter((n) => n.kind === 'InsertQueryNode' && touches('audit_events')(n));
    // The first reveal commits at once, and so may the second (a tenant has two commit slots);
    // the ten or more that arrive during those commits share the next.
    expect(inserts.length).toBeLessThanOrEqual(3);
    expect(updates.length).toBeLessThanOrEqual(inserts.length);
    const { body } = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["secret.reveal"] }) { edges { node { requestId } } } }');
    const ids = body.data.auditEvents.edges.map((e: { node: { requestId: string } }) => e.node.requestId);
    for (let i = 0; i < 12; i++) expect(ids).toContain(`batch-${i}`);
  });

  it('rewrites last_revealed_at at most once a second per secret; every reveal is still audited', async () => {
    const lastRevealedUpdates = () =>
      watched.nodes.filter((n) => n.kind === 'UpdateQueryNode' && touches('secrets')(n) && JSON.stringify(n).includes('last_revealed_at')).length;
    clock.advance(1000);
    const first = (await watched.service.get(actor(), 'two'))!;
    watched.nodes.length = 0;
    await watched.service.reveal(actor('coalesce-1'), first);
    expect(lastRevealedUpdates()).toBe(1);
    const again = (await watched.service.get(actor(), 'two'))!;
    expect(again.lastRevealedAt?.getTime()).toBe(clock.now());
    watched.nodes.length = 0;
    await watched.service.reveal(actor('coalesce-2'), again);
    expect(lastRevealedUpdates()).toBe(0);
    clock.advance(1000);
    await watched.service.reveal(actor('coalesce-3'), (await watched.service.get(actor(), 'two'))!);
    expect(lastRevealedUpdates()).toBe(1);
    const { body } = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["secret.reveal"] }) { edges { node { requestId } } } }');
    const ids = body.data.auditEvents.edges.map((e: { node: { requestId: string } }) => e.node.requestId);
    expect(ids).toEqual(expect.arrayContaining(['coalesce-1', 'coalesce-2', 'coalesce-3']));
  });
});
