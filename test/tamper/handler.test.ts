import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseTamperEvent, respondTamper, tamperIncidentId } from '../../lambdas/tamper/respond';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';
import { authorizeAs } from '../support/authz';

authorizeAs('tamper');

const mockEvidence = new RecordingEvidenceWriter();
jest.mock('../../lambdas/evidence/from-env', () => ({ evidenceFromEnv: () => mockEvidence }));
const sns = mockClient(SNSClient);
const ssm = mockClient(SSMClient);
Object.assign(process.env, {
  AWS_REGION: 'eu-central-1',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-central-1:111122223333:cordon-incidents',
  MODE_PARAMETER: '/cordon/mode',
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require('../../lambdas/handlers/tamper') as typeof import('../../lambdas/handlers/tamper');

const context = { invokedFunctionArn: 'arn:aws:lambda:eu-central-1:111122223333:function:CordonResponse-TamperHandler', awsRequestId: 'req-t1' };

/** The real CloudTrail event (IAM via EventBridge), pointed at a Cordon role. */
const roleTampered = () => {
  const event = copyOf(fixture('cloudtrail-api-call-iam-deleterolepermissionsboundary-1.json')) as {
    id: string;
    detail: { eventName: string; requestParameters: Record<string, unknown> };
  };
  event.detail.eventName = 'PutRolePolicy';
  event.detail.requestParameters = { roleName: 'CordonResponse-IsolateInstanceRole1A2B', policyName: 'x', policyDocument: '{"Statement":[]}' };
  return event;
};

const SSO_ADMIN = 'arn:aws:sts::***:assumed-role/AWSReservedSSO_AdministratorAccess_33d40419b45cd0b4/michael.ullrich@nuvibit.com';

describe('tamper handler', () => {
  beforeEach(() => {
    mockEvidence.records.length = 0;
    sns.reset();
    ssm.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'enforce' } });
  });

  it('writes a signed escalation record of the change, then tells the incident topic who changed what', async () => {
    const result = await handler(roleTampered(), context);
    const incidentId = 'tamper-d0fbe1ff-e281-4f61-ea20-b493c9a47826';
    expect(result).toEqual({
      decision: 'escalate',
      incidentId,
      reason: 'Cordon tamper: PutRolePolicy on CordonResponse-IsolateInstanceRole1A2B',
      evidenceKey: `records/${incidentId}/00000000.json`,
    });
    expect(mockEvidence.records).toEqual([
      {
        incidentId,
        seq: 0,
        key: `records/${incidentId}/00000000.json`,
        kind: 'escalation',
        mode: 'enforce',
        trigger: { source: 'aws.iam', eventId: 'd0fbe1ff-e281-4f61-ea20-b493c9a47826' },
        target: { type: 'cordon-resource', id: 'CordonResponse-IsolateInstanceRole1A2B', account: '***', region: 'us-east-1' },
        action: 'tamper:iam:PutRolePolicy',
        reason: `${SSO_ADMIN} changed Cordon: PutRolePolicy on CordonResponse-IsolateInstanceRole1A2B`,
        actor: { arn: context.invokedFunctionArn, requestId: 'req-t1' },
        detail: {
          principal: SSO_ADMIN,
          sourceIPAddress: '87.245.73.179',
          userAgent: 'AWS Internal',
          eventTime: '2023-02-10T13:38:29Z',
          requestParameters: { roleName: 'CordonResponse-IsolateInstanceRole1A2B', policyName: 'x', policyDocument: '{"Statement":[]}' },
        },
      },
    ]);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/cordon/mode' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:eu-central-1:111122223333:cordon-incidents',
      Subject: 'Cordon tamper: PutRolePolicy on CordonResponse-IsolateInstanceRole1A2B',
      Message: [
        `${SSO_ADMIN} called iam:PutRolePolicy on CordonResponse-IsolateInstanceRole1A2B`,
        'account ***, region us-east-1, at 2023-02-10T13:38:29Z, from 87.245.73.179',
        'CloudTrail event d0fbe1ff-e281-4f61-ea20-b493c9a47826',
        `evidence records/${incidentId}/00000000.json`,
        'If this change was not planned, treat Cordon as compromised: see the README, "Security model".',
      ].join('\n'),
    });
  });

  it('records the kill switch as unreadable, still evidencing and announcing, when the change broke it', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('Parameter /cordon/mode not found.'), { name: 'ParameterNotFound' }));
    const event = roleTampered() as unknown as { detail: { eventName: string; eventSource: string; requestParameters: Record<string, unknown> }; source: string };
    event.source = 'aws.ssm';
    event.detail.eventSource = 'ssm.amazonaws.com';
    event.detail.eventName = 'DeleteParameter';
    event.detail.requestParameters = { name: '/cordon/mode' };
    const result = await handler(event, context);
    expect(result.decision).toBe('escalate');
    expect(mockEvidence.records[0]).toMatchObject({
      mode: 'off',
      action: 'tamper:ssm:DeleteParameter',
      target: { id: '/cordon/mode' },
      detail: { mode: 'kill switch unreadable: ModeUnavailableError: mode parameter /cordon/mode is unreadable (ParameterNotFound: Parameter /cordon/mode not found.): acting on nothing' },
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { Subject: 'Cordon tamper: DeleteParameter on /cordon/mode' });
  });

  it('still announces when the record cannot be written, then fails so the invocation is retried and alarmed', async () => {
    const evidence = new RecordingEvidenceWriter({ fail: () => true });
    const published: string[] = [];
    await expect(
      respondTamper(roleTampered(), { evidence, mode: async () => 'enforce', publish: async (_s, m) => void published.push(m), actor: { arn: 'fn' } }, 'req-2'),
    ).rejects.toThrow('evidence append refused (escalation tamper:iam:PutRolePolicy)');
    expect(published).toHaveLength(1);
    expect(published[0]).toContain('evidence NOT written: Error: evidence append refused (escalation tamper:iam:PutRolePolicy)');
  });

  it('says when AWS refused the call: an attempt is an alarm too', async () => {
    const event = roleTampered() as { detail: Record<string, unknown> };
    event.detail.errorCode = 'AccessDenied';
    await handler(event, context);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { Subject: 'Cordon tamper: PutRolePolicy (refused: AccessDenied) on CordonResponse-IsolateInstanceRole1A2B' });
    expect(mockEvidence.records[0]?.detail).toMatchObject({ errorCode: 'AccessDenied' });
  });

  it('skips, evidenced and without a message, an event that is not a CloudTrail API call', async () => {
    const result = await handler(fixture('cloudtrail-console-signin-root-1.json'), context);
    expect(result).toMatchObject({ decision: 'skip', incidentId: 'tamper-invalid-req-t1' });
    expect(result.reason).toMatch(/^expected an "AWS API Call via CloudTrail" event, /);
    expect(mockEvidence.records).toEqual([
      expect.objectContaining({ kind: 'skip', action: 'skip:invalid-event', incidentId: 'tamper-invalid-req-t1', trigger: { source: 'tamper', eventId: 'req-t1' } }),
    ]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('names the changed thing from the request, else from the resources', () => {
    const kms = parseTamperEvent({
      id: 'e-1',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.kms',
      account: '111122223333',
      region: 'eu-central-1',
      detail: { eventName: 'ScheduleKeyDeletion', eventSource: 'kms.amazonaws.com', requestParameters: { pendingWindowInDays: 7 }, resources: [{ ARN: 'arn:aws:kms:eu-central-1:111122223333:key/k-1' }] },
    });
    expect(kms).toMatchObject({ target: 'arn:aws:kms:eu-central-1:111122223333:key/k-1', principal: 'unknown' });
    expect(tamperIncidentId('a/b:c')).toBe('tamper-a_b_c');
  });
});
