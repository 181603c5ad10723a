import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { respond as respondCredentials } from '../../lambdas/credentials/respond';
import { DynamoBreaker } from '../../lambdas/guardrails/breaker';
import { ModeUnavailableError } from '../../lambdas/guardrails/mode';
import { fixedGuardrails, type Breaker, type BreakerAdmission, type Guardrails } from '../../lambdas/guardrails/types';
import { respond as respondIsolation, type RespondDeps as IsolationDeps, type RespondLogger } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig, type ClientsFor } from '../../lambdas/isolation/types';
import type { IncidentDecision, Notifier } from '../../lambdas/notify/notifier';
import { busyWorld, INSTANCE_ID, installWorld, type Call, type World } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';
import { derivedGuardDuty, givenUser, makeDeps } from '../credentials/support';
import { startLocalTable, type LocalTable } from '../support/dynalite';
import { authorizeAs } from '../support/authz';

const HOME = '111111111111';
const REGION = 'eu-west-1';

const clientsFor: ClientsFor = (access) => {
  const options = { region: access.region, ...(access.credentials ? { credentials: access.credentials } : {}) };
  return {
    ec2: new EC2Client(options),
    autoScaling: new AutoScalingClient(options),
    elbv2: new ElasticLoadBalancingV2Client(options),
    elb: new ElasticLoadBalancingClient(options),
  };
};

/** Notifications, kept for assertions. */
class Inbox implements Notifier {
  readonly decisions: IncidentDecision[] = [];
  async notify(d: IncidentDecision): Promise<void> {
    this.decisions.push(d);
  }
}

