/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  testTimeout: 60000,
  // Two cores here and in CI: the CDK suites are CPU-bound synthesis, so use both.
  maxWorkers: 2,
};
