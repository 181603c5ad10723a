import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { mockClient } from 'aws-sdk-client-mock';
import type { ResponseSummary } from '../../lambdas/isolation/respond';
import { busyWorld, INSTANCE_ID, installWorld, ISOLATION_SG, type Call } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';
import { startLocalTable, type LocalTable } from '../support/dynalite';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

/**
 * Idempotency through the real handler path: the isolate-instance handler module as deployed
 * (env-configured guardrails, breaker and Powertools idempotency on a dynalite DynamoDB), with
 * only the EC2 world, SSM, SNS and the evidence store faked.
 */

const mockEvidence = new RecordingEvidenceWriter();
jest.mock('../../lambdas/evidence/from-env', () => ({ evidenceFromEnv: () => mockEvidence }));

const HOME = '111111111111';
const TOPIC = `arn:aws:sns:eu-west-1:${HOME}:cordon-notifications`;
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);

type Handler = typeof import('../../lambdas/handlers/isolate-instance').handler;
let handler: Handler;
let local: LocalTable;

beforeAll(async () => {
  local = await startLocalTable('cordon-guardrails-handler');
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'dummy',
    AWS_SECRET_ACCESS_KEY: 'dummy',
    AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
    EVIDENCE_BUCKET: 'cordon-evidence',
    SIGNING_KEY_ID: 'alias/cordon',
    HEADS_TABLE: 'cordon-heads',
    MODE_PARAMETER: '/cordon/mode',
    MODE_CACHE_SECONDS: '0',
    GUARDRAILS_TABLE: local.tableName,
    BREAKER_MAX_CONTAINMENTS: '50',
    NOTIFY_TOPIC_ARN: TOPIC,
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require('../../lambdas/handlers/isolate-instance') as typeof import('../../lambdas/handlers/isolate-instance')).handler;
});
afterAll(() => local.stop());

