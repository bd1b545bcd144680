import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * This process's writer node id, which picks the audit chain it appends to (docs/audit-chain.md).
 * LOCKSMITH_NODE_ID wins; otherwise an id generated once and kept in `<dataDir>/node-id`, so a
 * node keeps its chain across restarts. When the data directory is not writable (a read-only
 * container), an id derived from the host name and data directory: stable as long as they are.
 *
 * Correctness does not depend on ids being unique: two processes with one id share a chain and
 * serialise on its head row. Distinct ids only keep nodes from contending with each other.
 */
export function resolveNodeId(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'node-id');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (NODE_ID.test(stored)) return stored;
  } catch {
    // Not there yet: generate it below.
  }
  const generated = `n-${randomBytes(6).toString('hex')}`;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // 'wx': when another process of this data dir raced us, keep its id.
    writeFileSync(file, `${generated}\n`, { flag: 'wx', mode: 0o600 });
    return generated;
  } catch {
    try {
      const stored = readFileSync(file, 'utf8').trim();
      if (NODE_ID.test(stored)) return stored;
    } catch {
      // Unreadable and unwritable: fall through to the derived id.
    }
  }
  return `h-${createHash('sha256').update(`${hostname()}\0${dataDir}`).digest('hex').slice(0, 12)}`;
}
