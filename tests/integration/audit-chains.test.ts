import { Migrator } from 'kysely';
import { GENESIS_HASH, hashAuditRow } from '../../src/audit/audit-log';
import type { Actor } from '../../src/auth/principal';
import { createDatabase, migrateToLatest } from '../../src/db/connect';
import { migrations } from '../../src/db/migrations';
import { TenantTransactions } from '../../src/db/tenant-transaction';
import { appendAuditEvents } from '../../src/audit/audit-log';
import { createTestDatabase, DATABASE_KINDS } from '../support/databases';
import { DAY_MS, TestClock } from '../support/integration';
import { openRaw } from '../support/raw-db';
import { type TestApp, useTestApp, useTestDatabase, withTestApp } from '../support/test-app';

/**
 * One audit chain per tenant and writer node (docs/audit-chain.md): two apps with different node
 * ids write one tenant's log on one database, as two nodes of a cluster do. Both verify the same
 * records, and every kind of tampering with either chain is found.
 */
describe.each(DATABASE_KINDS)('audit chains per writer node on %s', (kind) => {
  const a = useTestApp(kind, { env: { LOCKSMITH_NODE_ID: 'node-a' } });
  const b = useTestApp(kind, () => ({ database: a.db, env: { LOCKSMITH_NODE_ID: 'node-b' } }));

  const verifyOn = async (t: TestApp, token: string) =>
    (await t.graphql(token, `{ verifyAuditLog { ok checkedEvents checkedChains firstBrokenChain firstBrokenSeq reason } }`)).body.data
      .verifyAuditLog;

  /** A tenant whose log has records on both nodes: 4 on a (its first API key included), 3 on b. */
  async function tenantOnTwoNodes(name: string) {
    const dev = await a.createDeveloper(name);
    for (let i = 0; i < 3; i++) {
      const node = i % 2 === 0 ? a : b;
      await node.graphql(dev.token, `mutation { createSecret(input: { name: "s${i}", value: "chain-value-${i}-abcdef" }) { __typename } }`);
      const other = node === a ? b : a;
      await other.graphql(dev.token, `mutation { updateSecret(input: { name: "s${i}", value: "chain-value-${i}-second" }) { __typename } }`);
    }
    return dev;
  }

  it('keeps one chain per node; both nodes verify the same records and list them newest first', async () => {
    const dev = await tenantOnTwoNodes('two-nodes');
    const fromA = await verifyOn(a, dev.token);
    const fromB = await verifyOn(b, dev.token);
    expect(fromA).toEqual({ ok: true, checkedEvents: 7, checkedChains: 2, firstBrokenChain: null, firstBrokenSeq: null, reason: null });
    expect(fromB).toEqual(fromA);
    const listed = (await a.graphql(dev.token, `{ auditEvents(first: 50) { edges { node { chain seq action secretName } } } }`)).body.data
      .auditEvents.edges.map((e: any) => e.node);
    expect(listed.map((e: any) => `${e.chain}:${e.seq}:${e.action}:${e.secretName ?? ''}`)).toEqual([
      'node-b:3:secret.update:s2',
      'node-a:4:secret.create:s2',
      'node-a:3:secret.update:s1',
      'node-b:2:secret.create:s1',
      'node-b:1:secret.update:s0',
      'node-a:2:secret.create:s0',
      'node-a:1:apikey.create:',
    ]);
  });

  it.each([
    ['an edited record', `UPDATE audit_events SET action = 'secret.delete' WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 2`, 2, /was modified/],
    ['a removed record', `DELETE FROM audit_events WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 1`, 1, /event 1 .* is missing/],
    ['removed newest records', `DELETE FROM audit_events WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 3`, 3, /events after 2 .* are missing/],
    ['a removed chain', `DELETE FROM audit_events WHERE developer_id = ? AND chain_id = 'node-b'`, 1, /events after 0 .* are missing/],
    ['a removed chain head', `DELETE FROM audit_chains WHERE developer_id = ? AND chain_id = 'node-b'`, 1, /has records but no recorded head/],
    ['reordered records', `UPDATE audit_events SET seq = 5 - seq WHERE developer_id = ? AND chain_id = 'node-b' AND seq IN (2, 3)`, 2, /does not link/],
  ])('finds %s on every node', async (_what, tamper, seq, reason) => {
    const dev = await tenantOnTwoNodes(`tamper-${seq}-${Math.random().toString(36).slice(2, 8)}`);
    const raw = await openRaw(a.db);
    try {
      // The seq swap goes through a free value so the unique (chain, seq) index allows it.
      if (tamper.includes('5 - seq')) {
        await raw.run(`UPDATE audit_events SET seq = 100 WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 2`, [dev.id]);
        await raw.run(`UPDATE audit_events SET seq = 2 WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 3`, [dev.id]);
        await raw.run(`UPDATE audit_events SET seq = 3 WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 100`, [dev.id]);
      } else {
        await raw.run(tamper, [dev.id]);
      }
    } finally {
      await raw.close();
    }
    const fromA = await verifyOn(a, dev.token);
    expect(fromA).toMatchObject({ ok: false, firstBrokenChain: 'node-b', firstBrokenSeq: seq });
    expect(fromA.reason).toMatch(reason);
    expect(await verifyOn(b, dev.token)).toEqual(fromA);
  });

  it('finds a record planted beyond a chain head', async () => {
    const dev = await tenantOnTwoNodes('planted');
    const raw = await openRaw(a.db);
    try {
      const [last] = await raw.all(`SELECT * FROM audit_events WHERE developer_id = ? AND chain_id = 'node-b' AND seq = 3`, [dev.id]);
      const planted = { ...last, id: '01900000-0000-7000-8000-000000000001', seq: 4, prev_hash: last!.hash, action: 'secret.reveal' } as any;
      planted.hash = hashAuditRow(planted);
      const cols = Object.keys(planted);
      await raw.run(`INSERT INTO audit_events (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => planted[c]));
    } finally {
      await raw.close();
    }
    expect(await verifyOn(a, dev.token)).toMatchObject({ ok: false, firstBrokenChain: 'node-b', firstBrokenSeq: 4 });
  });

  it('commits a group of 3,000 reveals in one batch, each with its record', async () => {
    const dev = await a.createDeveloper('many-reveals');
    await a.graphql(dev.token, `mutation { createSecret(input: { name: "hot", value: "hot-value-0123456789" }) { __typename } }`);
    const actor: Actor = { developerId: dev.id, actorId: 'bulk', requestId: 'bulk-reveals' };
    const secret = (await a.app.services.secrets.get(actor, 'hot'))!;
    const values = await Promise.all(Array.from({ length: 3000 }, () => a.app.services.secrets.reveal(actor, secret)));
    expect(new Set(values)).toEqual(new Set(['hot-value-0123456789']));
    const raw = await openRaw(a.db);
    try {
      const [row] = await raw.all(`SELECT COUNT(*) AS n FROM audit_events WHERE developer_id = ? AND action = 'secret.reveal'`, [dev.id]);
      expect(Number(row!.n)).toBe(3000);
    } finally {
      await raw.close();
    }
    expect(await verifyOn(b, dev.token)).toMatchObject({ ok: true, checkedEvents: 3002, checkedChains: 1 });

    // However the reveals above happened to batch: one append of 3,000 records in one transaction.
    await a.app.tenants.run(dev.id, (trx) =>
      appendAuditEvents(trx, dev.id, Array.from({ length: 3000 }, () => ({ action: 'secret.reveal' as const, secretName: 'hot', version: 1 })), Date.now()),
    );
    expect(await verifyOn(a, dev.token)).toMatchObject({ ok: true, checkedEvents: 6002, checkedChains: 1 });
  });

  it('refuses a reveal whose record cannot be made durable: typed error, no value', async () => {
    const dev = await a.createDeveloper('undurable');
    await a.graphql(dev.token, `mutation { createSecret(input: { name: "kept", value: "never-shown-unaudited-4821" }) { __typename } }`);
    const raw = await openRaw(a.db);
    const rename = (from: string, to: string) =>
      raw.run(kind === 'mysql' ? `RENAME TABLE \`${from}\` TO \`${to}\`` : `ALTER TABLE "${from}" RENAME TO "${to}"`);
    try {
      await rename('audit_events', 'audit_events_away');
      const refused = await a.graphql(dev.token, `{ secret(name: "kept") { value } }`);
      expect(refused.body.errors[0].extensions.code).toBe('AUDIT_UNAVAILABLE');
      expect(JSON.stringify(refused.body)).not.toContain('never-shown-unaudited-4821');
    } finally {
      await rename('audit_events_away', 'audit_events');
      await raw.close();
    }
    expect((await a.graphql(dev.token, `{ secret(name: "kept") { value } }`)).body.data.secret.value).toBe('never-shown-unaudited-4821');
  });

  it('retries a conflicting tenant transaction as a whole: one record per write', async () => {
    const dev = await a.createDeveloper('retried');
    let attempts = 0;
    const tenants = new TenantTransactions(a.app.db, { nodeId: 'node-a', sleep: async () => undefined });
    await tenants.run(dev.id, async (trx) => {
      attempts++;
      await appendAuditEvents(trx, dev.id, [{ action: 'auth.denied', actor: 'retry-test' }], Date.now());
      if (attempts < 3) throw Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });
    });
    expect(attempts).toBe(3);
    expect(tenants.stats).toEqual({ retries: 2, exhausted: 0 });
    const events = (await a.graphql(dev.token, `{ auditEvents(first: 10) { edges { node { action actor } } } }`)).body.data.auditEvents.edges;
    expect(events.filter((e: any) => e.node.actor === 'retry-test')).toHaveLength(1);
    expect(await verifyOn(a, dev.token)).toMatchObject({ ok: true, checkedEvents: 2 });

    // Bounded: a conflict that never clears fails after the policy's attempts; other errors at once.
    let tries = 0;
    const bounded = new TenantTransactions(a.app.db, { nodeId: 'node-a', retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 } });
    await expect(
      bounded.run(dev.id, async () => {
        tries++;
        throw Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205 });
      }),
    ).rejects.toMatchObject({ errno: 1205 });
    expect(tries).toBe(4);
    expect(bounded.stats).toEqual({ retries: 3, exhausted: 1 });
    tries = 0;
    await expect(
      bounded.run(dev.id, async () => {
        tries++;
        throw new Error('not a conflict');
      }),
    ).rejects.toThrow('not a conflict');
    expect(tries).toBe(1);
  });

  it('hands each commit its records after it commits (the audit sink hook)', async () => {
    const seen: string[][] = [];
    const tenants = new TenantTransactions(a.app.db, { nodeId: 'node-a', onCommitted: (records) => seen.push(records.map((r) => r.action)) });
    const dev = await a.createDeveloper('hooked');
    await tenants.run(dev.id, (trx) => appendAuditEvents(trx, dev.id, [{ action: 'auth.denied' }, { action: 'auth.denied' }], Date.now()));
    await expect(
      tenants.run(dev.id, async (trx) => {
        await appendAuditEvents(trx, dev.id, [{ action: 'auth.denied' }], Date.now());
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([['auth.denied', 'auth.denied']]);
  });
});

describe.each(DATABASE_KINDS)('audit chain migration on %s', (kind) => {
  // Empty: the test runs the migrations from before per-node chains itself.
  const db = useTestDatabase(kind, () => createTestDatabase(kind));

  it('keeps a log written before per-node chains verifiable, and appends after it on the node chain', async () => {
    const conn = createDatabase(db.config);
    const dev = '01900000-0000-7000-8000-00000000d001';
    try {
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '2026_12_01'));
      const old = new Migrator({
        db: conn,
        provider: { getMigrations: async () => before },
        migrationTableName: 'locksmith_migrations',
        migrationLockTableName: 'locksmith_migrations_lock',
      });
      expect((await old.migrateToLatest()).error).toBeUndefined();
      // A tenant with three records, hashed the way the single-chain code did (format v1).
      let prev = GENESIS_HASH;
      const rows = [1, 2, 3].map((seq) => {
        const row: any = {
          id: `01900000-0000-7000-8000-00000000e00${seq}`,
          developer_id: dev,
          chain_id: '',
          seq,
          action: 'secret.create',
          secret_name: `legacy_${seq}`,
          version: 1,
          actor: 'admin',
          request_id: null,
          at: 1_700_000_000_000 + seq,
          detail: null,
          prev_hash: prev,
        };
        row.hash = hashAuditRow(row);
        prev = row.hash;
        delete row.chain_id;
        return row;
      });
      await (conn as any).insertInto('developers').values({ id: dev, name: 'legacy', created_at: 1, audit_seq: 3, audit_head: prev }).execute();
      await (conn as any).insertInto('audit_events').values(rows).execute();
      await migrateToLatest(conn);
    } finally {
      await conn.destroy();
    }
    await withTestApp(kind, { database: db, env: { LOCKSMITH_NODE_ID: 'after-migration' } }, async (t) => {
      const key = await t.app.services.apiKeys.create({ developerId: dev, actorId: 'admin', requestId: 'r' }, 'all', { name: 'k' });
      const result = (await t.graphql(key.token, `{ verifyAuditLog { ok checkedEvents checkedChains } }`)).body.data.verifyAuditLog;
      expect(result).toEqual({ ok: true, checkedEvents: 4, checkedChains: 2 });
      const chains = (await t.graphql(key.token, `{ auditEvents(first: 10) { edges { node { chain seq } } } }`)).body.data.auditEvents.edges;
      expect(chains.map((e: any) => `${e.node.chain}:${e.node.seq}`)).toEqual(['after-migration:1', ':3', ':2', ':1']);
    });
  });
});

