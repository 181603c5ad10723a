import { matchesEventPattern } from '../../lib/event-pattern';
import { copyOf, fixture } from '../support/fixtures';
import { templates } from './app';

type CfnResource = { Type: string; Properties: Record<string, unknown> };

/** Intrinsics as concrete strings: `{Ref: X}` -> `X`, GetAtt -> `arn:X`, ImportValue -> `import:NAME`, Join -> joined. */
const concrete = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(concrete);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) return String(o.Ref);
    if ('Fn::GetAtt' in o) return `arn:${(o['Fn::GetAtt'] as string[])[0]}`;
    if ('Fn::ImportValue' in o) return `import:${String(o['Fn::ImportValue'])}`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(concrete(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, concrete(v)]));
  }
  return value;
};

const { response } = templates();
const resources = response.toJSON().Resources as Record<string, CfnResource>;
const tamperRules = Object.entries(resources).filter(
  ([, r]) => r.Type === 'AWS::Events::Rule' && String(r.Properties.Description).startsWith('Cordon tamper'),
);
const idOf = (prefix: string, type: string) => Object.keys(resources).find((id) => id.startsWith(prefix) && resources[id]!.Type === type)!;

/** Which tamper rules (by logical id prefix) would receive the event. */
const receivedBy = (event: unknown): string[] =>
  tamperRules
    .filter(([, r]) => matchesEventPattern(concrete(r.Properties.EventPattern), event))
    .map(([id]) => id.replace(/[0-9A-F]{8}$/, '').replace(/^Tamper/, ''))
    .sort();

const apiCall = (source: string, eventName: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: '6f5c1a3e-0b7d-4a8e-9c1f-2d3e4f5a6b7c',
  'detail-type': 'AWS API Call via CloudTrail',
  source,
  account: '111122223333',
  time: '2026-11-30T10:00:00Z',
  region: 'eu-central-1',
  resources: [],
  detail: {
    eventVersion: '1.08',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Admin/mallory' },
    eventSource: `${source.slice(4)}.amazonaws.com`,
    eventName,
    awsRegion: 'eu-central-1',
    ...detail,
  },
});

