/**
 * Pruning retired data keys (OperatorJobs.pruneDataKeys, src/ops/prune.ts), the step after rotate and
 * re-encrypt, against real databases:
 * - it deletes exactly the data keys below a developer's newest generation that no secret
 *   version references (destroyed versions count until re-encrypt repoints them), keeps the
 *   newest and every referenced one, audits one `datakey.prune` per developer, evicts pruned
 *   keys from the cache; every value still reads, from a warm and from a cold cache;
 * - a dry run changes nothing, a second run prunes nothing, --developer scopes it;
 * - a version written under a retired key while the job runs is never orphaned: either it lands
 *   first and the key is kept, or the key goes first and that write fails and can be retried.
 */
import type { DataKey } from '../../src/crypto/data-keys';
import { OperatorRepository } from '../../src/ops/repository';
import { DATABASE_KINDS, type DatabaseKind } from '../support/databases';
import { createSecret, mutate, query, UPDATE_SECRET, updateSecret } from '../support/integration';
import { dataKeyRows, expectAllReadable, populate, type PopulatedDeveloper } from '../support/key-rotation';
import { type TestApp, useTestApp, useTestDatabase, withTestApp } from '../support/test-app';

const DESTROY_VERSION = `mutation($input: DestroySecretVersionInput!) { r: destroySecretVersion(input: $input) {
  __typename ... on Error { code message } } }`;
const READ_VERSION = 'query($n: String!, $v: Int!) { secretVersion(name: $n, version: $v) { value } }';
const ACTOR = { actorId: 'operator:test', requestId: null };

async function readVersion(t: TestApp, token: string, name: string, version: number): Promise<string | undefined> {
  return (await query(t, token, READ_VERSION, { n: name, v: version })).secretVersion?.value;
}

/** Versions whose data key row is gone: must always be none. */
async function orphans(t: TestApp): Promise<unknown[]> {
  return t.app.db
    .selectFrom('secret_versions as v')
    .leftJoin('data_keys as k', 'k.id', 'v.data_key_id')
    .select(['v.secret_id', 'v.version'])
    .where('k.id', 'is', null)
    .execute();
}

async function pruneEvents(t: TestApp): Promise<Array<{ developer_id: string; actor: string | null; detail: string | null }>> {
  return t.app.db.selectFrom('audit_events').select(['developer_id', 'actor', 'detail']).where('action', '=', 'datakey.prune').orderBy('at').execute();
}

