'use strict';
// What `npm run build` compiles, and whether dist/ is up to date with it. Plain CommonJS with no
// dependencies: the launcher (scripts/start.js) and bin/locksmith.js run it before anything is built.
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-hash');

/**
 * Everything the server's compile reads. The web console (web/ -> web/dist) keeps its own
 * stamp (scripts/build-web.js), so a console edit does not recompile the server.
 */
const INPUTS = ['src', 'plugins', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.js'];
const SKIP = new Set(['node_modules', 'dist', '.git', '.locksmith']);

function files(path, out) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return out;
  if (stat.isDirectory()) {
    for (const name of readdirSync(path).sort()) if (!SKIP.has(name)) files(join(path, name), out);
  } else if (stat.isFile()) {
    out.push(path);
  }
  return out;
}

/**
 * A hash of the build's inputs: every path with its size and modification time (stat only, so
 * the CLI can check it on every run; an edit, a checkout or a deleted file all change it).
 */
function sourceHash() {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of files(join(ROOT, input), [])) {
      const { size, mtimeMs } = statSync(file);
      hash.update(`${relative(ROOT, file)}\0${size}\0${mtimeMs}\n`);
    }
  }
  return hash.digest('hex');
}

/** True when dist/ was built from exactly the current inputs. */
function isFresh(hash = sourceHash()) {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash;
}

/** True in a checkout (sources present); false in an installed package, which ships dist/ only. */
function hasSources() {
  return existsSync(join(ROOT, 'src', 'server.ts'));
}

module.exports = { ROOT, DIST, STAMP, INPUTS, sourceHash, isFresh, hasSources };