describe('tamper alarms on Cordon itself', () => {
  it('has one rule per kind of change, each to the incident topic and the tamper handler', () => {
    expect(tamperRules.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      ['Detectors', 'Functions', 'KillSwitch', 'KillSwitchBatchDelete', 'Policies', 'Roles', 'Rules', 'StateMachines', 'Trail', 'VaultBucket', 'VaultKeys', 'WriterPath'].map(
        (n) => `Tamper${n}`,
      ),
    );
    const handler = idOf('TamperHandler', 'AWS::Lambda::Function');
    for (const [, rule] of tamperRules) {
      const targets = rule.Properties.Targets as { Arn: unknown }[];
      expect(targets.map((t) => t.Arn)).toEqual([{ Ref: expect.stringMatching(/^NotificationsTopic/) }, { 'Fn::GetAtt': [handler, 'Arn'] }]);
      expect((rule.Properties.EventPattern as Record<string, unknown>)['detail-type']).toEqual(['AWS API Call via CloudTrail']);
    }
  });

  it('runs the handler as an evidence writer', () => {
    const role = resources[idOf('TamperHandlerRole', 'AWS::IAM::Role')]!;
    expect(role.Properties.Path).toBe('/cordon/evidence-writer/');
  });

  it('fires on a change to the kill switch, and not on another parameter', () => {
    const put = apiCall('aws.ssm', 'PutParameter', { requestParameters: { name: '/cordon/mode', type: 'String', overwrite: true } });
    expect(receivedBy(put)).toEqual(['KillSwitch']);
    expect(receivedBy(apiCall('aws.ssm', 'DeleteParameters', { requestParameters: { names: ['/app/x', '/cordon/mode'] } }))).toEqual(['KillSwitchBatchDelete']);
    expect(receivedBy(apiCall('aws.ssm', 'PutParameter', { requestParameters: { name: '/app/feature' } }))).toEqual([]);
  });

  it('fires on new code, configuration or concurrency of each Cordon function, by name or ARN', () => {
    for (const prefix of ['IsolateInstance', 'RevokeCredentials', 'Checkpoint', 'TamperHandler']) {
      const fn = idOf(prefix, 'AWS::Lambda::Function');
      expect(receivedBy(apiCall('aws.lambda', 'UpdateFunctionCode20150331v2', { requestParameters: { functionName: fn } }))).toEqual(['Functions']);
      expect(receivedBy(apiCall('aws.lambda', 'PutFunctionConcurrency20171031', { requestParameters: { functionName: `arn:${fn}` } }))).toEqual(['Functions']);
    }
    const config = apiCall('aws.lambda', 'UpdateFunctionConfiguration20150331v2', { requestParameters: { functionName: idOf('RevokeCredentials', 'AWS::Lambda::Function') } });
    expect(receivedBy(config)).toEqual(['Functions']);
    expect(receivedBy(apiCall('aws.lambda', 'UpdateFunctionCode20150331v2', { requestParameters: { functionName: 'payments-api' } }))).toEqual([]);
  });

  it('fires on a change to the session revoker state machine, not to another state machine', () => {
    const machine = idOf('SessionRevokerStateMachine', 'AWS::StepFunctions::StateMachine');
    const pattern = tamperRules.find(([id]) => id.startsWith('TamperStateMachines'))![1].Properties.EventPattern as { detail: { requestParameters: { stateMachineArn: unknown[] } } };
    const [arn] = concrete(pattern.detail.requestParameters.stateMachineArn) as string[];
    // The state machine's Ref is its ARN, which CloudTrail records in requestParameters.
    expect(arn).toBe(machine);
    for (const eventName of ['UpdateStateMachine', 'DeleteStateMachine']) {
      expect(receivedBy(apiCall('aws.states', eventName, { requestParameters: { stateMachineArn: arn } }))).toEqual(['StateMachines']);
    }
    expect(receivedBy(apiCall('aws.states', 'UpdateStateMachine', { requestParameters: { stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:payments' } }))).toEqual([]);
  });

  it('fires on a Cordon role’s policies or trust, not on another role (real CloudTrail event)', () => {
    const real = fixture('cloudtrail-api-call-iam-deleterolepermissionsboundary-1.json');
    expect(receivedBy(real)).toEqual([]);
    const onCordon = copyOf(real) as { detail: { requestParameters: { roleName: string } } };
    onCordon.detail.requestParameters.roleName = idOf('IsolateInstanceRole', 'AWS::IAM::Role');
    expect(receivedBy(onCordon)).toEqual(['Roles']);
    const attach = apiCall('aws.iam', 'AttachRolePolicy', {
      requestParameters: { roleName: idOf('RevokeCredentialsRole', 'AWS::IAM::Role'), policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    });
    expect(receivedBy(attach)).toEqual(['Roles']);
    const version = apiCall('aws.iam', 'CreatePolicyVersion', { requestParameters: { policyArn: idOf('IsolationPolicy', 'AWS::IAM::ManagedPolicy'), setAsDefault: true } });
    expect(receivedBy(version)).toEqual(['Policies']);
    expect(receivedBy(apiCall('aws.iam', 'CreateRole', { requestParameters: { roleName: 'Forger', path: '/cordon/evidence-writer/' } }))).toEqual(['WriterPath']);
    expect(receivedBy(apiCall('aws.iam', 'CreateRole', { requestParameters: { roleName: 'App', path: '/' } }))).toEqual([]);
  });

  it('fires on disabling, deleting or re-policying a vault key, and on the vault bucket policy', () => {
    const pattern = tamperRules.find(([id]) => id.startsWith('TamperVaultKeys'))![1].Properties.EventPattern as { detail: { resources: { ARN: unknown[] } } };
    const keys = concrete(pattern.detail.resources.ARN) as string[];
    expect(keys).toEqual([expect.stringMatching(/^import:CordonEvidence:ExportsOutputFnGetAttSigningKey/), expect.stringMatching(/^import:CordonEvidence:ExportsOutputFnGetAttDataKey/)]);
    for (const eventName of ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy']) {
      for (const key of keys) expect(receivedBy(apiCall('aws.kms', eventName, { resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: key }] }))).toEqual(['VaultKeys']);
    }
    expect(receivedBy(apiCall('aws.kms', 'DisableKey', { resources: [{ ARN: 'arn:aws:kms:eu-central-1:111122223333:key/other' }] }))).toEqual([]);
    const bucketPattern = tamperRules.find(([id]) => id.startsWith('TamperVaultBucket'))![1].Properties.EventPattern as { detail: { requestParameters: { bucketName: unknown[] } } };
    const [bucket] = concrete(bucketPattern.detail.requestParameters.bucketName) as string[];
    expect(bucket).toMatch(/^import:CordonEvidence:ExportsOutputRefEvidenceBucket/);
    expect(receivedBy(apiCall('aws.s3', 'PutBucketPolicy', { requestParameters: { bucketName: bucket, bucketPolicy: {} } }))).toEqual(['VaultBucket']);
    expect(receivedBy(fixture('cloudtrail-api-call-s3-createbucket-root-1.json'))).toEqual([]);
  });

  it('fires on stopping, deleting or changing a trail, and on deleting or disabling GuardDuty or Security Hub (real CloudTrail event)', () => {
    for (const eventName of ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors']) {
      expect(receivedBy(apiCall('aws.cloudtrail', eventName, { requestParameters: { name: 'cordon-trail' } }))).toEqual(['Trail']);
    }
    const samples = fixture('cloudtrail-api-call-guardduty-createsamplefindings-1.json');
    expect(receivedBy(samples)).toEqual([]);
    const deleted = copyOf(samples) as { detail: { eventName: string } };
    deleted.detail.eventName = 'DeleteDetector';
    expect(receivedBy(deleted)).toEqual(['Detectors']);
    expect(receivedBy(apiCall('aws.securityhub', 'DisableSecurityHub', { requestParameters: {} }))).toEqual(['Detectors']);
  });

  it('fires when a Cordon rule is disabled, the tamper rules included', () => {
    expect(receivedBy(apiCall('aws.events', 'DisableRule', { requestParameters: { name: 'CordonResponse-TamperKillSwitch1A2B3C4D-XYZ' } }))).toEqual(['Rules']);
    expect(receivedBy(apiCall('aws.events', 'DisableRule', { requestParameters: { name: 'billing-nightly' } }))).toEqual([]);
  });
});
