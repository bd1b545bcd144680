import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The compiled server `npm start` runs. */
export const BUILT_SERVER = join(ROOT, 'dist', 'src', 'server.js');

/** Builds dist/ (and the console) when stale, exactly as `npm start` does, one builder at a time. */
export async function ensureBuilt(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const launcher = require(join(ROOT, 'scripts', 'start.js')) as { ensureBuilt(): Promise<void> };
  await launcher.ensureBuilt();
}

// A cold build on a loaded 2-core machine (tsc, then the console's Vite build) takes a while.
const BUILD_TIMEOUT_MS = 300_000;

/**
 * Registers a beforeAll that makes dist/ current before the test file's own hooks run (call it
 * at module level, as tests/support/processes.ts does on import). Within `npm test` it waits for
 * the build lane's build instead of starting a second one (scripts/start.js holds a build lock).
 */
export function useBuiltDist(): void {
  if (typeof beforeAll === 'function') beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);
}