describe.each(DATABASE_KINDS)('the purge job on two nodes on %s', (kind) => {
  const clock = new TestClock();
  const a = useTestApp(kind, { clock, env: { LOCKSMITH_NODE_ID: 'purge-a' } });
  const b = useTestApp(kind, () => ({ clock, database: a.db, env: { LOCKSMITH_NODE_ID: 'purge-b' } }));

  it('purges each expired deletion once, with one record, however many nodes run the job', async () => {
    const dev = await a.createDeveloper('purged');
    for (const name of ['gone_1', 'gone_2', 'gone_3']) {
      await a.graphql(dev.token, `mutation { createSecret(input: { name: "${name}", value: "purge-me-0123456789" }) { __typename } }`);
      await b.graphql(dev.token, `mutation { deleteSecret(input: { name: "${name}", recoveryWindowDays: 1 }) { __typename } }`);
    }
    clock.advance(DAY_MS + 1000);
    const counts = await Promise.all([a.app.services.secrets.purgeExpired(), b.app.services.secrets.purgeExpired(), a.app.services.secrets.purgeExpired()]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(3);
    const events = (await a.graphql(dev.token, `{ auditEvents(first: 50, filter: { actions: ["secret.purge"] }) { edges { node { secretName } } } }`)).body
      .data.auditEvents.edges.map((e: any) => e.node.secretName);
    expect(events.sort()).toEqual(['gone_1', 'gone_2', 'gone_3']);
    expect((await b.graphql(dev.token, `{ verifyAuditLog { ok } }`)).body.data.verifyAuditLog.ok).toBe(true);
  });
});
