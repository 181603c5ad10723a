import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { breakerOpenReason } from '../../lambdas/guardrails/types';
import { AwsNotifier, NotificationError, type IncidentDecision } from '../../lambdas/notify/notifier';
import { DIGEST_PENDING_MAX, DynamoStormDigest, stormSubject, stormText, type StormTally } from '../../lambdas/notify/storm';
import { authorizeAs } from '../support/authz';
import { startLocalTable, type LocalTable } from '../support/dynalite';

/**
 * Storm mode on a real DynamoDB (dynalite): a burst of escalations by the open breaker becomes one
 * "breaker open" message and digests at most every few minutes, never one message per finding.
 */

authorizeAs('isolation', 'credentials');

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:cordon-notifications';
const WINDOW_START = Date.parse('2026-12-01T14:00:00.000Z');
const TYPES = ['Backdoor:EC2/C&CActivity.B!DNS', 'CryptoCurrency:EC2/BitcoinTool.B!DNS', 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'];

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('cordon-guardrails');
});
afterAll(async () => table.stop());
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

const openReason = breakerOpenReason({ admitted: false, count: 10, max: 10, windowMinutes: 60, windowStart: new Date(WINDOW_START).toISOString() });

const escalation = (i: number, over: Partial<IncidentDecision> = {}): IncidentDecision => ({
  responder: i % 4 === 3 ? 'revoke-credentials' : 'isolate-instance',
  incidentId: `inc-${i.toString(16).padStart(24, '0')}`,
  decision: 'escalate',
  reason: i % 4 === 3 ? openReason : 'breaker-open',
  mode: 'enforce',
  trigger: { source: 'aws.guardduty', findingId: `f${i}`, findingType: TYPES[i % 3] as string, severity: 8 },
  target: { type: 'ec2-instance', id: `i-${i.toString(16).padStart(17, '0')}`, account: String(100000000000 + (i % 100)), region: 'us-east-1' },
  steps: [],
  evidenceKeys: [`records/inc-${i}/00000000.json`],
  findings: [],
  ...over,
});

const harness = (clock: { now: number }, tableName = table.tableName) =>
  new AwsNotifier({
    sns: new SNSClient({ region: 'us-east-1' }),
    topicArn: TOPIC,
    storm: new DynamoStormDigest({ ddb: table.ddb, tableName, windowMinutes: 60, maxContainments: 10, digestMinutes: 5, now: () => clock.now }),
  });

const published = () =>
  sns.commandCalls(PublishCommand).map((c) => {
    const input = c.args[0].input;
    const message = JSON.parse(input.Message ?? '{}') as { default: string; email: string };
    return { subject: input.Subject, body: JSON.parse(message.default) as Record<string, unknown> & Partial<StormTally>, email: message.email };
  });

describe('storm digest', () => {
  it('turns 200 escalations from 100 accounts into one "breaker open" message, then one digest after 5 minutes', async () => {
    const clock = { now: WINDOW_START + 10 * 60_000 };
    const notifier = harness(clock);
    for (let i = 0; i < 200; i += 1) {
      clock.now += 100;
      await notifier.notify(escalation(i));
    }
    const first = published();
    expect(first).toHaveLength(1);
    expect(first[0]?.subject).toBe('Cordon storm: breaker open, 1 automatic containment held');
    expect(first[0]?.body).toMatchObject({ kind: 'cordon-storm', escalated: 1, digest: 1, windowStart: '2026-12-01T14:00:00.000Z', maxContainments: 10 });

    // Within the 5 minutes nothing more; at the heartbeat after them, the running digest.
    expect((await notifier.flush()).digests).toBe(0);
    clock.now += 5 * 60_000;
    expect((await notifier.flush()).digests).toBe(1);
    const all = published();
    expect(all).toHaveLength(2);
    const digest = all[1]?.body as StormTally;
    expect(all[1]?.subject).toBe('Cordon storm: breaker open, 200 automatic containments held');
    expect(digest.escalated).toBe(200);
    expect(digest.digest).toBe(2);
    expect(Object.keys(digest.byAccount)).toHaveLength(100);
    expect(Object.values(digest.byAccount).every((n) => n === 2)).toBe(true);
    expect(digest.byFindingType).toEqual({ [TYPES[0] as string]: 67, [TYPES[1] as string]: 67, [TYPES[2] as string]: 66 });
    expect(digest.byResponder).toEqual({ 'isolate-instance': 150, 'revoke-credentials': 50 });
    expect(digest.pending).toHaveLength(DIGEST_PENDING_MAX);
    expect(digest.pending).toContain('inc-000000000000000000000000 i-00000000000000000');
    expect(all[1]?.email).toContain(`Pending containments (parked; each is re-run by the responders' heartbeat once a window has room, still under the breaker), first ${DIGEST_PENDING_MAX} of 200:`);

    // Nothing new since: the next heartbeat stays silent.
    clock.now += 6 * 60_000;
    expect((await notifier.flush()).digests).toBe(0);
    expect(published()).toHaveLength(2);
  });

  it('publishes the "breaker open" message once when two responders escalate at the same moment', async () => {
    const clock = { now: WINDOW_START + 60 * 60_000 + 1000 };
    const [a, b] = [harness(clock), harness(clock)];
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).notify(escalation(1000 + i))));
    expect(published()).toHaveLength(1);
    expect(published()[0]?.body.windowStart).toBe('2026-12-01T15:00:00.000Z');
  });

  it('still sends every other decision as its own message', async () => {
    const clock = { now: WINDOW_START + 2 * 60 * 60_000 };
    const notifier = harness(clock);
    await notifier.notify(escalation(5000, { reason: 'account-access: could not assume the member role' }));
    await notifier.notify(escalation(5001, { decision: 'act', reason: undefined }));
    expect(published().map((p) => p.subject)).toEqual(['Cordon escalate: isolate-instance i-00000000000001388', 'Cordon act: isolate-instance i-00000000000001389']);
  });

  it('publishes the decision itself, and reports the failure, when the digest cannot be kept', async () => {
    const clock = { now: WINDOW_START };
    const notifier = harness(clock, 'no-such-table');
    const error = await notifier.notify(escalation(7)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failures).toEqual([expect.stringMatching(/^storm digest: .*; published the decision itself$/)]);
    expect(published().map((p) => p.subject)).toEqual(['Cordon escalate: revoke-credentials i-00000000000000007']);
  });
});

describe('storm digest text', () => {
  const tally: StormTally = {
    windowStart: '2026-12-01T14:00:00.000Z',
    windowMinutes: 60,
    maxContainments: 10,
    escalated: 990,
    byFindingType: { 'Backdoor:EC2/C&CActivity.B!DNS': 990 },
    byAccount: { '100000000001': 990 },
    byResponder: { 'isolate-instance': 990 },
    pending: ['inc-1 i-1'],
    startedAt: '2026-12-01T14:00:03.000Z',
    digest: 2,
  };

  it('names the limit, the tallies and the three ways out', () => {
    expect(stormSubject(tally)).toBe('Cordon storm: breaker open, 990 automatic containments held');
    const text = stormText(tally);
    expect(text).toContain('The blast-radius breaker is open: 10 automatic containments were made in the 60-minute window from 2026-12-01T14:00:00.000Z.');
    expect(text).toContain('     990  Backdoor:EC2/C&CActivity.B!DNS');
    expect(text).toContain('- Raise the limit: deploy with -c cordon.breaker.maxContainments=<n> (now 10)');
    expect(text).toContain('- Drain by hand: manual requests bypass the breaker');
    expect(text).toContain('- Stop everything: `cordon mode off`');
  });
});
