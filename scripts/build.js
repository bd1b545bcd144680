#!/usr/bin/env node
'use strict';
// `npm run build`: a clean compile of src/ and plugins/ into dist/, then the web console
// (`npm run build:web`, when package.json defines it), then the stamp that tells `npm start`
// and bin/locksmith.js that dist/ matches the sources.
//
// --no-check emits without type-checking (`tsc --noCheck`: the same JavaScript, declarations and
// source maps, in about half the CPU). `npm start` rebuilds that way, and so every test that runs
// the compiled server (the build lane of `npm test`), since `npm run typecheck` (the typecheck
// lane) checks these sources anyway; a plain `npm run build` and prepack still check. The stamp
// does not record which: both builds emit the same dist/.
const { spawnSync } = require('node:child_process');
const { readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { ROOT, DIST, STAMP, sourceHash } = require('./build-state');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const hash = sourceHash(); // before compiling: an edit made during the build makes the next start rebuild
rmSync(DIST, { recursive: true, force: true }); // no stale module of a deleted source can survive
const check = process.argv.includes('--no-check') ? ['--noCheck'] : [];
run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), ...check]);
const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts ?? {};
// --no-web: `npm start` compiles the server only and lets the console check its own staleness.
if (scripts['build:web'] && !process.argv.includes('--no-web')) {
  // npm_execpath is npm's own CLI when we run under npm; otherwise the npm on PATH.
  const npm = process.env.npm_execpath;
  if (npm) run(process.execPath, [npm, 'run', 'build:web']);
  else run('npm', ['run', 'build:web']);
}
writeFileSync(STAMP, hash + '\n');
