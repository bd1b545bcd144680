#!/usr/bin/env node
'use strict';
/**
 * Builds the web console (web/ -> web/dist) when it is missing or stale, so `npm start` serves
 * /console with no extra step. Stale means: the hash of the console's sources (web/, the Vite
 * version) differs from the one recorded by the last build. Content hashes, not mtimes, so a
 * fresh clone or a checkout that touches files does not fool it. Plain CommonJS on purpose:
 * it runs before anything is compiled. `--force` always builds.
 */
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const WEB = join(ROOT, 'web');
const DIST = join(WEB, 'dist');
const STAMP = join(DIST, '.build-hash');

// Bump when the build recipe changes (flags, environment), so older builds count as stale.
const RECIPE = 'production-2';

function sourceHash() {
  const hash = createHash('sha256').update(RECIPE);
  const add = (file) => hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (full !== DIST && entry.name !== 'node_modules') walk(full);
      } else if (entry.isFile()) add(full);
    }
  };
  walk(WEB);
  for (const pkg of ['vite', 'react', 'react-dom', 'urql', '@urql/core']) {
    const manifest = join(ROOT, 'node_modules', pkg, 'package.json');
    hash.update(existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : 'missing');
  }
  return hash.digest('hex');
}

function isFresh(hash) {
  return existsSync(join(DIST, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash;
}

/** Builds when needed; returns true when it built. Throws when the build fails. */
function ensureConsoleBuilt({ force = false, quiet = false } = {}) {
  const hash = sourceHash();
  if (!force && isFresh(hash)) return false;
  if (!quiet) process.stderr.write('locksmith: building the web console (web/ -> web/dist)...\n');
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) throw new Error('vite is not installed: run `npm ci` first');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', join(WEB, 'vite.config.mts')], {
    cwd: ROOT,
    stdio: quiet ? 'pipe' : 'inherit',
    // Always React's production build, whatever NODE_ENV the caller runs under (jest sets "test").
    env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  if (result.status !== 0) {
    const detail = quiet ? `\n${String(result.stdout ?? '')}${String(result.stderr ?? '')}` : '';
    throw new Error(`the web console build failed (exit ${result.status})${detail}`);
  }
  writeFileSync(STAMP, `${hash}\n`);
  return true;
}

module.exports = { ensureConsoleBuilt };

if (require.main === module) {
  try {
    ensureConsoleBuilt({ force: process.argv.includes('--force') });
  } catch (error) {
    process.stderr.write(`locksmith: ${error.message}\n`);
    process.exit(1);
  }
}
