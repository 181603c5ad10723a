import { STSClient } from '@aws-sdk/client-sts';
import { DynamoBreaker } from '../../lambdas/guardrails/breaker';
import { redriveParked, runGuarded, type HandlerLogger } from '../../lambdas/guardrails/handle';
import { GuardrailsPersistenceLayer, IdempotentResponder } from '../../lambdas/guardrails/idempotency';
import { DynamoParking, isFinalResult, PARKED_INDEX, passingStateOf } from '../../lambdas/guardrails/park';
import type { Guardrails } from '../../lambdas/guardrails/types';
import { ISOLATION_RESPONDER, respond, type ResponseSummary } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig } from '../../lambdas/isolation/types';
import type { Mode } from '../../lambdas/evidence/types';
import { busyWorld, INSTANCE_ID, installWorld } from '../support/aws-world';
import { startLocalTable, type LocalTable } from '../support/dynalite';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';
import { clientsFor, guardDutyEvent as isolationFinding, HOME, REGION } from '../isolation/support';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

/** The isolation finding of the shared support, with its ids readable. */
const guardDutyEvent = () => isolationFinding() as ReturnType<typeof isolationFinding> & { id: string; detail: { id: string } };

const WINDOW_MS = 60 * 60_000;

class Lines implements HandlerLogger {
  readonly lines: { message: string; extra: Record<string, unknown> }[] = [];
  info(message: string, extra: Record<string, unknown>) {
    this.lines.push({ message, extra });
  }
  warn(message: string, extra: Record<string, unknown>) {
    this.lines.push({ message, extra });
  }
  error(message: string, extra: Record<string, unknown>) {
    this.lines.push({ message, extra });
  }
}

const customActionClick = (eventId: string) => {
  const event = copyOf(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')) as {
    id: string;
    account: string;
    region: string;
    detail: { findings: { AwsAccountId: string; Region: string; Resources: { Id: string }[] }[] };
  };
  event.id = eventId;
  event.account = HOME;
  event.region = REGION;
  for (const f of event.detail.findings) {
    f.AwsAccountId = HOME;
    f.Region = REGION;
    for (const r of f.Resources) r.Id = `arn:aws:ec2:${REGION}:${HOME}:instance/${INSTANCE_ID}`;
  }
  return event;
};

/** The handler's wiring, on one real DynamoDB table (breaker, idempotency, parking) and a fake EC2. */
const harness = (table: LocalTable, clock: { now: number }, mode: { value: Mode }) => {
  const breaker = new DynamoBreaker({ ddb: table.ddb, tableName: table.tableName, maxContainments: 1, windowMinutes: 60, now: () => clock.now });
  const guardrails: Guardrails = { mode: async () => mode.value, breaker };
  const store = new GuardrailsPersistenceLayer({ ddb: table.ddb, tableName: table.tableName });
  const idempotency = new IdempotentResponder<ResponseSummary>({ responder: ISOLATION_RESPONDER, automatic: store, manual: store, isFinal: isFinalResult });
  const parking = new DynamoParking({ ddb: table.ddb, tableName: table.tableName, now: () => clock.now });
  const evidence = new RecordingEvidenceWriter();
  const logger = new Lines();
  let request = 0;
  const run = (event: unknown, redriveOf?: Parameters<typeof runGuarded>[0]['redriveOf']) => {
    request += 1;
    const context = { invokedFunctionArn: `arn:aws:lambda:${REGION}:${HOME}:function:cordon-isolate`, awsRequestId: `req-${request}` };
    return runGuarded<ResponseSummary>({
      event,
      context,
      responder: ISOLATION_RESPONDER,
      guardrails,
      idempotency,
      parking,
      ...(redriveOf ? { redriveOf } : {}),
      evidence,
      logger,
      respond: (checked) =>
        respond(event, {
          evidence,
          guardrails: checked,
          clientsFor,
          sts: new STSClient({ region: REGION }),
          homeAccount: HOME,
          homeRegion: REGION,
          config: defaultIsolationConfig,
          actor: { arn: context.invokedFunctionArn, requestId: context.awsRequestId },
          reader: evidence,
          logger,
        }),
    });
  };
  const heartbeat = () =>
    redriveParked({ mode: { ok: true, value: mode.value }, parking, responder: ISOLATION_RESPONDER, limit: 25, logger, rerun: (p) => run(p.event, p) });
  return { breaker, parking, evidence, logger, run, heartbeat };
};

