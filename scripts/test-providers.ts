/**
 * `npm run test:providers`: the integration files whose outcome depends on the key provider the
 * test apps use by default, once per remote provider of the test-backend registry
 * (tests/support/key-provider-backends.ts), with LOCKSMITH_TEST_KEY_PROVIDER set. The rest of the
 * suite does not care which provider wraps its data keys and runs once, under `local`, in
 * `jest`; files that loop over every provider themselves (provider-calls, key-rotation,
 * key-outage, keys-cli) are not repeated either. Extra arguments go to jest. `npm test`
 * (scripts/test.ts) runs these passes alongside the main jest run.
 *
 * Each pass runs over one database, the passes taking the suite's databases in turn (aws-kms on
 * SQLite, vault-transit on MariaDB; both on SQLite under LOCKSMITH_TEST_DATABASES=sqlite): every
 * file runs over every remote provider, and over every database with a remote provider. What a
 * provider changes (who wraps the data keys, when that call is slow or fails) does not differ
 * between the databases, whose SQL the main run covers over both; the pairs left out saved about
 * 6 of the suite's CPU-seconds (docs/testing.md).
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { type DatabaseKind, DATABASE_KINDS } from '../tests/support/database-kinds';
import { REMOTE_KEY_PROVIDER_KINDS } from '../tests/support/key-provider-backends';

/** Each is here because the provider is on its path: data-key wrap/unwrap, raw rows, restarts, races. */
export const PROVIDER_DEPENDENT_FILES = [
  'tests/integration/smoke.test.ts', // every operation once, end to end
  'tests/integration/crypto.test.ts', // raw rows and the WAL hold no plaintext, whoever wraps the data keys
  'tests/integration/isolation.test.ts', // a tenant's ciphertext does not open under another's data key
  'tests/integration/concurrency.test.ts', // first data keys created under racing writers
  'tests/integration/durability.test.ts', // restarts: cold caches unwrap through the provider
];

const jest = join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');

export interface LaneResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs node with `args` from the repository root, its output collected; `env` is added to ours.
 * `nice` lowers its CPU priority (inherited by the processes it starts).
 */
export function collect(args: string[], env: Record<string, string> = {}, nice = 0): Promise<LaneResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: join(__dirname, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (nice && child.pid) setPriority(child.pid, nice);
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * One pass per remote provider, all at once (one worker each): each pass mostly waits on its
 * fake and the databases. Resolves with every pass's output, under a header each.
 */
export async function runProviderPasses(jestArgs: string[] = [], nice = 0): Promise<LaneResult> {
  const passes = await Promise.all(
    REMOTE_KEY_PROVIDER_KINDS.map(async (kind, i) => {
      const database: DatabaseKind = DATABASE_KINDS[i % DATABASE_KINDS.length]!;
      const env = { LOCKSMITH_TEST_KEY_PROVIDER: kind, LOCKSMITH_TEST_DATABASES: database };
      return { kind, database, ...(await collect([jest, '--maxWorkers=1', ...PROVIDER_DEPENDENT_FILES, ...jestArgs], env, nice)) };
    }),
  );
  return {
    code: passes.every((pass) => pass.code === 0) ? 0 : 1,
    output: passes.map((pass) => `\n== integration files over ${pass.kind} on ${pass.database}\n${pass.output}`).join(''),
  };
}

if (require.main === module) {
  void runProviderPasses(process.argv.slice(2)).then(({ code, output }) => {
    process.stdout.write(output);
    process.exit(code);
  });
}
