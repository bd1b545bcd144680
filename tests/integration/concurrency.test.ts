import { SecretService } from '../../src/secrets/service';
import { DATABASE_KINDS } from '../support/databases';
import { useDeveloper, useTestApp } from '../support/test-app';

/** Check-and-set under real concurrency: exactly one winner, typed conflicts, no lost update. */
describe.each(DATABASE_KINDS)('concurrent writes on %s', (kind) => {
  const t = useTestApp(kind, { env: { LOCKSMITH_DB_POOL_SIZE: '20' } });
  const dev = useDeveloper(t);

  const update = (name: string, value: string, expectedVersion?: number) =>
    t.graphql(
      dev.token,
      `mutation($input: UpdateSecretInput!) { updateSecret(input: $input) {
        __typename ... on UpdateSecretPayload { secret { version } } ... on VersionConflictError { expectedVersion currentVersion } } }`,
      { input: { name, value, ...(expectedVersion === undefined ? {} : { expectedVersion }) } },
    );

  it('20 concurrent updates with the same expectedVersion: exactly one succeeds, the rest get typed conflicts', async () => {
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "contended", value: "start" }) { __typename } }`);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => update('contended', `writer-${i}`, 1)));
    const kinds = results.map((r) => r.body.data.updateSecret.__typename);
    expect(kinds.filter((k) => k === 'UpdateSecretPayload')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'VersionConflictError')).toHaveLength(19);
    for (const r of results) {
      const result = r.body.data.updateSecret;
      if (result.__typename === 'VersionConflictError') expect(result).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    }
    const winner = results.findIndex((r) => r.body.data.updateSecret.__typename === 'UpdateSecretPayload');
    const now = await t.graphql(dev.token, `{ secret(name: "contended") { version value versions { edges { node { version } } } } }`);
    expect(now.body.data.secret).toMatchObject({ version: 2, value: `writer-${winner}` });
    expect(now.body.data.secret.versions.edges).toHaveLength(2);
  });

  it('a loop of concurrent check-and-set increments loses no increment', async () => {
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "counter", value: "0" }) { __typename } }`);
    const workers = 6;
    const incrementsPerWorker = 5;
    const increment = async () => {
      for (;;) {
        const read = await t.graphql(dev.token, `{ secret(name: "counter") { version value } }`);
        const { version, value } = read.body.data.secret;
        const write = await update('counter', String(Number(value) + 1), version);
        if (write.body.data.updateSecret.__typename === 'UpdateSecretPayload') return;
        expect(write.body.data.updateSecret.__typename).toBe('VersionConflictError');
      }
    };
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < incrementsPerWorker; i++) await increment();
      }),
    );
    const final = await t.graphql(dev.token, `{ secret(name: "counter") { version value } }`);
    expect(final.body.data.secret).toEqual({ version: 1 + workers * incrementsPerWorker, value: String(workers * incrementsPerWorker) });
  }, 60_000);

  it('concurrent updates without expectedVersion each land as their own version', async () => {
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "last_writer", value: "v0" }) { __typename } }`);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => update('last_writer', `w${i}`)));
    expect(results.every((r) => r.body.data.updateSecret.__typename === 'UpdateSecretPayload')).toBe(true);
    const versions = results.map((r) => r.body.data.updateSecret.secret.version).sort((a: number, b: number) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  }, 60_000);

  it('a burst of mixed creates, reveals, updates and key changes of one tenant all succeed (no deadlock)', async () => {
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "hot", value: "h0" }) { __typename } }`);
    const ops = Array.from({ length: 60 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return t.graphql(dev.token, `mutation($n: String!) { createSecret(input: { name: $n, value: "burst" }) { __typename } }`, { n: `burst_${i}` });
        case 1:
          return t.graphql(dev.token, `{ secret(name: "hot") { value } }`);
        case 2:
          return update('hot', `h${i}`);
        default:
          return t.graphql(dev.token, `mutation { createApiKey(input: { name: "burst", scopes: ["secrets:read"] }) { __typename } }`);
      }
    });
    const results = await Promise.all(ops);
    const failures = results.filter((r) => r.body.errors || Object.values(r.body.data ?? {}).some((v: any) => v?.__typename?.endsWith('Error')));
    expect(failures.map((r) => JSON.stringify(r.body))).toEqual([]);
    const chain = await t.graphql(dev.token, `{ verifyAuditLog { ok } }`);
    expect(chain.body.data.verifyAuditLog.ok).toBe(true);
  }, 60_000);

  it('30 concurrent reveals leave exactly 30 reveal records (group commit loses none) and an intact chain', async () => {
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "popular", value: "popular-value" }) { __typename } }`);
    const before = await t.graphql(dev.token, `{ auditEvents(first: 500, filter: { actions: ["secret.reveal"], secretName: "popular" }) { edges { node { seq } } } }`);
    expect(before.body.data.auditEvents.edges).toHaveLength(0);
    // Every reveal-record transaction, with how many records it carried.
    const commits: number[] = [];
    const proto = SecretService.prototype as unknown as { commitReveals(developerId: string, records: unknown[]): Promise<void> };
    const original = proto.commitReveals;
    const spy = jest.spyOn(proto, 'commitReveals').mockImplementation(function (this: unknown, developerId, records) {
      commits.push(records.length);
      return original.call(this, developerId, records);
    });
    let reads;
    try {
      reads = await Promise.all(Array.from({ length: 30 }, () => t.graphql(dev.token, `{ secret(name: "popular") { value } }`)));
    } finally {
      spy.mockRestore();
    }
    expect(reads.every((r) => r.body.data.secret.value === 'popular-value')).toBe(true);
    // Batched: fewer transactions than reveals, together carrying every record (one each would be 30 of 1).
    expect(commits.reduce((a, b) => a + b, 0)).toBe(30);
    expect(commits.length).toBeLessThan(30);
    expect(Math.max(...commits)).toBeGreaterThan(1);
    const after = await t.graphql(dev.token, `{ auditEvents(first: 500, filter: { actions: ["secret.reveal"], secretName: "popular" }) { edges { node { requestId } } } }`);
    const requestIds = after.body.data.auditEvents.edges.map((e: any) => e.node.requestId);
    expect(new Set(requestIds).size).toBe(30);
    expect((await t.graphql(dev.token, `{ verifyAuditLog { ok } }`)).body.data.verifyAuditLog.ok).toBe(true);
  }, 60_000);
});
