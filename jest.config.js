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
  // Four workers on the two cores this runs on: much of a test file is waiting (durable commits,
  // process starts, a Galera cluster forming, a browser), so two workers left the cores idle half
  // the time (measured on the whole suite: 2 workers 166-200 s, 3 155 s, 4 133 s). Every file is
  // parallel-safe (own databases, port 0) and asserts no elapsed time: docs/testing.md.
  maxWorkers: 4,
  // The slowest files first, also in a fresh clone with no cached durations.
  testSequencer: '<rootDir>/tests/support/slow-first-sequencer.js',
  // The default output, plus the counts `npm test` sums into its closing line.
  reporters: ['default', '<rootDir>/tests/support/count-reporter.js'],
};
