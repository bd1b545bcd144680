/**
 * `locksmith keys rotate|rewrap|reencrypt|prune` as real processes (`node bin/locksmith.js`) against a
 * SQLite database a test app populated: they open the database and key providers with the
 * server's configuration, print progress on stderr (plain lines: stderr is not a terminal here)
 * and a summary on stdout, exit 0, and are safe to run again.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { leaksIn } from '../support/integration';
import { startKeyProviderBackend } from '../support/key-provider-backends';
import { dataKeyRows, expectAllReadable, populate, type PopulatedDeveloper } from '../support/key-rotation';
import { CliSandbox, type CliOptions, type CliResult } from '../support/processes';
import { step } from '../support/steps';
import { type TestApp, useStarted, useTestDatabase, withTestApp } from '../support/test-app';

const K1 = `mk-one:${randomBytes(32).toString('base64')}`;
const K2 = `mk-two:${randomBytes(32).toString('base64')}`;

// One sandbox per file: its own HOME and a clean environment (only what the server would be
// given, no inherited LOCKSMITH_*); USER names the operator in the audit trail (operator:ops).
const sandbox = useStarted(async () => new CliSandbox({ USER: 'ops' }), async (cli) => cli.remove());

function locksmith(args: string[], env: Record<string, string>, options: Omit<CliOptions, 'env'> = {}): Promise<CliResult> {
  return sandbox.run(args, { ...options, env });
}

function progressLines(stderr: string, label: string): string[] {
  const prefix = `locksmith: ${label}: `;
  return stderr.split('\n').filter((line) => line.startsWith(prefix)).map((line) => line.slice('locksmith: '.length));
}

describe('locksmith keys rotate on a one-developer database', () => {
  const db = useTestDatabase('sqlite');

  it('prints its one progress line once', async () => {
    await withTestApp('sqlite', { database: db, env: { LOCKSMITH_KEY_PROVIDER: 'local', LOCKSMITH_MASTER_KEYS: K1 } }, async (t) => {
      const dev = await t.createDeveloper('solo');
      await t.graphql(dev.token, 'mutation { createSecret(input: { name: "solo", value: "solo-value-1" }) { __typename } }');
    });
    const r = await locksmith(['keys', 'rotate', '--all'], {
      LOCKSMITH_DATABASE_URL: `sqlite:${db.location}`,
      LOCKSMITH_DATA_DIR: db.dataDir,
      LOCKSMITH_MASTER_KEYS: K1,
    });
    expect(r.code).toBe(0);
    expect(progressLines(r.stderr, 'keys rotate')).toEqual(['keys rotate: 1/1 (100%) rotated 1, skipped 0']);
  });
});

describe('locksmith keys (CLI, SQLite)', () => {
  const db = useTestDatabase('sqlite');
  const kms = useStarted(() => startKeyProviderBackend('aws-kms'));
  const vault = useStarted(() => startKeyProviderBackend('vault-transit'));
  let population: PopulatedDeveloper[];
  const sensitive = new Set<string>([K1, K2]);
  const server = (extra: Record<string, string>) => ({
    LOCKSMITH_DATABASE_URL: `sqlite:${db.location}`,
    LOCKSMITH_DATA_DIR: db.dataDir,
    ...extra,
  });
  /** An app on the database the CLI works on, to check what the CLI did; closed before fn's result is used. */
  const withApp = <R>(env: Record<string, string>, fn: (t: TestApp) => Promise<R>) => withTestApp('sqlite', { database: db, env }, fn);

  beforeAll(async () => {
    await withApp({ LOCKSMITH_KEY_PROVIDER: 'local', LOCKSMITH_MASTER_KEYS: K1 }, async (t) => {
      population = await populate(t, 'cli');
      for (const dev of population) for (const values of dev.secrets.values()) values.forEach((v) => sensitive.add(v));
    });
  });

  // The operator's story, one step per test: each test awaits the steps before its own, so it
  // can run alone, and a whole run does each step once.
  const rewrapToK2 = step(() => locksmith(['keys', 'rewrap', '--batch', '2'], server({ LOCKSMITH_MASTER_KEYS: `${K1},${K2}` })));
  const rotateAndReencrypt = step(async () => {
    await rewrapToK2();
    const rotate = await locksmith(['keys', 'rotate', '--all'], server({ LOCKSMITH_MASTER_KEYS: K2 }));
    const reencrypt = await locksmith(['keys', 'reencrypt', '--batch', '5'], server({ LOCKSMITH_MASTER_KEYS: K2 }));
    return { rotate, reencrypt };
  });
  const moveToKms = step(async () => {
    await rotateAndReencrypt();
    return locksmith(['keys', 'rewrap', '--to', 'aws-kms'], server({ LOCKSMITH_MASTER_KEYS: K2, ...kms.env, LOCKSMITH_KEY_PROVIDER: 'local' }));
  });
  /** Interrupted by a Ctrl-C after the first row, then run again. */
  const moveToVault = step(async () => {
    await moveToKms();
    vault.setLatency(100); // every Vault call slow, so the run is still going when interrupted
    const env = server({ ...kms.env, ...vault.env, LOCKSMITH_KEY_PROVIDER: 'vault-transit', LOCKSMITH_PREVIOUS_KEY_PROVIDERS: 'aws-kms' });
    try {
      const interrupted = await locksmith(['keys', 'rewrap', '--batch', '2'], env, { interruptWhen: /keys rewrap: 1\/7/ });
      const rest = await locksmith(['keys', 'rewrap', '--json'], env);
      return { interrupted, rest };
    } finally {
      vault.setLatency(0);
    }
  });

  it('keys rewrap: every data key under the new master key, progress on stderr, summary on stdout', async () => {
    const r = await rewrapToK2();
    expect(r.stderr).toMatch(/keys rewrap: \d+\/4 \(\d+%\)/);
    expect(r.stderr).toMatch(/keys rewrap: 4\/4 \(100%\) rewrapped 4, current 0/);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^provider\s+local$/m);
    expect(r.stdout).toMatch(/^rewrapped\s+4 \(4 from local\)$/m);
    expect(r.stdout).toMatch(/^time\s+\d+\.\d s$/m);
    expect(leaksIn(r.stdout + r.stderr, sensitive)).toEqual([]);

    await withApp({ LOCKSMITH_KEY_PROVIDER: 'local', LOCKSMITH_MASTER_KEYS: K2 }, async (t) => {
      expect((await dataKeyRows(t)).map((k) => k.key_ref)).toEqual(['mk-two', 'mk-two', 'mk-two', 'mk-two']);
      await expectAllReadable(t, population);
    });
  });

  it('keys rewrap again does nothing (--json)', async () => {
    await rewrapToK2();
    const r = await locksmith(['keys', 'rewrap', '--json'], server({ LOCKSMITH_MASTER_KEYS: K2 }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: 'local', total: 4, scanned: 4, rewrapped: 0, current: 4, failed: 0, aborted: false });
  });

  it('keys rotate --all, then keys reencrypt: every version under the newest data key, audited', async () => {
    const { rotate, reencrypt } = await rotateAndReencrypt();
    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toMatch(/^rotated\s+3$/m);
    // Progress lines say something new each time, and the last one is the end state.
    const lines = progressLines(rotate.stderr, 'keys rotate');
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.at(-1)).toBe('keys rotate: 3/3 (100%) rotated 3, skipped 0');

    expect(reencrypt.stderr).toMatch(/keys reencrypt: 18\/18 \(100%\) re-encrypted 18/);
    expect(reencrypt.code).toBe(0);
    expect(reencrypt.stdout).toMatch(/^re-encrypted\s+18$/m);
    expect(reencrypt.stdout).toMatch(/^unreferenced data keys\s+4$/m);

    await withApp({ LOCKSMITH_KEY_PROVIDER: 'local', LOCKSMITH_MASTER_KEYS: K2 }, async (t) => {
      const keys = await dataKeyRows(t);
      const newest = new Map<string, string>();
      for (const k of [...keys].sort((a, b) => a.generation - b.generation)) newest.set(k.developer_id, k.id);
      const versions = await t.app.db.selectFrom('secret_versions').select(['developer_id', 'data_key_id']).execute();
      expect(versions.every((v) => v.data_key_id === newest.get(v.developer_id))).toBe(true);
      await expectAllReadable(t, population);
      const events = await t.app.db.selectFrom('audit_events').select(['actor', 'detail']).where('action', '=', 'datakey.rotate').execute();
      expect(events.filter((e) => e.actor === 'operator:ops')).toHaveLength(3);
    });
  });

  it('keys rewrap --to aws-kms moves every data key to KMS; an app with only aws-kms then reads everything', async () => {
    const r = await moveToKms();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rewrapped\s+7 \(7 from local\)$/m);
    expect(r.stderr).toContain('set LOCKSMITH_KEY_PROVIDER=aws-kms with LOCKSMITH_PREVIOUS_KEY_PROVIDERS=local');

    await withApp({ ...kms.env }, async (t) => {
      expect([...new Set((await dataKeyRows(t)).map((k) => k.provider))]).toEqual(['aws-kms']);
      await expectAllReadable(t, population);
    });
  });

  it('Ctrl-C stops a rewrap between two rows; running it again finishes the move', async () => {
    const { interrupted, rest } = await moveToVault();
    const { stdout, stderr, code } = interrupted;
    expect(stderr).toContain('stopping after the current row');
    expect(stderr).toContain('interrupted: run the same command again to resume');
    expect(code).toBe(1);
    const moved = Number(/^rewrapped\s+(\d+)/m.exec(stdout)?.[1]);
    expect(moved).toBeGreaterThanOrEqual(1);
    expect(moved).toBeLessThan(7);

    expect(rest.code).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ rewrapped: 7 - moved, current: moved, failed: 0, from: { 'aws-kms': 7 - moved } });
    await withApp({ ...vault.env }, async (t) => {
      expect([...new Set((await dataKeyRows(t)).map((k) => k.provider))]).toEqual(['vault-transit']);
      await expectAllReadable(t, population);
    });
  });

  it('fails with exit 6 and a clear message when the provider is down, and 2 without a database', async () => {
    await kms.stop();
    try {
      const down = await locksmith(['keys', 'rotate', '--developer', population[0]!.id], server({ ...kms.env, LOCKSMITH_KMS_MAX_ATTEMPTS: '1' }));
      expect(down.code).toBe(6);
      expect(down.stderr).toContain('the key provider "aws-kms" is unavailable; nothing was changed');
    } finally {
      await kms.start();
    }
    const missing = await locksmith(['keys', 'rewrap'], { LOCKSMITH_DATA_DIR: join(db.dataDir, 'nowhere') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no database at .*nowhere/);
    const usage = await locksmith(['keys', 'rotate'], server({}));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give --developer <id> or --all');
  });

  it('keys prune --json: deletes the 4 retired data keys the re-encrypt freed, audited; --dry-run first, a second run prunes nothing', async () => {
    await moveToVault();
    const env = server({ ...vault.env });
    const dry = await locksmith(['keys', 'prune', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, developers: 3, total: 4, scanned: 4, pruned: 4, referenced: 0, aborted: false });

    const before = await withApp({ ...vault.env }, async (check) => {
      const rows = await dataKeyRows(check);
      expect(rows).toHaveLength(7);
      return rows;
    });

    const r = await locksmith(['keys', 'prune', '--json', '--batch', '2'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: false, developers: 3, total: 4, scanned: 4, pruned: 4, referenced: 0, aborted: false });
    expect(r.stderr).toMatch(/keys prune: 4\/4 \(100%\) pruned 4, referenced 0/);
    expect(leaksIn(r.stdout + r.stderr, sensitive)).toEqual([]);

    await withApp({ ...vault.env }, async (t) => {
      const after = await dataKeyRows(t);
      // What is left is each developer's newest generation.
      const newest = new Map<string, (typeof before)[number]>();
      for (const k of before) if ((newest.get(k.developer_id)?.generation ?? 0) < k.generation) newest.set(k.developer_id, k);
      expect(after).toEqual([...newest.values()].sort((a, b) => a.id.localeCompare(b.id)));
      await expectAllReadable(t, population);
      const events = await t.app.db.selectFrom('audit_events').select(['actor', 'detail']).where('action', '=', 'datakey.prune').execute();
      expect(events.map((e) => [e.actor, JSON.parse(e.detail!).pruned]).sort()).toEqual([
        ['operator:ops', 1],
        ['operator:ops', 1],
        ['operator:ops', 2],
      ]);
    });

    const again = await locksmith(['keys', 'prune'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^retired data keys\s+0$/m);
    expect(again.stdout).toMatch(/^pruned\s+0$/m);
  });
});
