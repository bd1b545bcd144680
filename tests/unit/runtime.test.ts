import SQLite from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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
