/**
 * `npm run test:providers`: the integration files whose outcome depends on the key provider the
 * test apps use by default, once per remote provider of the test-backend registry
 * (tests/support/key-provider-backends.ts), with LOCKSMITH_TEST_KEY_PROVIDER set. The rest of the
 * suite does not care which provider wraps its data keys and runs once, under `local`, in
 * `jest`; files that loop over every provider themselves (provider-calls, key-rotation,
 * key-outage, keys-cli) are not repeated either. Extra arguments go to jest.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
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

/** One pass per remote provider, all at once (one worker each): each pass mostly waits on its fake and the databases. */
async function main(): Promise<void> {
  const passes = REMOTE_KEY_PROVIDER_KINDS.map(
    (kind) =>
      new Promise<{ kind: string; code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [jest, '--maxWorkers=1', ...PROVIDER_DEPENDENT_FILES, ...process.argv.slice(2)], {
          env: { ...process.env, LOCKSMITH_TEST_KEY_PROVIDER: kind },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk) => (output += String(chunk)));
        child.stderr.on('data', (chunk) => (output += String(chunk)));
        child.on('close', (code) => resolve({ kind, code, output }));
      }),
  );
  let failed = false;
  for (const pass of await Promise.all(passes)) {
    process.stdout.write(`\n== integration files over ${pass.kind}\n${pass.output}`);
    if (pass.code !== 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

void main();
