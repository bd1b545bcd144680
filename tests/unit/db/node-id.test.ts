import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNodeId } from '../../../src/node-id';

describe('resolveNodeId', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'locksmith-node-id-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses LOCKSMITH_NODE_ID when it is set, and writes nothing', () => {
    expect(resolveNodeId('web-3', dir)).toBe('web-3');
    expect(() => statSync(join(dir, 'node-id'))).toThrow();
  });

  it('generates an id once, owner-only, and keeps it across restarts', () => {
    const first = resolveNodeId(undefined, dir);
    expect(first).toMatch(/^n-[0-9a-f]{12}$/);
    expect(statSync(join(dir, 'node-id')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'node-id'), 'utf8').trim()).toBe(first);
    expect(resolveNodeId(undefined, dir)).toBe(first);
    // Another data directory is another node.
    const other = mkdtempSync(join(tmpdir(), 'locksmith-node-id-'));
    try {
      expect(resolveNodeId(undefined, other)).not.toBe(first);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('falls back to a stable id derived from host and data directory when nothing can be stored', () => {
    // A data directory below a regular file cannot be created, not even by root.
    writeFileSync(join(dir, 'a-file'), '');
    const unwritable = join(dir, 'a-file', 'data');
    const derived = resolveNodeId(undefined, unwritable);
    expect(derived).toMatch(/^h-[0-9a-f]{12}$/);
    expect(resolveNodeId(undefined, unwritable)).toBe(derived);
    expect(resolveNodeId(undefined, join(dir, 'a-file', 'other'))).not.toBe(derived);
  });
});
