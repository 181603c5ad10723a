import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { respond, type RespondLogger } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig, type ClientsFor } from '../../lambdas/isolation/types';
import { findingsFor, securityHubFindingsOf } from '../../lambdas/notify/findings';
import { AwsNotifier, NotificationError, type IncidentDecision } from '../../lambdas/notify/notifier';
import { noteText, workflowStatusOf } from '../../lambdas/notify/render';
import { busyWorld, INSTANCE_ID, installWorld } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';
import { authorizeAs } from '../support/authz';

const sns = mockClient(SNSClient);
const hub = mockClient(SecurityHubClient);
const TOPIC = 'arn:aws:sns:ca-central-1:303697492861:cordon-notifications';
/** Back-off waits the notifier asked for (none really waited). */
let waits: number[] = [];
const notifier = () =>
  new AwsNotifier({
    sns: new SNSClient({ region: 'ca-central-1' }),
    topicArn: TOPIC,
    securityHubFor: (region) => new SecurityHubClient({ region }),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });

beforeEach(() => {
  waits = [];
  sns.reset();
  hub.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
});

const GD_ARN = 'arn:aws:guardduty:ca-central-1:303697492861:detector/e8b2d11eace51dd009880267917bb379/finding/7ebc050b71c556086b524045c9067feb';
const GD_PRODUCT = 'arn:aws:securityhub:ca-central-1::product/aws/guardduty';

const decision = (over: Partial<IncidentDecision> = {}): IncidentDecision => ({
  responder: 'isolate-instance',
  incidentId: 'inc-0123456789abcdef01234567',
  decision: 'act',
  mode: 'enforce',
  trigger: { source: 'aws.guardduty', findingId: '7ebc050b71c556086b524045c9067feb', findingType: 'Backdoor:EC2/Spambot', severity: 5, eventId: 'evt-1' },
  target: { type: 'ec2-instance', id: 'i-0123456789abcdef0', account: '303697492861', region: 'ca-central-1' },
  steps: [
    { id: 'protect', action: 'ec2:ModifyInstanceAttribute', status: 'succeeded' },
    { id: 'cut:eni-0aaa', action: 'ec2:ModifyNetworkInterfaceAttribute', status: 'failed', error: 'AccessDenied' },
  ],
  evidenceKeys: ['records/inc-0123456789abcdef01234567/00000000.json', 'records/inc-0123456789abcdef01234567/00000001.json'],
  findings: [{ id: GD_ARN, productArn: GD_PRODUCT, region: 'ca-central-1', findingId: '7ebc050b71c556086b524045c9067feb' }],
  ...over,
});

