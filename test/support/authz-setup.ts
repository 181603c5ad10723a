import { checkTestCalls, FUNCTION_KEY_ID, track } from './authz';

/**
 * Jest setup (jest.config.js setupFilesAfterEnv): every `mockClient(...)` of a test file is tracked,
 * and after each test the commands it received are evaluated against the synthesized policies
 * (test/support/authz.ts). A call AWS would refuse fails the test.
 */
jest.mock('aws-sdk-client-mock', () => {
  const actual = jest.requireActual<typeof import('aws-sdk-client-mock')>('aws-sdk-client-mock');
  return {
    ...actual,
    mockClient: (...args: Parameters<typeof actual.mockClient>) => track(actual.mockClient(...args) as never),
  };
});

// As in Lambda: the function's own credentials come from the environment.
process.env.AWS_ACCESS_KEY_ID = FUNCTION_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY = 'not-a-secret';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;

afterEach(checkTestCalls);
