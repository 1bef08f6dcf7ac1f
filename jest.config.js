/** Jest in ESM mode (the runtime deps are ESM-only); swc transpiles, `npm run typecheck` type-checks. */
export default {
  testEnvironment: 'node',
  resolver: 'ts-jest-resolver',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    // File by file, types stripped (tsconfig.json has isolatedModules); tsconfig.json's target.
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  testTimeout: 60000,
  // One more worker than this 2-core machine has cores: the dist files mostly wait on the runner
  // processes they spawn, and a third worker fills that time (20 s against 23 s with two).
  maxWorkers: 3,
  // With the install, not in the OS temp folder, which a test run leaves as it found it.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  // One temp folder per run (TMPDIR for the workers), removed at the end; leftovers fail the run.
  globalSetup: '<rootDir>/__tests__/support/global-setup.mjs',
  globalTeardown: '<rootDir>/__tests__/support/global-teardown.mjs',
  // v8 coverage walks every script a worker has loaded, for every test file, and in ESM mode a
  // worker keeps each file's modules: a worker past this much memory is replaced by a fresh one,
  // which keeps that walk short (about 43 s against 49 s for the suite here).
  workerIdleMemoryLimit: '100MB',
  collectCoverage: true,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageProvider: 'v8',
  coverageReporters: ['text-summary', 'json-summary'],
  // Fails the run when the tests leave more than a tenth of src/'s lines unrun.
  coverageThreshold: { global: { lines: 90 } }
}