describe('notifier', () => {
  beforeAll(() => authorizeAs('isolation', 'credentials'));
  it('publishes one message per decision, rendered per protocol, with the exact SNS input', async () => {
    await notifier().notify(decision());

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      Subject: 'Cordon act: isolate-instance i-0123456789abcdef0',
      MessageStructure: 'json',
      Message: expect.any(String),
      MessageAttributes: {
        decision: { DataType: 'String', StringValue: 'act' },
        responder: { DataType: 'String', StringValue: 'isolate-instance' },
        incidentId: { DataType: 'String', StringValue: 'inc-0123456789abcdef01234567' },
      },
    });
    const message = JSON.parse(input?.Message ?? '{}') as { default: string; email: string; https: string };
    expect(JSON.parse(message.default)).toEqual({
      kind: 'cordon-decision',
      responder: 'isolate-instance',
      incidentId: 'inc-0123456789abcdef01234567',
      decision: 'act',
      mode: 'enforce',
      trigger: decision().trigger,
      target: decision().target,
      steps: decision().steps,
      evidenceKeys: decision().evidenceKeys,
      workflowStatus: 'NOTIFIED',
    });
    expect(message.email).toBe(
      [
        'Decision: act',
        'Responder: isolate-instance (mode enforce)',
        'Target: ec2-instance i-0123456789abcdef0 in 303697492861/ca-central-1',
        'Trigger: aws.guardduty Backdoor:EC2/Spambot finding 7ebc050b71c556086b524045c9067feb severity 5',
        'Incident: inc-0123456789abcdef01234567',
        'Steps: 1 of 2 steps succeeded, 1 failed',
        '  succeeded ec2:ModifyInstanceAttribute protect',
        '  failed    ec2:ModifyNetworkInterfaceAttribute cut:eni-0aaa: AccessDenied',
        'Evidence (2 records):',
        '  records/inc-0123456789abcdef01234567/00000000.json',
        '  records/inc-0123456789abcdef01234567/00000001.json',
      ].join('\n'),
    );
    expect(JSON.parse(message.https)).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { title: 'Cordon act: isolate-instance i-0123456789abcdef0', description: expect.stringContaining('failed: cut:eni-0aaa') },
    });
  });

  it('writes a partial failure back to Security Hub as NOTIFIED with a note naming the decision and the evidence', async () => {
    await notifier().notify(decision());

    expect(hub).toHaveReceivedCommandTimes(BatchUpdateFindingsCommand, 1);
    expect(hub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input).toEqual({
      FindingIdentifiers: [{ Id: GD_ARN, ProductArn: GD_PRODUCT }],
      Workflow: { Status: 'NOTIFIED' },
      Note: {
        Text: 'cordon isolate-instance: act; 1 of 2 steps succeeded, 1 failed; incident inc-0123456789abcdef01234567; evidence: records/inc-0123456789abcdef01234567/00000000.json, records/inc-0123456789abcdef01234567/00000001.json',
        UpdatedBy: 'cordon',
      },
    });
  });

  it('marks a contained finding NOTIFIED (still to investigate), RESOLVED only when configured and every step succeeded', () => {
    const ok = decision({ steps: [{ id: 'a', action: 'x', status: 'succeeded' }] });
    expect(workflowStatusOf(ok)).toBe('NOTIFIED');
    expect(workflowStatusOf(ok, true)).toBe('RESOLVED');
    expect(workflowStatusOf({ ...ok, decision: 'dry-run' }, true)).toBe('NOTIFIED');
    expect(workflowStatusOf({ ...ok, decision: 'escalate', steps: [] }, true)).toBe('NOTIFIED');
    expect(workflowStatusOf({ ...ok, steps: [] }, true)).toBe('NOTIFIED');
    expect(workflowStatusOf({ ...ok, steps: [{ id: 'a', action: 'x', status: 'failed' }] }, true)).toBe('NOTIFIED');
  });

  it('keeps the note within 512 characters however many records there are', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `records/inc-0123456789abcdef01234567/${String(i).padStart(8, '0')}.json`);
    const text = noteText(decision({ evidenceKeys: keys }));
    expect(text.length).toBeLessThanOrEqual(512);
    expect(text).toMatch(/evidence: records\/inc-0123456789abcdef01234567\/00000000\.json, .* \+\d+ more$/);
  });

  it('reports every failed part: SNS and unprocessed findings', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }));
    hub.on(BatchUpdateFindingsCommand).resolves({
      ProcessedFindings: [],
      UnprocessedFindings: [{ FindingIdentifier: { Id: GD_ARN, ProductArn: GD_PRODUCT }, ErrorCode: 'FindingNotFound', ErrorMessage: 'not found' }],
    });
    const error = await notifier().notify(decision()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failures).toEqual([
      'sns publish: KMSDisabledException: KMS key disabled',
      `security hub ca-central-1: finding ${GD_ARN} not updated (FindingNotFound: not found) after 4 attempts`,
    ]);
    expect(hub).toHaveReceivedCommandTimes(BatchUpdateFindingsCommand, 4);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('retries the write-back while the finding is not yet in Security Hub, and lands it once imported', async () => {
    hub
      .on(BatchUpdateFindingsCommand)
      .resolvesOnce({ UnprocessedFindings: [{ FindingIdentifier: { Id: GD_ARN, ProductArn: GD_PRODUCT }, ErrorCode: 'FindingNotFound', ErrorMessage: 'not found' }] })
      .resolvesOnce({ UnprocessedFindings: [{ FindingIdentifier: { Id: GD_ARN, ProductArn: GD_PRODUCT }, ErrorCode: 'ConcurrentUpdateError', ErrorMessage: 'busy' }] })
      .resolves({ ProcessedFindings: [{ Id: GD_ARN, ProductArn: GD_PRODUCT }], UnprocessedFindings: [] });
    await notifier().notify(decision());
    expect(hub).toHaveReceivedCommandTimes(BatchUpdateFindingsCommand, 3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('does not retry what another attempt cannot fix (invalid input)', async () => {
    hub.on(BatchUpdateFindingsCommand).resolves({
      UnprocessedFindings: [{ FindingIdentifier: { Id: GD_ARN, ProductArn: GD_PRODUCT }, ErrorCode: 'InvalidInput', ErrorMessage: 'bad note' }],
    });
    await expect(notifier().notify(decision())).rejects.toThrow(NotificationError);
    expect(hub).toHaveReceivedCommandTimes(BatchUpdateFindingsCommand, 1);
    expect(waits).toEqual([]);
  });
});

describe('security hub finding identifiers', () => {
  it('names the GuardDuty finding as Security Hub imports it', () => {
    const event = fixture('guardduty-ec2-backdoor-spambot-1.json');
    expect(securityHubFindingsOf(event)).toEqual([{ id: GD_ARN, productArn: GD_PRODUCT, region: 'ca-central-1', findingId: '7ebc050b71c556086b524045c9067feb' }]);
    // Without the ARN, it is built from account, region and detector.
    const bare = copyOf(event) as { detail: { arn: string } };
    bare.detail.arn = '';
    expect(securityHubFindingsOf(bare)).toEqual(securityHubFindingsOf(event));
  });

  it('takes every finding of a Security Hub custom action, as sent', () => {
    const refs = securityHubFindingsOf(fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json'));
    expect(refs).toEqual([
      {
        id: 'arn:aws:guardduty:us-east-1:644160558196:detector/06b01209ca77b0865dd973df0355fc1e/finding/4cb5a629e9757b650d102f683cdbcd7b',
        productArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
        region: 'us-east-1',
        findingId: 'arn:aws:guardduty:us-east-1:644160558196:detector/06b01209ca77b0865dd973df0355fc1e/finding/4cb5a629e9757b650d102f683cdbcd7b',
      },
    ]);
    expect(findingsFor(refs, 'other')).toEqual([]);
    expect(findingsFor(refs, undefined)).toEqual(refs);
  });

  it('has none for a manual request', () => {
    expect(securityHubFindingsOf({ action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'r', requestedBy: 'a' })).toEqual([]);
  });
});

describe('notification from the isolation responder', () => {
  beforeAll(() => authorizeAs('isolation'));
  const HOME = '303697492861';
  const clientsFor: ClientsFor = (access) => ({
    ec2: new EC2Client({ region: access.region }),
    autoScaling: new AutoScalingClient({ region: access.region }),
    elbv2: new ElasticLoadBalancingV2Client({ region: access.region }),
    elb: new ElasticLoadBalancingClient({ region: access.region }),
  });
  const errors: string[] = [];
  const logger: RespondLogger = { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
  const event = () => {
    const e = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
      detail: { resource: { instanceDetails: { instanceId: string } }; service: { additionalInfo: Record<string, unknown> } };
    };
    e.detail.resource.instanceDetails.instanceId = INSTANCE_ID;
    e.detail.service.additionalInfo.sample = false;
    return e;
  };
  const deps = (evidence: RecordingEvidenceWriter) => ({
    evidence,
    guardrails: fixedGuardrails('enforce'),
    clientsFor,
    sts: new STSClient({ region: 'ca-central-1' }),
    homeAccount: HOME,
    homeRegion: 'ca-central-1',
    config: defaultIsolationConfig,
    actor: { arn: `arn:aws:lambda:ca-central-1:${HOME}:function:cordon-isolate`, requestId: 'req-1' },
    reader: evidence,
    notifier: notifier(),
    logger,
  });

  it('announces the containment once, after its evidence, and marks the finding NOTIFIED', async () => {
    installWorld(busyWorld());
    const evidence = new RecordingEvidenceWriter();
    const summary = await respond(event(), deps(evidence));

    expect(summary.decision).toBe('act');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as { default: string };
    expect(JSON.parse(message.default)).toMatchObject({ decision: 'act', incidentId: summary.incidentId, evidenceKeys: summary.evidenceKeys });
    expect(hub).toHaveReceivedCommandWith(BatchUpdateFindingsCommand, {
      FindingIdentifiers: [{ Id: GD_ARN, ProductArn: GD_PRODUCT }],
      Workflow: { Status: 'NOTIFIED' },
    });
  });

  it('evidences a failed notification as an error record and still returns the containment', async () => {
    installWorld(busyWorld());
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    const evidence = new RecordingEvidenceWriter();
    const summary = await respond(event(), deps(evidence));

    expect(summary.decision).toBe('act');
    expect(summary.steps.every((s) => s.status === 'succeeded')).toBe(true);
    const last = evidence.records.at(-1);
    expect(last).toMatchObject({
      kind: 'error',
      action: 'error:notify',
      reason: 'notification of the act decision failed, the decision stands: sns publish: ThrottledException: Rate exceeded',
      detail: { failures: ['sns publish: ThrottledException: Rate exceeded'] },
    });
    expect(summary.evidenceKeys.at(-1)).toBe(last?.key);
    expect(errors).toContain('notification failed: the decision stands');
  });
});
