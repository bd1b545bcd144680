'use strict';
/**
 * A jest reporter that writes its run's counts to LOCKSMITH_TEST_COUNTS_DIR (when set), one file
 * per jest process, so `npm test` (scripts/test.ts) can end with one plain "N passed, N failed"
 * line over every lane: the main run and each provider pass. A file that could not even load
 * counts as a failed test.
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class CountReporter {
  onRunComplete(_contexts, results) {
    const dir = process.env.LOCKSMITH_TEST_COUNTS_DIR;
    if (!dir) return;
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(counts));
  }
}

module.exports = CountReporter;
