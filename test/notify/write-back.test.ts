import 'aws-sdk-client-mock-jest';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { runHeartbeat } from '../../lambdas/guardrails/handle';
import { PARKED_INDEX } from '../../lambdas/guardrails/park';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { AwsNotifier, NotificationError, type IncidentDecision } from '../../lambdas/notify/notifier';
import { DynamoWriteBackQueue } from '../../lambdas/notify/write-back';
import { startLocalTable, type LocalTable } from '../support/dynalite';
import { RecordingEvidenceWriter } from '../support/evidence';
import { authorizeAs } from '../support/authz';


authorizeAs('isolation', 'credentials');
/**
 * Write-back that lands: a GuardDuty finding reaches Security Hub minutes after the event, so what
 * is still `FindingNotFound` after the in-invocation attempts waits in the guardrails table (a real
 * DynamoDB: dynalite, with the parked index) and the heartbeat retries it until it lands or an hour
 * has passed, then evidences it.
 */

const hub = mockClient(SecurityHubClient);
const GD_ARN = 'arn:aws:guardduty:ca-central-1:303697492861:detector/e8b2d11eace51dd009880267917bb379/finding/7ebc050b71c556086b524045c9067feb';
const GD_PRODUCT = 'arn:aws:securityhub:ca-central-1::product/aws/guardduty';
const NOT_FOUND = { UnprocessedFindings: [{ FindingIdentifier: { Id: GD_ARN, ProductArn: GD_PRODUCT }, ErrorCode: 'FindingNotFound', ErrorMessage: 'not found' }] };
const T0 = Date.parse('2026-12-01T14:00:00.000Z');

const decision = (incidentId: string): IncidentDecision => ({
  responder: 'isolate-instance',
  incidentId,
  decision: 'act',
  mode: 'enforce',
  trigger: { source: 'aws.guardduty', findingId: '7ebc050b71c556086b524045c9067feb', findingType: 'Backdoor:EC2/Spambot', severity: 5 },
  target: { type: 'ec2-instance', id: 'i-0123456789abcdef0', account: '303697492861', region: 'ca-central-1' },
  steps: [{ id: 'protect', action: 'ec2:ModifyInstanceAttribute', status: 'succeeded' }],
  evidenceKeys: [`records/${incidentId}/00000000.json`],
  findings: [{ id: GD_ARN, productArn: GD_PRODUCT, region: 'ca-central-1', findingId: '7ebc050b71c556086b524045c9067feb' }],
});

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('guardrails-write-back', { name: PARKED_INDEX, partitionKey: 'parkedBy', sortKey: 'parkedAt' });
});
afterAll(async () => table.stop());
beforeEach(() => hub.reset());

const harness = (clock: { now: number }) => {
  const waits: number[] = [];
  const notifier = new AwsNotifier({
    securityHubFor: (region) => new SecurityHubClient({ region }),
    writeBackQueue: new DynamoWriteBackQueue({ ddb: table.ddb, tableName: table.tableName, indexName: PARKED_INDEX }),
    sleep: async (ms) => {
      waits.push(ms);
    },
    now: () => clock.now,
  });
  return { notifier, waits };
};

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('security hub write-back beyond the invocation', () => {
  it('queues a finding not yet imported and lands it at the next heartbeat, with the same status and note', async () => {
    const clock = { now: T0 };
    const { notifier, waits } = harness(clock);
    hub.on(BatchUpdateFindingsCommand).resolves(NOT_FOUND);
    await notifier.notify(decision('inc-00000000000000000000000a'));
    expect(waits).toEqual([1000, 2000, 4000]);
    const first = hub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input;

    // Five minutes later GuardDuty's finding has been imported.
    hub.reset();
    hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [{ Id: GD_ARN, ProductArn: GD_PRODUCT }], UnprocessedFindings: [] });
    clock.now += 5 * 60_000;
    expect(await notifier.flush()).toEqual({ digests: 0, landed: 1, waiting: 0, abandoned: [] });
    expect(hub).toHaveReceivedCommandTimes(BatchUpdateFindingsCommand, 1);
    expect(hub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input).toEqual(first);
    expect(first).toMatchObject({ Workflow: { Status: 'NOTIFIED' }, Note: { UpdatedBy: 'cordon' } });
    // Nothing left to retry.
    hub.resetHistory();
    expect(await notifier.flush()).toEqual({ digests: 0, landed: 0, waiting: 0, abandoned: [] });
    expect(hub).toHaveReceivedCommandTimes(BatchUpdateFindingsCommand, 0);
  });

  it('gives up after an hour and evidences it in the incident through the heartbeat', async () => {
    const clock = { now: T0 + 24 * 3600_000 };
    const { notifier } = harness(clock);
    hub.on(BatchUpdateFindingsCommand).resolves(NOT_FOUND);
    const incidentId = 'inc-00000000000000000000000b';
    await notifier.notify(decision(incidentId));
    const evidence = new RecordingEvidenceWriter();
    const heartbeat = () =>
      runHeartbeat({
        guardrails: fixedGuardrails('enforce'),
        logger,
        responder: 'isolate-instance',
        redriveLimit: 25,
        rerun: async () => ({ decision: 'skip' }),
        notifier,
        evidence,
        actor: { arn: 'arn:aws:lambda:ca-central-1:303697492861:function:cordon-isolate', requestId: 'hb' },
      });
    const beats = [];
    for (let minute = 5; minute <= 60; minute += 5) {
      clock.now += 5 * 60_000;
      beats.push((await heartbeat()).reason);
    }
    expect(beats.slice(0, 11)).toEqual(Array(11).fill('heartbeat; write-backs: 0 landed, 1 waiting, 0 given up'));
    expect(beats[11]).toBe('heartbeat; write-backs: 0 landed, 0 waiting, 1 given up');
    expect(evidence.records.map((r) => [r.incidentId, r.kind, r.action, r.reason])).toEqual([
      [
        incidentId,
        'error',
        'error:notify',
        `Security Hub write-back of the act decision did not land, the decision stands: security hub ca-central-1: finding ${GD_ARN} not updated (FindingNotFound: not found): given up after 16 attempts over 60 minutes`,
      ],
    ]);
    expect((await heartbeat()).reason).toBe('heartbeat');
  });

  it('reports at once what another attempt cannot fix, and queues nothing', async () => {
    const { notifier } = harness({ now: T0 + 48 * 3600_000 });
    hub.on(BatchUpdateFindingsCommand).resolves({
      UnprocessedFindings: [{ FindingIdentifier: { Id: GD_ARN, ProductArn: GD_PRODUCT }, ErrorCode: 'InvalidInput', ErrorMessage: 'bad note' }],
    });
    const error = await notifier.notify(decision('inc-00000000000000000000000c')).catch((e: unknown) => e);
    expect((error as NotificationError).failures).toEqual([`security hub ca-central-1: finding ${GD_ARN} not updated (InvalidInput: bad note)`]);
    expect(await notifier.flush()).toEqual({ digests: 0, landed: 0, waiting: 0, abandoned: [] });
  });
});
