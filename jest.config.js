/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // The authorization hook (test/support/authz.ts): synthesize once, evaluate every mocked call.
  globalSetup: '<rootDir>/test/support/authz-global-setup.ts',
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest', '<rootDir>/test/support/authz-setup.ts'],
  testTimeout: 60000,
  // Two cores here and in CI: the CDK suites are CPU-bound synthesis, so use both.
  maxWorkers: 2,
};
