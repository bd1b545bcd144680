/**
 * Scale-out on a distributed engine: three locksmith server processes (production mode, one
 * shared master key), each on its own node of a real 3-node MariaDB Galera cluster, used round
 * robin as a load balancer would. Nothing may fail and nothing may be lost: concurrent creates,
 * read-your-writes across nodes, check-and-set increments, concurrent reveals, one audit log
 * every node verifies alike, revocation seen everywhere within the key cache's TTL, and the loss
 * of one database node (the others keep serving; the orphaned server says so on /readyz and
 * recovers without a restart). docs/scale-out.md describes the setup this reproduces.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GaleraCluster, galeraUnavailable, startGaleraCluster } from './galera';
import { DATABASE_KINDS } from '../support/databases';
import { type ServerProcess, startServerProcess } from '../support/processes';

jest.setTimeout(240_000);

const NODES = 3;
/** The verified-key cache's TTL: how long another node may still accept a revoked key. */
const KEY_CACHE_TTL_MS = 5_000;
/** Scheduling slack on a loaded 2-core machine on top of the bounds under test. */
const SLACK_MS = 2_000;
/** Timer and clock granularity on top of a cache TTL. */
const CLOCK_SLACK_MS = 250;

// Skipping is explicit (an operator's choice, visible in the test report), never automatic:
// LOCKSMITH_SKIP_CLUSTER_TESTS=1, or LOCKSMITH_TEST_DATABASES without mysql (the cluster is
// MariaDB Galera; a run that leaves MariaDB out leaves it out too).
const describeCluster = process.env.LOCKSMITH_SKIP_CLUSTER_TESTS === '1' || !DATABASE_KINDS.includes('mysql') ? describe.skip : describe;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Gql {
  status: number;
  body: any;
}

