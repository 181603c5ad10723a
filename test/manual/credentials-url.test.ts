import 'aws-sdk-client-mock-jest';
import { IAMClient, ListUsersCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { unauthenticatedReason } from '../../lambdas/manual/entry';
import { CallLog, givenUser, HOME, RecordingEvidence } from '../credentials/support';
import { DOCUMENTED_CALLER, urlEventWith } from './support';

import { authorizeAs } from '../support/authz';

authorizeAs('credentials');

/**
 * The credential function behind its manual request URL: pattern revocation, restore and force
 * need the caller AWS authenticated (the URL's request context); automation may still revoke a key
 * by direct invocation, evidenced as such.
 */

const mockStore = new RecordingEvidence(new CallLog());
jest.mock('../../lambdas/evidence/from-env', () => ({ evidenceFromEnv: () => mockStore }));
jest.mock('../../lambdas/evidence/reader-from-env', () => ({ evidenceReaderFromEnv: () => mockStore }));
jest.mock('../../lambdas/guardrails/from-env', () => ({ guardrailsFromEnv: () => ({ mode: async () => 'enforce' }) }));

Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  EVIDENCE_BUCKET: 'cordon-evidence',
  SIGNING_KEY_ID: `arn:aws:kms:us-east-1:${HOME}:key/1234`,
  HEADS_TABLE: 'cordon-heads',
  MODE_PARAMETER: '/cordon/mode',
  PROTECTED_TAG: 'cordon:protected=true',
  SESSION_REVOKER_ARN: `arn:aws:states:us-east-1:${HOME}:stateMachine:SessionRevoker1234`,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});

const iam = mockClient(IAMClient);
const sfn = mockClient(SFNClient);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require('../../lambdas/handlers/revoke-credentials') as typeof import('../../lambdas/handlers/revoke-credentials');

const FUNCTION = `arn:aws:lambda:us-east-1:${HOME}:function:cordon-revoke-credentials`;
const PATTERN = { action: 'revoke', pattern: { pathPrefix: '/ci/' }, preview: true, reason: 'leaked ci keys', requestedBy: 'alice (typed)' };

beforeEach(() => {
  iam.reset();
  sfn.reset();
  mockStore.records.splice(0);
});

describe('credentials through the manual request URL', () => {
  it('previews a pattern for the authenticated caller, who is in every record', async () => {
    iam.on(ListUsersCommand, { PathPrefix: '/ci/' }).resolves({ Users: [], IsTruncated: false });
    const response = await handler(urlEventWith(PATTERN), { invokedFunctionArn: FUNCTION, awsRequestId: 'req-url-1' });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ decision: 'preview', digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(iam).toHaveReceivedCommandWith(ListUsersCommand, { PathPrefix: '/ci/' });
    expect(mockStore.records.length).toBeGreaterThan(0);
    for (const r of mockStore.records) {
      expect(r.input.actor).toEqual({ arn: FUNCTION, requestId: 'req-url-1', requestedBy: 'alice (typed)', caller: DOCUMENTED_CALLER });
    }
  });

  it.each([
    ['pattern revocation', PATTERN],
    ['restore', { action: 'restore', incidentId: 'inc-0123456789abcdef01234567', reason: 'false positive', requestedBy: 'mallory' }],
    ['force', { action: 'revoke', userName: 'breakglass', force: true, reason: 'leak', requestedBy: 'mallory' }],
  ])('refuses %s by direct invocation: evidenced, no IAM call', async (what, request) => {
    const result = await handler(request, { invokedFunctionArn: FUNCTION, awsRequestId: 'req-direct-1' });
    expect(result).toMatchObject({ decision: 'skip', reason: unauthenticatedReason(what), steps: [] });
    expect(iam.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(mockStore.records).toHaveLength(1);
    expect(mockStore.records[0]?.input).toMatchObject({
      kind: 'skip',
      action: 'skip:unauthenticated',
      reason: unauthenticatedReason(what),
      actor: { arn: FUNCTION, requestId: 'req-direct-1', requestedBy: request.requestedBy, caller: { via: 'direct-invoke' } },
      detail: { request },
    });
  });

  it('keeps the refused restore in the incident it names', async () => {
    const restore = { action: 'restore', incidentId: 'inc-0123456789abcdef01234567', reason: 'false positive', requestedBy: 'mallory' };
    await handler(restore, { invokedFunctionArn: FUNCTION, awsRequestId: 'req-direct-2' });
    expect(mockStore.records.map((r) => r.incidentId)).toEqual(['inc-0123456789abcdef01234567']);
  });

  it('lets automation revoke a key by direct invocation, evidenced as a direct invocation', async () => {
    givenUser(iam, { userName: 'ci-bot', keys: [{ id: 'AKIALEAKED0000000009' }] });
    sfn.on(StartSyncExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ policyName: 'cordon-revoke-sessions', document: '{}' }), executionArn: 'arn:aws:states:us-east-1:1:express:x:y' });
    const request = { action: 'revoke', accessKeyId: 'AKIALEAKED0000000009', userName: 'ci-bot', reason: 'key in a public repo', requestedBy: 'runbook-automation' };
    const result = await handler(request, { invokedFunctionArn: FUNCTION, awsRequestId: 'req-direct-3' });
    expect(result).toMatchObject({ decision: 'act' });
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'ci-bot', AccessKeyId: 'AKIALEAKED0000000009', Status: 'Inactive' });
    for (const r of mockStore.records) {
      expect(r.input.actor).toEqual({ arn: FUNCTION, requestId: 'req-direct-3', requestedBy: 'runbook-automation', caller: { via: 'direct-invoke' } });
    }
  });
});