let requests = 0;
const context = () => ({
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:cordon-isolate`,
  awsRequestId: `req-${(requests += 1)}`,
  getRemainingTimeInMillis: () => 120_000,
});

/** The real Spambot finding, on our instance, with a finding id per test. */
const finding = (id: string, update: { updatedAt?: string; count?: number; eventId?: string } = {}) => {
  const event = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
    id: string;
    detail: {
      id: string;
      accountId: string;
      region: string;
      arn: string;
      updatedAt: string;
      resource: { instanceDetails: { instanceId: string } };
      service: { count: number; additionalInfo: Record<string, unknown> };
    };
  };
  event.detail.id = id;
  event.detail.accountId = HOME;
  event.detail.region = 'eu-west-1';
  event.detail.arn = '';
  event.detail.resource.instanceDetails.instanceId = INSTANCE_ID;
  event.detail.service.additionalInfo.sample = false;
  if (update.updatedAt) event.detail.updatedAt = update.updatedAt;
  if (update.count) event.detail.service.count = update.count;
  if (update.eventId) event.id = update.eventId;
  return event;
};

const mutating = (calls: readonly Call[]) => calls.filter((c) => !/^(Describe|Get|AssumeRole)/.test(c.command));
const cuts = (calls: readonly Call[]) =>
  calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute' && JSON.stringify(c.input.Groups) === JSON.stringify([ISOLATION_SG]));

beforeEach(() => {
  ssm.reset();
  sns.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'enforce' } });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('idempotency through the isolate-instance handler (dynalite)', () => {
  it('contains once when the same event arrives three times and when GuardDuty updates the finding', async () => {
    const { calls } = installWorld(busyWorld());
    const event = finding('f-three-times');
    const first = await handler(event, context());
    const made = mutating(calls).length;

    const second = await handler(event, context());
    const third = await handler(event, context());
    // GuardDuty updates the same finding: new updatedAt and count, new event id.
    const updated = await handler(finding('f-three-times', { updatedAt: '2030-01-01T00:00:00.000Z', count: 9, eventId: 'evt-update' }), context());

    expect(first.decision).toBe('act');
    expect(made).toBeGreaterThan(10);
    expect(cuts(calls)).toHaveLength(3); // one cut per ENI, once
    expect(mutating(calls)).toHaveLength(made); // nothing after the first delivery
    for (const again of [second, third, updated]) expect(again).toEqual<ResponseSummary>(first);

    const incident = mockEvidence.records.filter((r) => r.incidentId === first.incidentId);
    expect(incident.filter((r) => r.kind === 'intent')).toHaveLength(1);
    const replays = incident.filter((r) => r.action === 'skip:already-handled');
    expect(replays).toHaveLength(3);
    expect(replays[0]?.reason).toMatch(/^already handled, first at \d{4}-\d\d-\d\dT.*Z \(request req-\d+\): act$/);
    expect(replays[2]?.trigger).toEqual({ source: 'aws.guardduty', eventId: 'evt-update' });
    // One notification: for the decision, not for the duplicates.
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('contains once when three copies arrive at the same time; the ones that lost retry into the first result', async () => {
    const { calls } = installWorld(busyWorld());
    const event = finding('f-concurrent');
    const settled = await Promise.allSettled([handler(event, context()), handler(event, context()), handler(event, context())]);

    const done = settled.filter((s): s is PromiseFulfilledResult<ResponseSummary> => s.status === 'fulfilled');
    const busy = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(done.length).toBeGreaterThanOrEqual(1);
    for (const b of busy) expect(b.reason).toBeInstanceOf(IdempotencyAlreadyInProgressError);
    expect(cuts(calls)).toHaveLength(3);
    const acted = done.map((d) => d.value).filter((v) => v.decision === 'act');
    expect(new Set(acted.map((a) => a.incidentId)).size).toBe(1);

    // Lambda retries the invocations that failed: they get the first result, and act on nothing.
    const made = mutating(calls).length;
    const retried = await handler(event, context());
    expect(retried).toEqual(acted[0]);
    expect(mutating(calls)).toHaveLength(made);
  });

  it('records a dry-run once, then contains the same finding once the mode is enforce', async () => {
    const { calls } = installWorld(busyWorld());
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'dry-run' } });
    const event = finding('f-dry-then-enforce');
    const dry = await handler(event, context());
    const dryAgain = await handler(event, context());
    expect(dry.decision).toBe('dry-run');
    expect(dryAgain).toEqual(dry);
    expect(mutating(calls)).toEqual([]);

    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'enforce' } });
    const enforced = await handler(event, context());
    const enforcedAgain = await handler(event, context());
    expect(enforced.decision).toBe('act');
    expect(enforcedAgain).toEqual(enforced);
    expect(cuts(calls)).toHaveLength(3);
  });

  it('escalates every delivery while the mode is unreadable, acting on nothing, and acts once it is readable', async () => {
    const { calls } = installWorld(busyWorld());
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const event = finding('f-unreadable');
    const a = await handler(event, context());
    const b = await handler(event, context());
    expect([a.decision, a.reason, b.decision, b.reason]).toEqual(['escalate', 'mode-unreadable', 'escalate', 'mode-unreadable']);
    expect(mutating(calls)).toEqual([]);

    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'enforce' } });
    expect((await handler(event, context())).decision).toBe('act');
  });

  it('keys a manual request on its content: the same request twice isolates once', async () => {
    const { calls } = installWorld(busyWorld());
    const request = { action: 'isolate', instanceId: INSTANCE_ID, reason: 'miner', requestedBy: 'alice', ticket: 'IR-7' };
    const first = await handler(request, context());
    const made = mutating(calls).length;
    const again = await handler({ ...request }, context());
    expect(first.decision).toBe('act');
    expect(again).toEqual(first);
    expect(mutating(calls)).toHaveLength(made);
  });

  it('answers the heartbeat with the mode, evidencing nothing', async () => {
    const before = mockEvidence.records.length;
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'dry-run' } });
    await expect(handler({ cordon: 'heartbeat' }, context())).resolves.toMatchObject({ decision: 'skip', reason: 'heartbeat' });
    expect(mockEvidence.records).toHaveLength(before);
  });
});