describeCluster('three locksmith nodes on a 3-node Galera cluster', () => {
  let cluster: GaleraCluster | undefined;
  const servers: ServerProcess[] = [];
  const dataDirs: string[] = [];
  const adminToken = `lsa_cluster_${randomBytes(24).toString('hex')}`;
  const masterKey = `cluster-1:${randomBytes(32).toString('base64')}`;
  let token = '';
  /** Every reveal a node answered with a value: each must have its audit record. */
  let revealsServed = 0;
  /** Every acknowledged write: [action, secret name, version]. */
  const acknowledged: Array<[string, string, number]> = [];

  const call = async (node: number, bearer: string, query: string, variables?: Record<string, unknown>): Promise<Gql> => {
    const response = await fetch(`${servers[node]!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await response.json() };
  };

  const create = async (node: number, name: string, value: string) => {
    const r = await call(
      node,
      token,
      `mutation($i: CreateSecretInput!) { createSecret(input: $i) { __typename ... on CreateSecretPayload { secret { name version } } ... on Error { code message } } }`,
      { i: { name, value } },
    );
    const result = r.body.data?.createSecret;
    if (result?.__typename === 'CreateSecretPayload') acknowledged.push(['secret.create', name, 1]);
    return { ok: result?.__typename === 'CreateSecretPayload', detail: JSON.stringify(r.body) };
  };

  const update = async (node: number, name: string, value: string, expectedVersion?: number) => {
    const r = await call(
      node,
      token,
      `mutation($i: UpdateSecretInput!) { updateSecret(input: $i) { __typename ... on UpdateSecretPayload { secret { version } } ... on Error { code message } } }`,
      { i: { name, value, ...(expectedVersion === undefined ? {} : { expectedVersion }) } },
    );
    const result = r.body.data?.updateSecret;
    if (result?.__typename === 'UpdateSecretPayload') acknowledged.push(['secret.update', name, result.secret.version]);
    return { typename: result?.__typename as string | undefined, version: result?.secret?.version as number | undefined, detail: JSON.stringify(r.body) };
  };

  const reveal = async (node: number, name: string) => {
    const r = await call(node, token, `query($n: String!) { secret(name: $n) { value version } }`, { n: name });
    const secret = r.body.data?.secret;
    if (secret?.value !== undefined) revealsServed++;
    return { value: secret?.value as string | undefined, version: secret?.version as number | undefined, detail: JSON.stringify(r.body) };
  };

  const readyz = async (node: number) => (await fetch(`${servers[node]!.url}/readyz`)).status;

  beforeAll(async () => {
    const reason = galeraUnavailable();
    if (reason) throw new Error(`the cluster suite needs a local Galera cluster: ${reason} (LOCKSMITH_SKIP_CLUSTER_TESTS=1 skips it)`);
    cluster = await startGaleraCluster(NODES);
    await cluster.createDatabase('locksmith');
    const start = async (i: number) => {
      const dataDir = mkdtempSync(join(tmpdir(), `locksmith-cluster-node${i}-`));
      dataDirs.push(dataDir);
      servers[i] = await startServerProcess({
        dataDir,
        env: {
          NODE_ENV: 'production',
          LOCKSMITH_DATABASE_URL: cluster!.databaseUrl(i, 'locksmith'),
          LOCKSMITH_ADMIN_TOKEN: adminToken,
          LOCKSMITH_KEY_PROVIDER: 'local',
          LOCKSMITH_MASTER_KEYS: masterKey,
          LOCKSMITH_NODE_ID: `node-${i}`,
          LOCKSMITH_LOG_LEVEL: 'info',
        },
      });
    };
    // The first server applies the migrations (DDL is not transactional, and Galera replicates
    // it in total order); the others find the schema in place.
    await start(0);
    await Promise.all([1, 2].map(start));
    const created = await call(
      0,
      adminToken,
      `mutation { createDeveloper(input: { name: "cluster" }) { __typename ... on CreateDeveloperPayload { apiKey { token } } } }`,
    );
    token = created.body.data.createDeveloper.apiKey.token;
  });

  afterAll(async () => {
    // How much retrying the scenario took, per node (for the record; the assertions are above).
    const retries = await Promise.all(
      servers.map(async (s) => {
        try {
          const text = await (await fetch(`${s.url}/metrics`)).text();
          return /^locksmith_transaction_retries (\d+)/m.exec(text)?.[1] ?? '?';
        } catch {
          return '?';
        }
      }),
    );
    process.stdout.write(`cluster scenario: transaction retries per node: ${retries.join(', ')}\n`);
    await Promise.allSettled(servers.map((s) => s?.stop()));
    await cluster?.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs 60 concurrent creates spread over the three nodes, all of them successfully', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => create(i % NODES, `burst_${i}`, `burst-value-${i}-${'x'.repeat(16)}`)));
    expect(results.filter((r) => !r.ok).map((r) => r.detail)).toEqual([]);
    const listed = await call(1, token, `{ secrets(first: 100, filter: { namePrefix: "burst_" }) { edges { node { name } } } }`);
    expect(listed.body.data.secrets.edges).toHaveLength(60);
  });

  it('reads a write acknowledged by one node on the next node at once (20 tries)', async () => {
    expect((await create(0, 'ryw', 'ryw-value-0')).ok).toBe(true);
    const stale: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const writer = i % NODES;
      const reader = (i + 1) % NODES;
      const written = await update(writer, 'ryw', `ryw-value-${i}`);
      expect(written.typename).toBe('UpdateSecretPayload');
      const read = await reveal(reader, 'ryw');
      if (read.value !== `ryw-value-${i}` || read.version !== written.version) stale.push(`try ${i}: ${read.detail}`);
    }
    expect(stale).toEqual([]);
  });

  it('makes 45 check-and-set increments from 9 workers across nodes, none lost, no unexpected error', async () => {
    expect((await create(0, 'counter', '0')).ok).toBe(true);
    const unexpected: string[] = [];
    let conflicts = 0;
    const worker = async (w: number) => {
      const node = w % NODES;
      for (let done = 0; done < 5; ) {
        const read = await reveal(node, 'counter');
        if (read.value === undefined) {
          unexpected.push(`read: ${read.detail}`);
          continue;
        }
        const result = await update(node, 'counter', String(Number(read.value) + 1), read.version);
        if (result.typename === 'UpdateSecretPayload') done++;
        else if (result.typename === 'VersionConflictError') conflicts++;
        else unexpected.push(`update: ${result.detail}`);
        if (unexpected.length > 20) return;
      }
    };
    await Promise.all(Array.from({ length: 9 }, (_, w) => worker(w)));
    expect(unexpected).toEqual([]);
    for (let node = 0; node < NODES; node++) {
      expect(await reveal(node, 'counter')).toMatchObject({ value: '45', version: 46 });
    }
    // Check-and-set is doing its job (workers raced), not hiding behind luck.
    expect(conflicts).toBeGreaterThan(0);
  });

  it('answers 90 concurrent reveals over the three nodes, each with the value', async () => {
    const results = await Promise.all(Array.from({ length: 90 }, (_, i) => reveal(i % NODES, 'burst_7')));
    expect(results.filter((r) => r.value !== `burst-value-7-${'x'.repeat(16)}`).map((r) => r.detail)).toEqual([]);
  });

  it('keeps one audit log that every node verifies alike, with a record of every acknowledged write', async () => {
    const verdicts = await Promise.all(
      [0, 1, 2].map(async (node) => (await call(node, token, `{ verifyAuditLog { ok checkedEvents checkedChains reason } }`)).body.data.verifyAuditLog),
    );
    expect(verdicts[0]).toMatchObject({ ok: true, checkedChains: NODES });
    expect(verdicts[1]).toEqual(verdicts[0]);
    expect(verdicts[2]).toEqual(verdicts[0]);

    const events: Array<{ action: string; secretName: string | null; version: number | null }> = [];
    for (let after: string | null = null; ; ) {
      const page: Gql = await call(
        (events.length / 500) % NODES,
        token,
        `query($after: String) { auditEvents(first: 500, after: $after) { edges { node { action secretName version } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const connection = page.body.data.auditEvents;
      events.push(...connection.edges.map((e: any) => e.node));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(events).toHaveLength(verdicts[0].checkedEvents);
    const recorded = new Set(events.map((e) => `${e.action} ${e.secretName} ${e.version}`));
    expect(acknowledged.filter(([action, name, version]) => !recorded.has(`${action} ${name} ${version}`))).toEqual([]);
    expect(events.filter((e) => e.action === 'secret.reveal')).toHaveLength(revealsServed);
  });

  it('refuses a key revoked on one node on every other node within the key cache TTL', async () => {
    const created = await call(
      0,
      token,
      `mutation { createApiKey(input: { name: "short-lived", scopes: ["secrets:read"] }) { ... on CreateApiKeyPayload { apiKey { id token } } } }`,
    );
    const { id: keyId, token: shortLived } = created.body.data.createApiKey.apiKey;
    const me = `{ me { id } }`;
    // Used (and so cached) on every node first.
    for (let node = 0; node < NODES; node++) expect((await call(node, shortLived, me)).body.data?.me?.id).toBeDefined();
    const revoked = await call(0, token, `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }`, { id: keyId });
    expect(revoked.body.data.revokeApiKey.__typename).toBe('RevokeApiKeyPayload');
    const revokedAt = Date.now();
    expect((await call(0, shortLived, me)).status).toBe(401);
    // The other nodes may serve the key from their verified-key cache until its entry, filled
    // before the revocation, expires: once a TTL has passed, each must refuse it at the first
    // try. (No upper bound on how long the calls take: a loaded machine is slow, not wrong.)
    await wait(Math.max(0, revokedAt + KEY_CACHE_TTL_MS + CLOCK_SLACK_MS - Date.now()));
    for (const node of [1, 2]) expect({ node, status: (await call(node, shortLived, me)).status }).toEqual({ node, status: 401 });
  });

  it('seals new writes on every node with a data key rotated on one node', async () => {
    const rotated = await call(0, token, `mutation { rotateDataKey { __typename ... on RotateDataKeyPayload { dataKey { id generation } } } }`);
    const { id, generation } = rotated.body.data.rotateDataKey.dataKey;
    expect(generation).toBeGreaterThan(1);
    for (let node = 0; node < NODES; node++) expect((await create(node, `after_rotation_${node}`, `sealed-by-new-key-${node}`)).ok).toBe(true);
    // Each node looks the newest generation up per write (only unwrapped keys are cached), so the
    // bound is zero, well inside the data key cache TTL. Checked on the stored rows themselves.
    const keys = await cluster!.query(
      2,
      `SELECT s.name, v.data_key_id FROM locksmith.secrets s JOIN locksmith.secret_versions v ON v.secret_id = s.id WHERE s.name LIKE 'after\\_rotation\\_%'`,
    );
    expect(keys.map((r) => r.data_key_id)).toEqual([id, id, id]);
    for (let node = 0; node < NODES; node++) expect((await reveal((node + 1) % NODES, `after_rotation_${node}`)).value).toBe(`sealed-by-new-key-${node}`);
  });

  it('keeps serving writes on the healthy nodes with zero errors when one database node dies; the orphan turns unready, then recovers', async () => {
    const failures: string[] = [];
    /** Acknowledged updates per writer (two on node 1, two on node 2). */
    const writes = [0, 0, 0, 0];
    const total = () => writes.reduce((a, b) => a + b, 0);
    let running = true;
    const writer = async (node: number, w: number, slot: number) => {
      const name = `survivor_${node}_${w}`;
      const first = await create(node, name, 'v1');
      if (!first.ok) failures.push(`node ${node} create: ${first.detail}`);
      for (let i = 2; running; i++) {
        const result = await update(node, name, `v${i}`);
        if (result.typename === 'UpdateSecretPayload') writes[slot]!++;
        else failures.push(`node ${node} update: ${result.detail}`);
      }
    };
    const traffic = [1, 2].flatMap((node, n) => [0, 1].map((w) => writer(node, w, 2 * n + w)));
    // Polled, not slept: the scenario's traffic is what costs CPU, so it runs no longer than the
    // states it has to cross.
    const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} (failures so far: ${JSON.stringify(failures)})`);
        await wait(100);
      }
    };
    let writesBefore = 0;
    let unready = false;
    try {
      await until('every writer has an update acknowledged', () => writes.every((n) => n > 0));
      writesBefore = total();
      await cluster!.kill(0);
      const killedAt = Date.now();
      while (Date.now() - killedAt < 15_000 + SLACK_MS) {
        if ((await readyz(0)) === 503) {
          unready = true;
          break;
        }
        await wait(250);
      }
      // Traffic carries on across the membership change: until both healthy nodes have evicted the
      // dead one, then until every writer has three more updates acknowledged in the smaller cluster.
      const clusterOfTwo = async (node: number) => (await cluster!.status(node)).size === 2;
      await until('nodes 1 and 2 evict node 0', async () => (await clusterOfTwo(1)) && (await clusterOfTwo(2)));
      const atEviction = [...writes];
      await until('every writer has 3 updates acknowledged after the eviction', () => writes.every((n, i) => n >= atEviction[i]! + 3));
    } finally {
      // Also when a wait above timed out: no writer outlives the test.
      running = false;
      await Promise.allSettled(traffic);
    }
    await Promise.all(traffic);
    expect(unready).toBe(true);
    expect(failures).toEqual([]);
    expect(total()).toBeGreaterThan(writesBefore);

    // The database node comes back; the same server process turns ready and writes again.
    await cluster!.restart(0);
    const deadline = Date.now() + 30_000;
    while ((await readyz(0)) !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await wait(250);
    }
    expect((await create(0, 'after_recovery', 'back-again')).ok).toBe(true);
    expect((await reveal(1, 'after_recovery')).value).toBe('back-again');
  });
});
