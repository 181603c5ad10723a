import 'aws-sdk-client-mock-jest';
import { IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { CallLog, derivedGuardDuty, givenUser, HOME, RecordingEvidence } from './support';

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
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const iam = mockClient(IAMClient);
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
      ownRolePrefix: 'Cordon',
      quarantineUser: true,
    });
  });

  it('rejects a bad environment naming each variable', async () => {
    const { configFromEnv } = await load();
    expect(() => configFromEnv({ ...ENV, EVIDENCE_BUCKET: undefined, PROTECTED_TAG: 'nope', QUARANTINE_USER: 'yes' })).toThrow(
      /EVIDENCE_BUCKET: .*PROTECTED_TAG: PROTECTED_TAG must be key=value.*QUARANTINE_USER/,
    );
  });

  it('revokes a leaked key end to end and returns the JSON summary', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: 'AKIALEAKED0000000001' }] });
    const { handler } = await load();
    const event = derivedGuardDuty({ accessKeyId: 'AKIALEAKED0000000001', principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
    const result = await handler(event, { invokedFunctionArn: `arn:aws:lambda:us-east-1:${HOME}:function:cordon-revoke-credentials`, awsRequestId: 'req-9' });
    expect(result).toMatchObject({ decision: 'act', incidentId: expect.stringMatching(/^inc-/) as unknown });
    expect(result.evidenceKeys.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: 'AKIALEAKED0000000001', Status: 'Inactive' });
    expect(mockStore.records[0]?.input.actor).toEqual({ arn: `arn:aws:lambda:us-east-1:${HOME}:function:cordon-revoke-credentials`, requestId: 'req-9' });
  });
});
