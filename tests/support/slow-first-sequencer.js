'use strict';
/**
 * jest's test order: the files that take longest start first, so that no long file starts late
 * and runs on alone at the end while the other worker idles. jest orders by the durations it
 * cached on an earlier run, or by file size when it has none, as in a fresh CI clone (its cache
 * is keyed by the checkout's path); size says little here (the Galera cluster file is short and
 * takes a minute), so the order comes from what a file does:
 *
 * 1. LONGEST, in this order: files measured at half a minute or more, or that wait on a
 *    build, a package install or a database cluster;
 * 2. then by folder: cluster, e2e (real processes), integration, contract, unit;
 * 3. within a folder, jest's cached duration when it has one, else the larger file first.
 *
 * `npx jest --listTests` does not show this order; a run's output does.
 */
const Sequencer = require('@jest/test-sequencer').default;
const { relative, sep } = require('node:path');

const ROOT = require('node:path').join(__dirname, '..', '..');

/** Measured with `npx jest --json` (per file end - start); keep the slowest first. */
const LONGEST = [
  'tests/cluster/cluster.test.ts', // starts a 3-node Galera cluster, then kills and restarts a node
  // Two long files that need no dist/: in a fresh clone the files that run processes wait for the
  // build lane first (tests/support/built-server.ts), so these keep two of the four workers busy.
  'tests/integration/provider-calls.test.ts',
  'tests/integration/key-rotation.test.ts',
  'tests/e2e/package.test.ts', // npm pack, an offline install, a tsc run, a server
  'tests/e2e/startup-errors.test.ts', // waits on the dist/ build, then ~18 server starts
  'tests/e2e/npm-start.test.ts', // waits on the dist/ build, then signals through npm
  'tests/integration/keys-cli.test.ts',
  'tests/e2e/server.test.ts',
  'tests/e2e/cli-accounts.test.ts',
  'tests/unit/tasks/expression-fuzz.test.ts', // CPU-bound property tests
  'tests/e2e/backup-restore.test.ts',
  'tests/e2e/cli-env.test.ts',
  'tests/e2e/cli-run.test.ts',
  'tests/e2e/cli-secrets.test.ts',
  'tests/e2e/graphiql.test.ts',
  'tests/e2e/console.test.ts',
  'tests/unit/codegen-fresh.test.ts', // runs graphql-codegen
];

const FOLDERS = ['tests/cluster/', 'tests/e2e/', 'tests/integration/', 'tests/contract/', 'tests/unit/'];

function rank(path) {
  const rel = relative(ROOT, path).split(sep).join('/');
  const listed = LONGEST.indexOf(rel);
  if (listed >= 0) return listed;
  const folder = FOLDERS.findIndex((f) => rel.startsWith(f));
  return LONGEST.length + (folder < 0 ? FOLDERS.length : folder);
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    // jest's own order (failed first, then cached duration, else size) breaks ties within a rank.
    const byJest = new Map(super.sort([...tests]).map((test, i) => [test, i]));
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || byJest.get(a) - byJest.get(b));
  }
}

module.exports = SlowFirstSequencer;
