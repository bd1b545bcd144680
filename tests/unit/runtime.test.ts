import SQLite from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_NODE, unsupportedNode } from '../../src/node-version';

/**
 * The suite runs on the Node the project declares (package.json engines; `npm test` puts the
 * pinned Node 24 from the `node` devDependency first on PATH, docs/testing.md), and the native
 * SQLite addon loads under it. A tree installed for another Node fails here first, by name,
 * instead of as a crash deep inside an integration test.
 */
const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

function parts(version: string): number[] {
  return version.replace(/^[^\d]*/, '').split('.').map(Number);
}

describe(`runtime (Node ${process.version})`, () => {
  it('meets the engines minimum in package.json', () => {
    const [major = 0, minor = 0] = parts(process.version);
    const [wantMajor = 0, wantMinor = 0] = parts(pkg.engines.node);
    expect(major > wantMajor || (major === wantMajor && minor >= wantMinor)).toBe(true);
  });

  it('is the Node the devDependency pins when npm or npx runs the suite', () => {
    // npm scripts and npx (`npm test`, .ci/run) put node_modules/.bin first on PATH; jest started
    // some other way only has to meet the minimum above.
    if (process.env.npm_lifecycle_event === undefined) return;
    expect(process.version).toBe(`v${pkg.devDependencies.node}`);
  });

  it('loads better-sqlite3 and runs a query', () => {
    const db = new SQLite(':memory:');
    try {
      expect(db.prepare('SELECT 1 + 1 AS two').get()).toEqual({ two: 2 });
    } finally {
      db.close();
    }
  });
});

describe('unsupportedNode (the server refuses an old Node with a reason)', () => {
  it('names the minimum that package.json engines declares', () => {
    expect(pkg.engines.node).toBe(`>=${MIN_NODE.major}.${MIN_NODE.minor}`);
  });

  it('accepts the minimum and newer, refuses older with the version it saw', () => {
    expect(unsupportedNode('22.15.0')).toBeUndefined();
    expect(unsupportedNode('v24.21.0')).toBeUndefined();
    expect(unsupportedNode('23.0.0')).toBeUndefined();
    expect(unsupportedNode('22.14.9')).toMatch(/^Node 22\.15 or newer is required \(this is v22\.14\.9\)/);
    expect(unsupportedNode('v20.20.2')).toMatch(/this is v20\.20\.2/);
  });
});
