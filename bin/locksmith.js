#!/usr/bin/env node
'use strict';
// Runs the built CLI when `npm run build` produced one, else the TypeScript source through tsx
// (a runtime dependency), so `npx locksmith` works right after `npm ci`.
// LOCKSMITH_CLI_FROM_SOURCE=1 forces the source, so a stale dist/ never shadows the code under test.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let cli;
if (existsSync(built) && !process.env.LOCKSMITH_CLI_FROM_SOURCE) {
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
