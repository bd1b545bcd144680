/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'commonjs' } },
    ],
  },
  // jose 6 ships ESM only.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 30000,
  // Two workers on the two cores this runs on: integration files spend most of their time waiting
  // on durable commits, so one worker per core keeps both busy; more only thrash MariaDB and the
  // CPU-bound crypto. Every file is parallel-safe (own databases, port 0): docs/testing.md.
  maxWorkers: 2,
  // The slowest files first, also in a fresh clone with no cached durations.
  testSequencer: '<rootDir>/tests/support/slow-first-sequencer.js',
  // The default output, plus the counts `npm test` sums into its closing line.
  reporters: ['default', '<rootDir>/tests/support/count-reporter.js'],
};
