import 'aws-sdk-client-mock-jest';
import { IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { CallLog, derivedGuardDuty, givenUser, HOME, RecordingEvidence } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('credentials');

const mockStore = new RecordingEvidence(new CallLog());
jest.mock('../../lambdas/evidence/from-env', () => ({ evidenceFromEnv: () => mockStore }));
jest.mock('../../lambdas/guardrails/from-env', () => ({ guardrailsFromEnv: () => ({ mode: async () => 'enforce' }) }));

const ENV = {
  AWS_REGION: 'us-east-1',
  EVIDENCE_BUCKET: 'cordon-evidence',
  SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:742968239728:key/1234',
  HEADS_TABLE: 'cordon-heads',
  MODE_PARAMETER: '/cordon/mode',
  PROTECTED_TAG: 'security:keep=yes',
  ALLOWLIST: 'arn:aws:iam::742968239728:role/BreakGlass, ops-admin',
  QUARANTINE_USER: 'true',
  OWN_PRINCIPAL_ARNS: 'arn:aws:iam::742968239728:role/cordon/evidence-writer/RevokeCredentialsRole, arn:aws:iam::742968239728:role/SessionRevokerRole',
  OWN_MEMBER_ROLE_NAMES: 'CordonMemberCredentials,CordonMemberSessionRevoker',
  MINIMUM_SEVERITY: '4',
  SESSION_REVOKER_ARN: 'arn:aws:states:us-east-1:742968239728:stateMachine:SessionRevoker1234',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const iam = mockClient(IAMClient);
const sfn = mockClient(SFNClient);
const original = { ...process.env };

beforeAll(() => Object.assign(process.env, ENV));
afterAll(() => {
  process.env = original;
});

const load = () => import('../../lambdas/handlers/revoke-credentials');

describe('revoke-credentials handler', () => {
  it('reads its configuration from the environment', async () => {
    const { configFromEnv } = await load();
    expect(configFromEnv(ENV).config).toEqual({
      protectedTag: { key: 'security:keep', value: 'yes' },
      allowlist: ['arn:aws:iam::742968239728:role/BreakGlass', 'ops-admin'],
      ownPrincipalArns: ['arn:aws:iam::742968239728:role/cordon/evidence-writer/RevokeCredentialsRole', 'arn:aws:iam::742968239728:role/SessionRevokerRole'],
      ownMemberRoleNames: ['CordonMemberCredentials', 'CordonMemberSessionRevoker'],
      quarantineUser: true,
      roleWideSessions: false,
      cutoffMarginSeconds: 30,
      minimumSeverity: 4,
    });
  });

  it('rejects a bad environment naming each variable', async () => {
    const { configFromEnv } = await load();
    expect(() => configFromEnv({ ...ENV, EVIDENCE_BUCKET: undefined, PROTECTED_TAG: 'nope', QUARANTINE_USER: 'yes' })).toThrow(
      /EVIDENCE_BUCKET: .*PROTECTED_TAG: PROTECTED_TAG must be key=value.*QUARANTINE_USER/,
    );
    // Own principals are exact ARNs: a prefix or a wildcard is refused.
    expect(() => configFromEnv({ ...ENV, OWN_PRINCIPAL_ARNS: 'arn:aws:iam::742968239728:role/Cordon*' })).toThrow(
      'invalid environment: OWN_PRINCIPAL_ARNS: OWN_PRINCIPAL_ARNS must be comma-separated exact IAM role or user ARNs',
    );
  });

  it('revokes a leaked key end to end and returns the JSON summary', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: 'AKIALEAKED0000000001' }] });
    sfn.on(StartSyncExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ policyName: 'cordon-revoke-sessions', document: '{}' }), executionArn: 'arn:aws:states:us-east-1:742968239728:express:x:y' });
    const { handler } = await load();
    const event = derivedGuardDuty({ accessKeyId: 'AKIALEAKED0000000001', principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
    const result = await handler(event, { invokedFunctionArn: `arn:aws:lambda:us-east-1:${HOME}:function:cordon-revoke-credentials`, awsRequestId: 'req-9' });
    expect(result).toMatchObject({ decision: 'act', incidentId: expect.stringMatching(/^inc-/) as unknown });
    expect(result.evidenceKeys.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: 'AKIALEAKED0000000001', Status: 'Inactive' });
    // The function names the principal and the cut-off; the state machine holds the document.
    const start = sfn.commandCalls(StartSyncExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(ENV.SESSION_REVOKER_ARN);
    expect(JSON.parse(start?.input ?? '{}')).toEqual({ account: HOME, principalType: 'user', principalName: 'alice', cutoff: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown });
    // Throttling is retried with client-side rate limiting (adaptive mode).
    const client = iam.commandCalls(UpdateAccessKeyCommand)[0]?.thisValue as IAMClient;
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
    expect(await client.config.maxAttempts()).toBe(6);
  });

  it('skips a GuardDuty finding below the minimum severity, without any IAM call', async () => {
    iam.reset();
    const { handler } = await load();
    const event = derivedGuardDuty({ accessKeyId: 'AKIALEAKED0000000002', principalId: 'AIDAEXAMPLE', userName: 'carol', userType: 'IAMUser' });
    (event.detail as { severity: number; id: string }).severity = 2;
    (event.detail as { id: string }).id = 'low-severity-finding';
    const result = await handler(event, { invokedFunctionArn: `arn:aws:lambda:us-east-1:${HOME}:function:cordon-revoke-credentials`, awsRequestId: 'req-10' });
    expect(result).toMatchObject({ decision: 'skip', reason: 'guardduty finding severity 2 is below the minimum severity 4: not acted on (root findings, Health exposure and quarantine events always are)' });
    expect(iam.calls()).toHaveLength(0);
    expect(mockStore.records[0]?.input.actor).toEqual({ arn: `arn:aws:lambda:us-east-1:${HOME}:function:cordon-revoke-credentials`, requestId: 'req-9' });
  });
});
