/** Jest in ESM mode (the runtime deps are ESM-only); esbuild transpiles, `npm run typecheck` type-checks. */
export default {
  testEnvironment: 'node',
  resolver: 'ts-jest-resolver',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': '<rootDir>/__tests__/support/esbuild-transform.mjs'
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  testTimeout: 60000,
  // One more worker than this 2-core machine has cores: the dist files mostly wait on the runner
  // processes they spawn, and a third worker fills that time (20 s against 23 s with two).
  maxWorkers: 3,
  testSequencer: '<rootDir>/__tests__/support/sequencer.mjs',
  // A worker writes its coverage (NODE_V8_COVERAGE, scripts/test.mjs) as it exits: jest's default
  // 500 ms before killing it can cut that short.
  workerGracefulExitTimeout: 15000,
  // With the install, not in the OS temp folder, which a test run leaves as it found it.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  // One temp folder per run (TMPDIR for the workers), removed at the end; leftovers fail the run.
  globalSetup: '<rootDir>/__tests__/support/global-setup.mjs',
  globalTeardown: '<rootDir>/__tests__/support/global-teardown.mjs',
  // npm test measures coverage with Node's own (scripts/test.mjs); `jest --coverage` still works.
  collectCoverage: false,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageProvider: 'v8',
  coverageReporters: ['text-summary', 'json-summary']
}