/** Log lines, kept for assertions (the breaker alarm counts `breaker: open`). */
class Lines implements RespondLogger {
  readonly lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  info(message: string, extra: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** Counts what was asked of it; answers from a script. */
class SpyBreaker implements Breaker {
  readonly asked: string[] = [];
  constructor(private readonly answer: (n: number) => BreakerAdmission) {}
  async admit(request: { incidentId: string; action: string }): Promise<BreakerAdmission> {
    this.asked.push(request.incidentId);
    return this.answer(this.asked.length);
  }
}
const full: BreakerAdmission = { admitted: false, count: 2, max: 2, windowMinutes: 60, windowStart: '2026-03-01T12:00:00.000Z' };

const isolationDeps = (guardrails: Guardrails, notifier: Notifier = new Inbox(), logger: RespondLogger = new Lines()) => {
  const evidence = new RecordingEvidenceWriter();
  const deps: IsolationDeps = {
    evidence,
    guardrails,
    clientsFor,
    sts: new STSClient({ region: REGION }),
    homeAccount: HOME,
    homeRegion: REGION,
    config: defaultIsolationConfig,
    actor: { arn: `arn:aws:lambda:${REGION}:${HOME}:function:cordon-isolate`, requestId: 'req-1' },
    reader: evidence,
    notifier,
    logger,
  };
  return { deps, evidence };
};

const guardDutyEvent = (findingId = '7ebc050b71c556086b524045c9067feb') => {
  const event = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
    detail: { id: string; accountId: string; region: string; arn: string; resource: { instanceDetails: { instanceId: string } }; service: { additionalInfo: Record<string, unknown> } };
  };
  event.detail.id = findingId;
  event.detail.accountId = HOME;
  event.detail.region = REGION;
  event.detail.arn = '';
  event.detail.resource.instanceDetails.instanceId = INSTANCE_ID;
  event.detail.service.additionalInfo.sample = false;
  return event;
};

const mutating = (calls: readonly Call[]) => calls.filter((c) => !/^(Describe|Get|AssumeRole)/.test(c.command));

describe('guardrails in the isolation responder', () => {
  beforeAll(() => authorizeAs('isolation'));
  it('acts on nothing and escalates when the mode cannot be read', async () => {
    const { calls } = installWorld(busyWorld());
    const breaker = new SpyBreaker(() => full);
    const inbox = new Inbox();
    const { deps, evidence } = isolationDeps(
      { mode: async () => Promise.reject(new ModeUnavailableError('mode parameter /cordon/mode is unreadable (AccessDenied): acting on nothing')), breaker },
      inbox,
    );

    const summary = await respondIsolation(guardDutyEvent(), deps);

    expect(summary).toMatchObject({ decision: 'escalate', reason: 'mode-unreadable', steps: [] });
    expect(mutating(calls)).toEqual([]);
    expect(evidence.records.map((r) => [r.kind, r.action])).toEqual([['escalation', 'escalate:mode-unreadable']]);
    expect(evidence.records[0]?.reason).toContain('mode parameter /cordon/mode is unreadable (AccessDenied)');
    expect(breaker.asked).toEqual([]);
    expect(inbox.decisions).toEqual([expect.objectContaining({ decision: 'escalate', reason: 'mode-unreadable', mode: 'unreadable' })]);
  });

  it('skips a protected instance without asking the breaker', async () => {
    const world: World = busyWorld();
    world.tags['cordon:protected'] = 'true';
    const { calls } = installWorld(world);
    const breaker = new SpyBreaker(() => full);
    const { deps, evidence } = isolationDeps(fixedGuardrails('enforce', breaker));

    const summary = await respondIsolation(guardDutyEvent(), deps);

    expect(summary).toMatchObject({ decision: 'skip', reason: 'protected' });
    expect(mutating(calls)).toEqual([]);
    expect(evidence.records.map((r) => r.kind)).toEqual(['skip']);
    expect(breaker.asked).toEqual([]);
  });

  it('does not consume the breaker in dry-run', async () => {
    installWorld(busyWorld());
    const breaker = new SpyBreaker(() => full);
    const { deps } = isolationDeps(fixedGuardrails('dry-run', breaker));
    await expect(respondIsolation(guardDutyEvent(), deps)).resolves.toMatchObject({ decision: 'dry-run' });
    expect(breaker.asked).toEqual([]);
  });

  it('lets a manual request through an open breaker, evidencing the bypass', async () => {
    const { calls } = installWorld(busyWorld());
    const breaker = new SpyBreaker(() => full);
    const { deps, evidence } = isolationDeps(fixedGuardrails('enforce', breaker));
    const summary = await respondIsolation({ action: 'isolate', instanceId: INSTANCE_ID, reason: 'miner', requestedBy: 'alice' }, deps);
    expect(summary.decision).toBe('act');
    expect(mutating(calls).length).toBeGreaterThan(0);
    expect(breaker.asked).toEqual([]);
    expect(evidence.ofKind('intent')[0]).toMatchObject({ actor: { requestedBy: 'alice' }, detail: { breaker: { bypassed: 'manual request by alice' } } });
  });

  describe('with the DynamoDB breaker (real dynalite)', () => {
    let local: LocalTable;
    beforeAll(async () => {
      local = await startLocalTable('cordon-guardrails-responders');
    });
    afterAll(() => local.stop());

    it('contains N instances, then escalates the N+1th without a mutating call, naming the count and the window, notified', async () => {
      const breaker = new DynamoBreaker({
        ddb: local.ddb,
        tableName: local.tableName,
        maxContainments: 2,
        windowMinutes: 60,
        now: () => Date.parse('2026-03-01T12:10:00.000Z'),
      });
      const inbox = new Inbox();
      const log = new Lines();
      const results = [];
      let lastCalls: Call[] = [];
      for (const id of ['f-1', 'f-2', 'f-3']) {
        const { calls } = installWorld(busyWorld());
        const { deps, evidence } = isolationDeps(fixedGuardrails('enforce', breaker), inbox, log);
        results.push({ summary: await respondIsolation(guardDutyEvent(id), deps), evidence });
        lastCalls = calls;
      }

      expect(results.map((r) => r.summary.decision)).toEqual(['act', 'act', 'escalate']);
      expect(results[0]?.evidence.ofKind('intent')[0]?.detail).toMatchObject({ breaker: { admitted: true, count: 1, max: 2 } });
      const third = results[2];
      expect(third?.summary.reason).toBe('breaker-open');
      expect(mutating(lastCalls)).toEqual([]);
      expect(third?.evidence.records.map((r) => [r.kind, r.action])).toEqual([['escalation', 'escalate:breaker-open']]);
      expect(third?.evidence.records[0]?.reason).toBe(
        'blast-radius breaker open: 2 of 2 automatic containments already made in the 60-minute window from 2026-03-01T12:00:00.000Z; escalating instead of acting (a manual request bypasses the breaker)',
      );
      expect(third?.evidence.records[0]?.detail).toMatchObject({ breaker: { admitted: false, count: 2, max: 2, windowMinutes: 60 }, plan: expect.any(Array) });
      expect(log.lines.filter((l) => l.extra.breaker === 'open')).toHaveLength(1);
      expect(inbox.decisions.map((d) => d.decision)).toEqual(['act', 'act', 'escalate']);
      expect(inbox.decisions[2]).toMatchObject({ reason: 'breaker-open', target: { type: 'ec2-instance', id: INSTANCE_ID } });
    });
  });
});

describe('guardrails in the credential responder', () => {
  beforeAll(() => authorizeAs('credentials'));
  const iam = mockClient(IAMClient);
  const LEAKED = 'AKIALEAKED0000000001';
  const leaked = () => derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
  const expectNoMutation = () => {
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteLoginProfileCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  };
  beforeEach(() => {
    iam.reset();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    iam.on(UpdateAccessKeyCommand).resolves({});
    iam.on(PutUserPolicyCommand).resolves({});
  });

  it('acts on nothing and escalates when the mode cannot be read', async () => {
    const inbox = new Inbox();
    const deps = makeDeps({ mode: new ModeUnavailableError('mode parameter /cordon/mode must be one of enforce, dry-run, off, received "on"'), notifier: inbox });

    const result = await respondCredentials(leaked(), deps);

    expect(result.decision).toBe('escalate');
    expectNoMutation();
    expect(deps.store.kinds()).toEqual(['escalation']);
    expect(deps.store.ofKind('escalation')[0]).toMatchObject({ action: 'escalate:mode-unreadable', mode: 'off' });
    expect(inbox.decisions).toEqual([expect.objectContaining({ decision: 'escalate', mode: 'unreadable', responder: 'revoke-credentials' })]);
  });

  it('escalates an automatic revocation when the breaker is open, naming the count and the window', async () => {
    const breaker = new SpyBreaker(() => full);
    const inbox = new Inbox();
    const deps = makeDeps({ guardrails: fixedGuardrails('enforce', breaker), notifier: inbox });

    const result = await respondCredentials(leaked(), deps);

    expect(result).toMatchObject({ decision: 'escalate', steps: [] });
    expect(result.reason).toMatch(/^blast-radius breaker open: 2 of 2 automatic containments already made in the 60-minute window from 2026-03-01T12:00:00.000Z/);
    expectNoMutation();
    expect(deps.store.ofKind('escalation')[0]).toMatchObject({ action: 'escalate:breaker-open', detail: { breaker: { admitted: false, count: 2 } } });
    expect(inbox.decisions).toHaveLength(1);
  });

  it('escalates, acting on nothing, when the breaker cannot count', async () => {
    const deps = makeDeps({ guardrails: fixedGuardrails('enforce', { admit: () => Promise.reject(new Error('dynamodb down')) }) });
    const result = await respondCredentials(leaked(), deps);
    expect(result.decision).toBe('escalate');
    expect(result.reason).toBe('breaker-unavailable: Error: dynamodb down');
    expectNoMutation();
  });

  it('lets a manual revocation through an open breaker, and a dry-run never asks it', async () => {
    const breaker = new SpyBreaker(() => full);
    const manual = await respondCredentials(
      { action: 'revoke', accessKeyId: LEAKED, userName: 'alice', reason: 'leaked on github', requestedBy: 'bob' },
      makeDeps({ guardrails: fixedGuardrails('enforce', breaker) }),
    );
    expect(manual.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { AccessKeyId: LEAKED, Status: 'Inactive' });
    const dry = await respondCredentials(leaked(), makeDeps({ guardrails: fixedGuardrails('dry-run', breaker) }));
    expect(dry.decision).toBe('dry-run');
    expect(breaker.asked).toEqual([]);
  });

  it('skips a protected user without asking the breaker', async () => {
    iam.reset();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }], tags: { 'cordon:protected': 'true' } });
    const breaker = new SpyBreaker(() => full);
    const result = await respondCredentials(leaked(), makeDeps({ guardrails: fixedGuardrails('enforce', breaker) }));
    expect(result.decision).not.toBe('act');
    expectNoMutation();
    expect(breaker.asked).toEqual([]);
  });
});
