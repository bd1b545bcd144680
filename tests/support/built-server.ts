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