describe('re-drive, not remember', () => {
  let table: LocalTable;
  beforeAll(async () => {
    table = await startLocalTable('guardrails', { name: PARKED_INDEX, partitionKey: 'parkedBy', sortKey: 'parkedAt' });
  });
  afterAll(async () => table.stop());

  it('classifies the results that depended on passing state, and nothing else', () => {
    expect(passingStateOf({ decision: 'escalate', reason: 'breaker-open' })).toBe('breaker-open');
    expect(passingStateOf({ decision: 'escalate', reason: 'blast-radius breaker open: 10 of 10 automatic containments already made' })).toBe('breaker-open');
    expect(passingStateOf({ decision: 'skip', reason: 'mode is off (kill switch): nothing done' })).toBe('mode-off');
    expect(passingStateOf({ decision: 'escalate', reason: 'guardrail mode unreadable, nothing done: AccessDenied' })).toBe('mode-unreadable');
    expect(passingStateOf({ decision: 'act', reason: 'some', results: [{ reason: 'account-access' }] })).toBeUndefined();
    expect(passingStateOf({ decision: 'escalate', reason: 'x', results: [{ reason: 'account-access' }] })).toBe('account-access');
    expect(passingStateOf({ decision: 'escalate', reason: 'protected' })).toBeUndefined();
    expect(passingStateOf({ decision: 'act' })).toBeUndefined();
  });

  it('contains a breaker-open escalation after the window resets, evidenced with a link to the first decision', async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 10, 5) };
    const mode = { value: 'enforce' as Mode };
    const h = harness(table, clock, mode);
    const world = installWorld(busyWorld());
    // Another containment fills the window (max 1).
    await expect(h.breaker.admit({ incidentId: 'other', action: ISOLATION_RESPONDER })).resolves.toMatchObject({ admitted: true });

    const event = guardDutyEvent();
    const first = await h.run(event);
    expect(first).toMatchObject({ decision: 'escalate', reason: 'breaker-open' });
    expect(world.calls.filter((c) => !/^(Describe|Get)/.test(c.command))).toEqual([]);
    // A GuardDuty update of the same finding in the same window is decided again (not replayed) and still parked once.
    const again = await h.run({ ...event, id: 'update-1' });
    expect(again).toMatchObject({ decision: 'escalate', reason: 'breaker-open' });
    expect(h.evidence.records.filter((r) => r.action === 'skip:already-handled')).toEqual([]);
    const parked = await h.parking.list(ISOLATION_RESPONDER, 10);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ firstRequestId: 'req-1', state: 'breaker-open', event: { id: 'update-1' } });

    // Same window: the heartbeat re-runs the oldest, the breaker refuses again, it stays parked.
    const stillFull = await h.heartbeat();
    expect(stillFull).toEqual({ rerun: 1, stoppedBy: 'breaker open' });
    expect(await h.parking.list(ISOLATION_RESPONDER, 10)).toMatchObject([{ firstRequestId: 'req-1' }]);

    // The window resets: the heartbeat contains it.
    clock.now += WINDOW_MS;
    const drained = await h.heartbeat();
    expect(drained).toEqual({ rerun: 1 });
    const modified = world.calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute');
    expect(modified.length).toBeGreaterThan(0);
    const redrive = h.evidence.ofKind('redrive');
    expect(redrive).toHaveLength(2);
    const last = redrive[redrive.length - 1];
    expect(last).toMatchObject({
      action: 'redrive:breaker-open',
      mode: 'enforce',
      detail: { redriveOf: { state: 'breaker-open', firstRequestId: 'req-1', firstReason: 'breaker-open' } },
    });
    // The link is written before the re-run acts: its intent record follows it in the same incident.
    const incident = h.evidence.records.filter((r) => r.incidentId === last?.incidentId);
    const linkAt = incident.indexOf(last!);
    expect(incident.slice(linkAt + 1).map((r) => r.kind)[0]).toBe('intent');
    // Once contained, nothing is parked any more, and a further update of the finding is a replay.
    expect(await h.parking.list(ISOLATION_RESPONDER, 10)).toEqual([]);
    await h.run({ ...event, id: 'update-2' });
    expect(h.evidence.records.filter((r) => r.action === 'skip:already-handled')).toHaveLength(1);
  });

  it('parks what arrived in mode off and re-drives it only once the mode is enforce', async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 14, 5) };
    const mode = { value: 'off' as Mode };
    const h = harness(table, clock, mode);
    installWorld(busyWorld());
    const event = guardDutyEvent();
    event.detail.id = 'mode-off-finding';
    const first = await h.run(event);
    expect(first).toMatchObject({ decision: 'skip', reason: 'mode-off' });
    expect(await h.heartbeat()).toEqual({ rerun: 0, stoppedBy: 'mode off' });
    mode.value = 'dry-run';
    expect(await h.heartbeat()).toEqual({ rerun: 0, stoppedBy: 'mode dry-run' });
    mode.value = 'enforce';
    expect(await h.heartbeat()).toEqual({ rerun: 1 });
    expect(h.evidence.ofKind('redrive').map((r) => r.action)).toContain('redrive:mode-off');
    expect(h.logger.lines.some((l) => l.message === 'guarded decision' && l.extra.decided === 'act')).toBe(true);
  });

  it('lets a person click a Security Hub custom action while the breaker is open, each click its own request', async () => {
    const clock = { now: Date.UTC(2026, 11, 1, 18, 5) };
    const mode = { value: 'enforce' as Mode };
    const h = harness(table, clock, mode);
    const world = installWorld(busyWorld());
    await h.breaker.admit({ incidentId: 'other', action: ISOLATION_RESPONDER });

    const click = await h.run(customActionClick('click-1'));
    expect(click.decision).toBe('act');
    expect(world.calls.some((c) => c.command === 'ModifyNetworkInterfaceAttribute')).toBe(true);
    expect(h.evidence.ofKind('intent').at(-1)?.detail).toMatchObject({ breaker: { bypassed: expect.stringMatching(/^Security Hub custom action /) } });
    // The same click redelivered is a replay; a second click is decided again.
    await h.run(customActionClick('click-1'));
    expect(h.evidence.records.filter((r) => r.action === 'skip:already-handled')).toHaveLength(1);
    const second = await h.run(customActionClick('click-2'));
    expect(second.decision).not.toBe('escalate');
    expect(await h.parking.list(ISOLATION_RESPONDER, 50).then((l) => l.filter((p) => (p.event as { id: string }).id.startsWith('click')))).toEqual([]);
  });
});
