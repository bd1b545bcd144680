#!/usr/bin/env node
'use strict';
// Runs the built CLI when dist/ matches the sources (`npm run build` or `npm start` built it; an
// installed package ships dist/ only), else the TypeScript source through tsx (a runtime
// dependency), so `npx locksmith` works right after `npm ci` and a stale dist/ never shadows an edit.
// LOCKSMITH_CLI_FROM_SOURCE=1 forces the source.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { hasSources, isFresh } = require('../scripts/build-state');

const built = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let cli;
if (existsSync(built) && !process.env.LOCKSMITH_CLI_FROM_SOURCE && (!hasSources() || isFresh())) {
  cli = require(built);
} else {
  require('tsx/cjs');
  cli = require('../src/cli/main.ts');
}

cli.run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`locksmith: unexpected ${error && error.name ? error.name : 'error'}\n`);
    process.exitCode = 1;
  },
);