function keysOf(rows: Awaited<ReturnType<typeof dataKeyRows>>, developerId: string): Array<{ id: string; generation: number }> {
  return rows
    .filter((k) => k.developer_id === developerId)
    .map((k) => ({ id: k.id, generation: k.generation }))
    .sort((a, b) => a.generation - b.generation);
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(DATABASE_KINDS)('pruning retired data keys on %s', (kind: DatabaseKind) => {
  const db = useTestDatabase(kind);
  const t = useTestApp(kind, () => ({ database: db }));

  it('deletes exactly the unreferenced old generations, keeps the newest and referenced ones; dry run, audit, second run, cold cache', async () => {
    // dev0: generations 1 and 2 in use; dev1, dev2: generation 1.
    const population: PopulatedDeveloper[] = await populate(t, 'prune', 3, 2);
    const [dev0, dev1, dev2] = population as [PopulatedDeveloper, PopulatedDeveloper, PopulatedDeveloper];
    // dev1: a version destroyed before the re-encrypt (a tombstone under generation 1, repointed by it).
    await createSecret(t, dev1.token, { name: 'doomed', value: 'doomed-v1-value' });

    const rotated = await t.app.ops.rotateAll(ACTOR);
    expect(rotated).toMatchObject({ rotated: 3, skipped: 0 });
    await updateSecret(t, dev1.token, { name: 'doomed', value: 'doomed-v2-value' });
    expect((await mutate(t, dev1.token, DESTROY_VERSION, { name: 'doomed', version: 1 })).__typename).toBe('DestroySecretVersionPayload');
    await updateSecret(t, dev0.token, { name: 'prune_s0', value: 'written-under-generation-3' });
    dev0.secrets.get('prune_s0')!.push('written-under-generation-3');

    // dev3: its only reference to generation 1 is a destroyed version; it is not re-encrypted.
    const dev3 = await t.createDeveloper('tombstone dev');
    await createSecret(t, dev3.token, { name: 'lonely', value: 'lonely-v1-value' });
    await t.app.services.keys.rotateDataKey(dev3.id, ACTOR);
    await updateSecret(t, dev3.token, { name: 'lonely', value: 'lonely-v2-value' });
    expect((await mutate(t, dev3.token, DESTROY_VERSION, { name: 'lonely', version: 1 })).__typename).toBe('DestroySecretVersionPayload');

    // Re-encrypt dev0 and dev1 only: dev2's versions stay under its generation 1.
    for (const dev of [dev0, dev1]) {
      expect(await t.app.ops.reencryptSecretVersions({ developerId: dev.id })).toMatchObject({ failed: 0, unreferencedDataKeys: dev === dev0 ? 2 : 1 });
    }

    const before = await dataKeyRows(t);
    const [d0g1, d0g2, d0g3] = keysOf(before, dev0.id);
    const [d1g1, d1g2] = keysOf(before, dev1.id);
    const [d2g1, d2g2] = keysOf(before, dev2.id);
    const [d3g1, d3g2] = keysOf(before, dev3.id);
    expect([d0g3, d1g2, d2g2, d3g2].map((k) => k?.generation)).toEqual([3, 2, 2, 2]);
    const prunable = [d0g1!.id, d0g2!.id, d1g1!.id].sort();
    // The re-encrypt job fetched the old keys through the cache.
    const retiredKey = await t.app.dataKeys.get(dev0.id, d0g1!.id);
    expect(retiredKey).toHaveLength(32);

    // Dry run: counts, changes nothing, audits nothing.
    const dry = await t.app.ops.pruneDataKeys({ dryRun: true, actor: ACTOR });
    expect(dry).toMatchObject({ dryRun: true, aborted: false, developers: 4, total: 5, scanned: 5, pruned: 3, referenced: 2 });
    expect(await dataKeyRows(t)).toEqual(before);
    expect(await pruneEvents(t)).toEqual([]);

    const seen: number[] = [];
    const forget = jest.spyOn(t.app.dataKeys, 'forget');
    const summary = await t.app.ops.pruneDataKeys({ actor: ACTOR, batchSize: 2, onProgress: (p) => seen.push(p.scanned) });
    const forgotten = forget.mock.calls.map(([dev, id]) => `${dev}/${id}`).sort();
    forget.mockRestore();
    expect(summary).toMatchObject({ dryRun: false, aborted: false, developers: 4, total: 5, scanned: 5, pruned: 3, referenced: 2 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);

    const after = await dataKeyRows(t);
    expect(before.filter((k) => !after.some((a) => a.id === k.id)).map((k) => k.id).sort()).toEqual(prunable);
    expect(after).toEqual(before.filter((k) => !prunable.includes(k.id)));
    // Kept: every newest generation, dev2's generation 1 (live versions), dev3's (a tombstone).
    expect(after.map((k) => k.id).sort()).toEqual([d0g3!.id, d1g2!.id, d2g1!.id, d2g2!.id, d3g1!.id, d3g2!.id].sort());
    expect(await orphans(t)).toEqual([]);

    // Evicted from the cache: asking for a pruned key goes to the database, which no longer has it.
    expect(forgotten).toEqual(
      [`${dev0.id}/${d0g1!.id}`, `${dev0.id}/${d0g2!.id}`, `${dev1.id}/${d1g1!.id}`].sort(),
    );
    await expect(t.app.dataKeys.get(dev0.id, d0g1!.id)).rejects.toThrow(/not found/);

    // One audit record per developer that lost keys, with a count; chains still verify.
    const events = await pruneEvents(t);
    expect(events.map((e) => [e.developer_id, e.actor, JSON.parse(e.detail!)]).sort()).toEqual(
      [
        [dev0.id, 'operator:test', { pruned: 2 }],
        [dev1.id, 'operator:test', { pruned: 1 }],
      ].sort(),
    );
    for (const dev of [dev0, dev1]) expect((await query(t, dev.token, '{ verifyAuditLog { ok } }')).verifyAuditLog.ok).toBe(true);
    expect(t.logs.join('\n')).not.toContain(retiredKey.toString('base64'));
    expect(t.logs.join('\n')).not.toContain(retiredKey.toString('hex'));

    // Everything still reads (warm cache).
    await expectAllReadable(t, population);
    expect(await readVersion(t, dev1.token, 'doomed', 2)).toBe('doomed-v2-value');
    expect(await readVersion(t, dev3.token, 'lonely', 2)).toBe('lonely-v2-value');

    // A second run prunes nothing and audits nothing.
    const again = await t.app.ops.pruneDataKeys({ actor: ACTOR });
    expect(again).toMatchObject({ total: 2, scanned: 2, pruned: 0, referenced: 2 });
    expect(await dataKeyRows(t)).toEqual(after);
    expect(await pruneEvents(t)).toHaveLength(2);

    // A second app on the same database, as after a restart: a cold cache reads every value and
    // writes under the newest key.
    await withTestApp(kind, { database: db }, async (cold) => {
      await expectAllReadable(cold, population);
      expect(await readVersion(cold, dev1.token, 'doomed', 2)).toBe('doomed-v2-value');
      expect(await readVersion(cold, dev3.token, 'lonely', 2)).toBe('lonely-v2-value');
      expect(cold.app.dataKeys.stats.providerCalls).toBeGreaterThanOrEqual(4);
      await updateSecret(cold, dev0.token, { name: 'prune_s1', value: 'after-the-prune' });
      expect(await readVersion(cold, dev0.token, 'prune_s1', 3)).toBe('after-the-prune');

      // Scoped by developer: re-encrypting and pruning dev3 frees its generation 1; dev2 is left alone.
      await cold.app.ops.reencryptSecretVersions({ developerId: dev3.id });
      const scoped = await cold.app.ops.pruneDataKeys({ developerId: dev3.id, actor: ACTOR });
      expect(scoped).toMatchObject({ developers: 1, total: 1, scanned: 1, pruned: 1, referenced: 0 });
      const final = await dataKeyRows(cold);
      expect(final.some((k) => k.id === d3g1!.id)).toBe(false);
      expect(final.some((k) => k.id === d2g1!.id)).toBe(true);
      expect(await readVersion(cold, dev3.token, 'lonely', 2)).toBe('lonely-v2-value');
      expect(await orphans(cold)).toEqual([]);
    });
  });

  it('a version written under a retired key while the job runs is never orphaned', async () => {
    const dev = await t.createDeveloper('racing writer');
    await createSecret(t, dev.token, { name: 'a', value: 'a-v1-value' });
    const [g1] = keysOf(await dataKeyRows(t), dev.id);

    // A writer that looked its data key (generation 1) up, then stalls before its transaction.
    const stall = () => {
      const looked = deferred<string>();
      const go = deferred();
      const current = t.app.dataKeys.current.bind(t.app.dataKeys);
      jest.spyOn(t.app.dataKeys, 'current').mockImplementationOnce(async (developerId: string): Promise<DataKey> => {
        const key = await current(developerId);
        looked.resolve(key.id);
        await go.promise;
        return key;
      });
      return { looked: looked.promise, go: go.resolve };
    };
    const rotateAndReencrypt = async () => {
      await t.app.services.keys.rotateDataKey(dev.id, ACTOR);
      await t.app.ops.reencryptSecretVersions({ developerId: dev.id });
    };

    // 1. The version lands between the job's look at the key and its DELETE: the key is kept.
    const writer = stall();
    const write = updateSecret(t, dev.token, { name: 'a', value: 'a-v2-under-generation-1' });
    expect(await writer.looked).toBe(g1!.id);
    await rotateAndReencrypt(); // generation 2; version 1 moves to it: generation 1 is unreferenced
    const listed = OperatorRepository.prototype.retiredDataKeys;
    const list = jest.spyOn(OperatorRepository.prototype, 'retiredDataKeys').mockImplementationOnce(async function (
      this: OperatorRepository,
      ...args: Parameters<OperatorRepository['retiredDataKeys']>
    ) {
      const rows = await listed.apply(this, args);
      writer.go();
      await write;
      return rows;
    });
    const kept = await t.app.ops.pruneDataKeys({ developerId: dev.id, actor: ACTOR });
    list.mockRestore();
    expect(kept).toMatchObject({ scanned: 1, pruned: 0, referenced: 1 });
    const v2 = await t.app.db.selectFrom('secret_versions').select('data_key_id').where('developer_id', '=', dev.id).where('version', '=', 2).executeTakeFirstOrThrow();
    expect(v2.data_key_id).toBe(g1!.id);
    expect((await dataKeyRows(t)).some((k) => k.id === g1!.id)).toBe(true);
    expect(await orphans(t)).toEqual([]);
    expect(await readVersion(t, dev.token, 'a', 2)).toBe('a-v2-under-generation-1');
    expect((await pruneEvents(t)).filter((e) => e.developer_id === dev.id)).toEqual([]);

    // Once re-encrypted, it goes.
    await t.app.ops.reencryptSecretVersions({ developerId: dev.id });
    expect(await t.app.ops.pruneDataKeys({ developerId: dev.id, actor: ACTOR })).toMatchObject({ pruned: 1, referenced: 0 });

    // 2. The key goes first: the stalled write under it fails (foreign key), changes nothing, and a retry works.
    const [g2] = keysOf(await dataKeyRows(t), dev.id);
    const late = stall();
    const failing = t.graphql(dev.token, UPDATE_SECRET, { input: { name: 'a', value: 'a-v3-under-a-pruned-key' } });
    expect(await late.looked).toBe(g2!.id);
    await rotateAndReencrypt(); // generation 3; generation 2 is unreferenced
    expect(await t.app.ops.pruneDataKeys({ developerId: dev.id, actor: ACTOR })).toMatchObject({ pruned: 1, referenced: 0 });
    late.go();
    const failed = await failing;
    expect(failed.body.data?.r?.__typename).not.toBe('UpdateSecretPayload');
    expect(JSON.stringify(failed.body)).not.toContain('a-v3-under-a-pruned-key');
    expect(await orphans(t)).toEqual([]);
    expect((await query(t, dev.token, '{ secret(name: "a") { version value } }')).secret).toEqual({ version: 2, value: 'a-v2-under-generation-1' });
    await updateSecret(t, dev.token, { name: 'a', value: 'a-v3-retried' });
    expect(await readVersion(t, dev.token, 'a', 3)).toBe('a-v3-retried');
    expect(await readVersion(t, dev.token, 'a', 1)).toBe('a-v1-value');
  });

  it('an unknown developer is a NotFoundError', async () => {
    await expect(t.app.ops.pruneDataKeys({ developerId: '01890000-0000-7000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
