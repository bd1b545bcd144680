#!/usr/bin/env node
'use strict';
/**
 * `npm start`: runs the compiled server (dist/), building it first when the sources changed.
 *
 * Signals: package.json runs this as `exec node scripts/start.js`, so the shell npm starts is
 * replaced by node and there is no `sh` between npm and the server (dash, Debian's sh, does not
 * exec the last command by itself, and a SIGTERM that npm forwards to a waiting sh kills the
 * shell but not its child). This script then loads the server into its own process instead of
 * spawning another node, so the process npm started *is* the server: a SIGTERM or SIGINT sent
 * to npm (which forwards it), to the process group or to this pid reaches the server's
 * graceful shutdown directly, and this pid keeps obeying signals after npm is gone.
 */
const { spawn } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { ROOT, DIST, isFresh, hasSources, sourceHash } = require('./build-state');

const LOCK = join(ROOT, '.build.lock');
const SIGNALS = { SIGINT: 2, SIGTERM: 15 };

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** One builder at a time (two `npm start`s, or tests starting servers in parallel). */
async function withBuildLock(fn) {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // the owner has not written its pid yet
      }
      if (Number.isInteger(owner) && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  writeFileSync(join(LOCK, 'pid'), String(process.pid));
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Runs `npm run build`'s script without its type check (`npm run typecheck` is where type errors
 * are reported; an emit does not need them); a SIGINT/SIGTERM meanwhile stops the build and this
 * process.
 */
function build() {
  return new Promise((resolve) => {
    process.stderr.write('locksmith: sources changed since the last build; building dist/ ...\n');
    const child = spawn(process.execPath, [join(__dirname, 'build.js'), '--no-web', '--no-check'], { cwd: ROOT, stdio: 'inherit' });
    let stoppedBy;
    const forward = (signal) => {
      stoppedBy = signal;
      child.kill(signal);
    };
    for (const signal of Object.keys(SIGNALS)) process.on(signal, forward);
    child.on('exit', (code, signal) => {
      for (const s of Object.keys(SIGNALS)) process.removeListener(s, forward);
      if (stoppedBy) process.exit(128 + SIGNALS[stoppedBy]);
      if (code !== 0) {
        process.stderr.write(`locksmith: the build failed (${signal ?? `exit ${code}`}); fix the error above and run npm start again\n`);
        process.exit(code ?? 1);
      }
      resolve();
    });
  });
}

/** Builds what is stale (the server's dist/, the console's web/dist), one builder at a time. */
async function ensureBuilt() {
  if (!hasSources()) return; // an installed package ships dist/
  const webBuild = join(__dirname, 'build-web.js');
  await withBuildLock(async () => {
    if (!isFresh(sourceHash())) await build(); // another start may have built it while we waited
    // The console keeps its own stamp (a content hash of web/) and builds only when stale.
    if (existsSync(webBuild)) require(webBuild).ensureConsoleBuilt();
  });
}

async function main() {
  await ensureBuilt();
  // The server's main installs its own SIGTERM/SIGINT/SIGHUP handlers.
  await require(join(DIST, 'src', 'server.js')).main();
}

module.exports = { ensureBuilt };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`locksmith: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
