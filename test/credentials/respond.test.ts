import 'aws-sdk-client-mock-jest';
import {
  AttachUserPolicyCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  GetUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { revokeSessionsDocument } from '../../lambdas/credentials/policies';
import { respond } from '../../lambdas/credentials/respond';
import { accountAccess, type AccountAccess } from '../../lambdas/shared/assume';
import { ContainmentIncompleteError, TransientAwsError } from '../../lambdas/shared/errors';
import { CallLog, derivedGuardDuty, fixture, givenRole, givenUser, HOME, makeDeps, NOW, StateMachineSessions } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('credentials');

const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);

/** Mutations answer with a request id and log their order next to the evidence appends. */
const recordMutations = (log: CallLog) => {
  iam.on(UpdateAccessKeyCommand).callsFake((input: { AccessKeyId: string }) => {
    log.push(`iam:UpdateAccessKey:${input.AccessKeyId}`);
    return { $metadata: { requestId: `rid-update-${input.AccessKeyId}` } };
  });
  iam.on(PutUserPolicyCommand).callsFake((input: { PolicyName: string }) => {
    log.push(`iam:PutUserPolicy:${input.PolicyName}`);
    return { $metadata: { requestId: `rid-put-${input.PolicyName}` } };
  });
  iam.on(AttachUserPolicyCommand).callsFake(() => {
    log.push('iam:AttachUserPolicy');
    return { $metadata: { requestId: 'rid-attach' } };
  });
  iam.on(PutRolePolicyCommand).callsFake(() => {
    log.push('iam:PutRolePolicy');
    return { $metadata: { requestId: 'rid-put-role' } };
  });
  iam.on(DeleteLoginProfileCommand).callsFake(() => {
    log.push('iam:DeleteLoginProfile');
    return { $metadata: { requestId: 'rid-delete-login' } };
  });
};

const LEAKED = 'AKIALEAKED0000000001';
const OTHER = 'AKIAOTHER00000000002';
const EVENT_LAST_SEEN = '2026-02-27T08:00:00.000Z';
const leakedKeyEvent = (type = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom') =>
  derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' }, { type, eventLastSeen: EVENT_LAST_SEEN });

const sessionDeny = (cutoff: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CordonRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } } }],
  });
/** The session cut-off: the clock read after the containment round, plus the 30 s default margin. */
const CUTOFF = new Date(NOW.getTime() + 30_000).toISOString();

const expectNoMutation = () => {
  expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
  expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
  expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
  expect(iam).not.toHaveReceivedCommand(DeleteLoginProfileCommand);
  expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  expect(iam).not.toHaveReceivedCommand(AttachUserPolicyCommand);
};

beforeEach(() => {
  iam.reset();
  sts.reset();
});

describe('credential responder: a leaked IAM user key (GuardDuty)', () => {
  it('deactivates only the leaked key of a user with two, then cuts its sessions with a cut-off taken after, deletes nothing', async () => {
    const log = new CallLog();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: OTHER }], loginProfile: true });
    recordMutations(log);
    let clockReads = 0;
    const deps = makeDeps({ log, clock: () => { clockReads += 1; log.push('clock'); return NOW; } });

    const result = await respond(leakedKeyEvent(), deps);

    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Inactive' });
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'alice', PolicyName: 'cordon-revoke-sessions', PolicyDocument: sessionDeny(CUTOFF) });
    // The cut-off is read once, AFTER UpdateAccessKey returned (the key is inactive), never eventLastSeen.
    expect(clockReads).toBe(1);
    expect(log.indexOf('clock')).toBeGreaterThan(log.indexOf('iam:UpdateAccessKey'));
    expect(log.indexOf('iam:PutUserPolicy')).toBeGreaterThan(log.indexOf('clock'));
    const doc = iam.commandCalls(PutUserPolicyCommand)[0]?.args[0].input.PolicyDocument ?? '';
    expect(doc).not.toContain(EVENT_LAST_SEEN);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteLoginProfileCommand);
    expect(JSON.stringify(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input))).not.toContain(OTHER);

    // Write-ahead: intent first, then the mutations, each step evidenced, then the outcome.
    expect(log.indexOf('evidence:intent')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('evidence:intent')).toBeLessThan(log.indexOf('iam:'));
    expect(log.entries[log.entries.length - 1]).toBe('evidence:outcome:credentials:revoke');
    expect(deps.store.kinds()).toEqual(['intent', 'step', 'step', 'outcome']);
    const intent = deps.store.ofKind('intent')[0];
    expect(intent?.detail).toMatchObject({ dryRun: false, eventLastSeen: EVENT_LAST_SEEN, cutoff: 'taken after the keys are inactive, plus the configured margin (see the outcome record)' });
    expect(deps.store.ofKind('outcome')[0]?.detail?.cutoff).toEqual({ containedAt: NOW.toISOString(), marginSeconds: 30, cutoff: CUTOFF });
    const steps = deps.store.ofKind('step');
    expect(steps.map((s) => s.action).sort()).toEqual(['iam:PutUserPolicy', 'iam:UpdateAccessKey']);
    expect(steps.find((s) => s.action === 'iam:UpdateAccessKey')).toMatchObject({
      awsRequestIds: [`rid-update-${LEAKED}`],
      before: { accessKeyId: LEAKED, status: 'Active' },
      after: { accessKeyId: LEAKED, status: 'Inactive' },
      target: { type: 'iam-access-key', id: LEAKED, account: HOME },
    });
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(result.evidenceKeys).toHaveLength(4);
  });

  it('quarantines the user and deletes the console password only when the user itself is compromised, recording that it existed', async () => {
    const log = new CallLog();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: OTHER }], loginProfile: true });
    recordMutations(log);
    const deps = makeDeps({ log });

    const result = await respond(leakedKeyEvent('UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B'), deps);

    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandTimes(AttachUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(AttachUserPolicyCommand, { UserName: 'alice', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' });
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(DeleteLoginProfileCommand, { UserName: 'alice' });
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(deps.store.ofKind('step').find((s) => s.action === 'iam:DeleteLoginProfile')?.before).toEqual({
      loginProfile: { exists: true, createDate: '2024-06-01T00:00:00.000Z', passwordResetRequired: false },
    });
  });

  it('records the intent as dry-run and makes no mutating call in dry-run', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps({ mode: 'dry-run' });
    const result = await respond(leakedKeyEvent(), deps);
    expect(result.decision).toBe('dry-run');
    expect(result.steps.map((s) => [s.action, s.status])).toEqual([
      ['iam:UpdateAccessKey', 'planned'],
      ['iam:PutUserPolicy', 'planned'],
    ]);
    expectNoMutation();
    expect((deps.sessions as StateMachineSessions).requests).toEqual([]);
    expect(deps.store.kinds()).toEqual(['intent']);
    expect(deps.store.records[0]?.input).toMatchObject({ mode: 'dry-run', detail: { dryRun: true } });
  });

  it('skips with a record when the mode is off', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps({ mode: 'off' });
    expect(await respond(leakedKeyEvent(), deps)).toMatchObject({ decision: 'skip' });
    expectNoMutation();
    expect(deps.store.records.map((r) => [r.input.kind, r.input.action])).toEqual([['skip', 'skip:mode-off']]);
  });

  it('escalates and acts on nothing when the mode cannot be read', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps({ mode: new Error('ParameterNotFound: /cordon/mode') });
    const result = await respond(leakedKeyEvent(), deps);
    expect(result).toMatchObject({ decision: 'escalate', reason: expect.stringContaining('ParameterNotFound') as unknown });
    expectNoMutation();
    expect(deps.store.records.map((r) => r.input.kind)).toEqual(['escalation']);
  });

  it('does not act when the write-ahead intent record cannot be written', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps();
    deps.store.failOn = (input) => input.kind === 'intent';
    await expect(respond(leakedKeyEvent(), deps)).rejects.toThrow('evidence store unavailable');
    expectNoMutation();
  });

  it('throws (retry) on a throttled observation, with an error record and no mutation', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    iam.on(ListAccessKeysCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const deps = makeDeps();
    await expect(respond(leakedKeyEvent(), deps)).rejects.toThrow(/Rate exceeded/);
    expectNoMutation();
    expect(deps.store.kinds()).toEqual(['error']);
  });
});

describe('credential responder: fault injection and retry', () => {
  it.each([
    ['UpdateAccessKey', UpdateAccessKeyCommand, 'iam:UpdateAccessKey', 1],
    ['PutUserPolicy (inside the session revoker)', PutUserPolicyCommand, 'iam:PutUserPolicy', 1],
    ['AttachUserPolicy', AttachUserPolicyCommand, 'iam:AttachUserPolicy', 1],
    ['DeleteLoginProfile', DeleteLoginProfileCommand, 'iam:DeleteLoginProfile', 1],
  ] as const)('evidences a failing %s, still does every other step, then fails the invocation so it is retried', async (_name, command, action, failures) => {
    const log = new CallLog();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: OTHER }], loginProfile: true });
    recordMutations(log);
    iam.on(command as typeof UpdateAccessKeyCommand).rejects(Object.assign(new Error(`injected failure of ${action}`), { name: 'ServiceFailure' }));
    const deps = makeDeps({ log, configOverrides: { quarantineUser: true } });

    const error = await respond(leakedKeyEvent(), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ContainmentIncompleteError);
    const result = (error as ContainmentIncompleteError<{ steps: { action: string; status: string; error?: string }[] }>).result;
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandTimes(AttachUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandTimes(DeleteLoginProfileCommand, 1);
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed).toHaveLength(failures);
    expect(failed[0]?.action).toBe(action);
    expect(failed[0]?.error).toContain(`ServiceFailure: injected failure of ${action}`);
    expect(result.steps.filter((s) => s.status === 'succeeded')).toHaveLength(4 - failures);
    const failedRecords = deps.store.ofKind('step').filter((r) => r.detail?.status === 'failed');
    expect(failedRecords).toHaveLength(1);
    expect(failedRecords[0]?.after).toBeUndefined();
    const outcome = deps.store.ofKind('outcome')[0];
    expect(outcome?.reason).toBe('1 of 4 steps failed');
    expect(String(outcome?.detail?.retry)).toMatch(/^incomplete, the invocation fails so that it is retried: s\d iam:/);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });

  it('retries a throttled deactivation: the first attempt fails after its evidence, the redelivery deactivates and re-cuts, nothing done twice', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }], loginProfile: false });
    recordMutations(new CallLog());
    iam.on(UpdateAccessKeyCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    const deps = makeDeps();

    await expect(respond(leakedKeyEvent(), deps)).rejects.toThrow(/containment of inc-[0-9a-f]{24} is incomplete, retry: s1 iam:UpdateAccessKey: Throttling: Rate exceeded/);
    // The session deny was still written on the first attempt (it needs no active key).
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 1);

    // Redelivery (Lambda async retry): the key is still Active, so it is deactivated now.
    recordMutations(new CallLog());
    const retried = await respond(leakedKeyEvent(), deps);
    expect(retried.decision).toBe('act');
    expect(retried.incomplete).toBeUndefined();
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 2);
    expect(iam.commandCalls(UpdateAccessKeyCommand)[1]?.args[0].input).toEqual({ UserName: 'alice', AccessKeyId: LEAKED, Status: 'Inactive' });
    // Same incident, one chain: both attempts are in it.
    expect(new Set(deps.store.records.map((r) => r.incidentId)).size).toBe(1);
    expect(deps.store.ofKind('outcome').map((o) => o.reason)).toEqual(['1 of 2 steps failed', '2 of 2 steps succeeded']);
  });

  it('does not repeat a deactivation that succeeded when a retry follows a failed session deny', async () => {
    const keys = [{ id: LEAKED }];
    givenUser(iam, { userName: 'alice', keys });
    recordMutations(new CallLog());
    iam.on(PutUserPolicyCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const deps = makeDeps();
    await expect(respond(leakedKeyEvent(), deps)).rejects.toBeInstanceOf(ContainmentIncompleteError);
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED, status: 'Inactive' }] });
    recordMutations(new CallLog());
    const retried = await respond(leakedKeyEvent(), deps);
    expect(retried.steps.map((s) => [s.action, s.status])).toEqual([['iam:PutUserPolicy', 'succeeded']]);
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
  });

  it('evidences a failing session deny on a role (the state machine fails the execution)', async () => {
    givenRole(iam, 'WebServerRole');
    iam.on(PutRolePolicyCommand).rejects(Object.assign(new Error('policy size exceeded'), { name: 'LimitExceededException' }));
    const deps = makeDeps();
    const event = derivedGuardDuty(
      { accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAX:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' },
      { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', instanceId: 'i-0abc1234def567890' },
    );
    const error = (await respond(event, deps).catch((e: unknown) => e)) as ContainmentIncompleteError<{ steps: unknown[] }>;
    expect(error.result.steps).toEqual([
      expect.objectContaining({ action: 'iam:PutRolePolicy', status: 'failed', error: 'SessionRevokerError: session revoker FAILED: States.TaskFailed: LimitExceededException: policy size exceeded' }),
    ]);
    expect(deps.store.kinds().sort()).toEqual(['escalation', 'intent', 'outcome', 'step']);
  });

  it('keeps going when a step record cannot be written: the outcome still lists every step', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    recordMutations(new CallLog());
    const deps = makeDeps();
    deps.store.failOn = (input) => input.kind === 'step' && input.action === 'iam:UpdateAccessKey';
    const result = await respond(leakedKeyEvent(), deps);
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(deps.store.ofKind('outcome')[0]?.detail?.results).toHaveLength(2);
  });
});

describe('credential responder: other principals and sources', () => {
  it('cuts only the sessions issued to the instance whose credentials were stolen (ec2:SourceInstanceARN + aws:TokenIssueTime)', async () => {
    givenRole(iam, 'WebServerRole');
    recordMutations(new CallLog());
    const deps = makeDeps();
    const event = derivedGuardDuty(
      { accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAEXAMPLEROLEID:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' },
      { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', instanceId: 'i-0abc1234def567890', eventLastSeen: EVENT_LAST_SEEN },
    );
    const result = await respond(event, deps);
    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: 'WebServerRole',
      PolicyName: 'cordon-revoke-sessions',
      // The document as test/credentials/session-revoker.test.ts spells it out, from the synthesized definition.
      PolicyDocument: JSON.stringify(revokeSessionsDocument({ instanceArns: ['arn:aws:ec2:us-west-2:742968239728:instance/i-0abc1234def567890'], instanceCutoff: CUTOFF })),
    });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    const escalation = deps.store.ofKind('escalation')[0];
    expect(escalation?.action).toBe('escalate:role-wide-available');
    const step = deps.store.ofKind('step')[0];
    expect(step?.detail?.step).toMatchObject({ scope: 'instance', collateral: expect.stringContaining('other holders of the role keep working') as unknown });
  });

  it('keeps one policy per principal across three incidents, with the latest cut-off and every instance', async () => {
    givenRole(iam, 'WebServerRole');
    recordMutations(new CallLog());
    const deps = makeDeps();
    const times = ['2026-03-01T12:00:00.000Z', '2026-03-02T08:00:00.000Z', '2026-03-01T18:00:00.000Z'].map((t) => new Date(t));
    const instances = ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2', 'i-0aaaaaaaaaaaaaaa1'];
    for (const [i, instanceId] of instances.entries()) {
      const at = times[i] as Date;
      const event = derivedGuardDuty(
        { accessKeyId: 'ASIAEXAMPLE12345678', principalId: `AROAEXAMPLEROLEID:${instanceId}`, userName: 'WebServerRole', userType: 'AssumedRole' },
        { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', instanceId },
      );
      (event.detail as { id: string }).id = `finding-${i}`;
      await respond(event, { ...deps, clock: () => at });
    }
    const calls = iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.PolicyName)).toEqual(['cordon-revoke-sessions', 'cordon-revoke-sessions', 'cordon-revoke-sessions']);
    const last = JSON.parse(calls[2]?.PolicyDocument ?? '{}') as { Statement: { Condition: { StringEquals: Record<string, string[]>; DateLessThan: Record<string, string> } }[] };
    expect(last.Statement).toHaveLength(1);
    // The third incident is EARLIER than the second: the cut-off never moves backwards.
    expect(last.Statement[0]?.Condition.DateLessThan['aws:TokenIssueTime']).toBe('2026-03-02T08:00:30.000Z');
    expect(last.Statement[0]?.Condition.StringEquals['ec2:SourceInstanceARN']).toEqual([
      'arn:aws:ec2:us-west-2:742968239728:instance/i-0aaaaaaaaaaaaaaa1',
      'arn:aws:ec2:us-west-2:742968239728:instance/i-0bbbbbbbbbbbbbbb2',
    ]);
    // Each incident's own cut-off stays in its evidence.
    const own = deps.store.ofKind('outcome').map((o) => (o.detail?.cutoff as { cutoff: string }).cutoff);
    expect(own).toEqual(['2026-03-01T12:00:30.000Z', '2026-03-02T08:00:30.000Z', '2026-03-01T18:00:30.000Z']);
  });

  it('merges the session policy a principal already carries (read from IAM) when the ledger has nothing', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const later = '2027-01-01T00:00:00.000Z';
    iam.on(GetUserPolicyCommand, { UserName: 'alice', PolicyName: 'cordon-revoke-sessions' }).resolves({
      UserName: 'alice',
      PolicyName: 'cordon-revoke-sessions',
      PolicyDocument: encodeURIComponent(sessionDeny(later)),
    });
    recordMutations(new CallLog());
    await respond(leakedKeyEvent(), makeDeps());
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'alice', PolicyName: 'cordon-revoke-sessions', PolicyDocument: sessionDeny(later) });
  });

  it.each([
    ['root', { accessKeyId: 'AKIAROOTEXAMPLE00000', principalId: HOME, userName: 'Root', userType: 'Root' }, 'escalate:root'],
    ['federated', { accessKeyId: 'ASIAFEDEXAMPLE000000', principalId: `${HOME}:bob`, userName: 'bob', userType: 'Federated' }, 'escalate:federated'],
  ])('escalates %s with a record and no IAM call', async (_what, details, action) => {
    const deps = makeDeps();
    const result = await respond(derivedGuardDuty(details), deps);
    expect(result.decision).toBe('escalate');
    expect(iam.calls()).toHaveLength(0);
    expect(deps.store.records.map((r) => [r.input.kind, r.input.action])).toEqual([['escalation', action]]);
  });

  it.each([
    ['service-linked', 'AWSServiceRoleForSupport', { path: '/aws-service-role/support.amazonaws.com/' }, 'escalate:service-linked-role'],
    ['Identity Center', 'AWSReservedSSO_Admin_0123456789abcdef', { path: '/aws-reserved/sso.amazonaws.com/' }, 'escalate:identity-center-role'],
    ['own', 'CordonMemberCredentials', {}, 'escalate:own-role'],
    ['protected', 'AppRole', { tags: { 'cordon:protected': 'true' } }, 'escalate:protected-tag'],
  ])('escalates a %s role without touching it', async (_what, roleName, options, action) => {
    givenRole(iam, roleName, options);
    const deps = makeDeps({ configOverrides: { ownMemberRoleNames: ['CordonMemberCredentials'] } });
    const result = await respond(
      derivedGuardDuty({ accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAX:i-0abc1234def567890', userName: roleName, userType: 'AssumedRole' }, { instanceId: 'i-0abc1234def567890' }),
      deps,
    );
    expect(result.decision).toBe('escalate');
    expectNoMutation();
    expect(deps.store.records.map((r) => r.input.action)).toEqual([action]);
  });

  it('escalates an allowlisted user', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps({ configOverrides: { allowlist: [`arn:aws:iam::${HOME}:user/alice`] } });
    expect((await respond(leakedKeyEvent(), deps)).decision).toBe('escalate');
    expectNoMutation();
  });

  it('never acts on a GuardDuty sample finding in enforce mode (real fixture), and makes no IAM call', async () => {
    const deps = makeDeps();
    const result = await respond(fixture('guardduty-iam-recon-networkpermissions-1.json'), deps);
    expect(result).toMatchObject({ decision: 'skip', reason: expect.stringContaining('sample') as unknown });
    expect(iam.calls()).toHaveLength(0);
    expect(deps.store.records.map((r) => r.input.action)).toEqual(['skip:sample']);
  });

  it('plans a sample finding in dry-run against an assumed state, without calling IAM', async () => {
    const deps = makeDeps({ mode: 'dry-run' });
    const result = await respond(fixture('guardduty-iam-tor-ip-caller-1.json'), deps);
    expect(result.decision).toBe('dry-run');
    expect(iam.calls()).toHaveLength(0);
    expect(deps.store.records[0]?.input.detail).toMatchObject({ sample: true, stateAssumed: expect.stringContaining('not observed') as unknown });
  });

  it('revokes the key of a Health exposure (current shape, real fixture)', async () => {
    givenUser(iam, { userName: 'test-1', keys: [{ id: 'AKIAXXXXXXXXXX' }], account: '1234567890' });
    recordMutations(new CallLog());
    const deps = makeDeps({ homeAccount: '1234567890' });
    const result = await respond(fixture('health-credentials-exposed-2.json'), deps);
    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'test-1', AccessKeyId: 'AKIAXXXXXXXXXX', Status: 'Inactive' });
    expect(deps.store.records[0]?.input.trigger).toMatchObject({ source: 'aws.health', findingType: 'AWS_RISK_CREDENTIALS_EXPOSED' });
  });

  it('resolves the user of a key named alone (classic Health shape) with GetAccessKeyLastUsed', async () => {
    givenUser(iam, { userName: 'builder', keys: [{ id: 'AKIAIOSFODNN7EXAMPLE' }], account: '123456789012' });
    recordMutations(new CallLog());
    const event = structuredClone(fixture('health-credentials-exposed-1.json')) as { detail: { affectedEntities: { entityValue: string }[] } };
    event.detail.affectedEntities[0] = { entityValue: 'AKIAIOSFODNN7EXAMPLE' };
    const deps = makeDeps({ homeAccount: '123456789012' });
    const result = await respond(event, deps);
    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'builder', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' });
  });

  it('escalates the classic Health exposure whose key is a placeholder (real fixture): AWS says a key leaked', async () => {
    const deps = makeDeps();
    const result = await respond(fixture('health-credentials-exposed-1.json'), deps);
    expect(result).toMatchObject({ decision: 'escalate', reason: expect.stringContaining('ACCESS_KEY_ID_HERE') as unknown });
    expect(deps.store.records.map((r) => [r.input.kind, r.input.action])).toEqual([['escalation', 'escalate:key-unparsable']]);
    expect(iam.calls()).toHaveLength(0);
  });

  it('quarantines the user of a Security Hub ConsoleLogin custom action (key null), without touching keys', async () => {
    givenUser(iam, { userName: 'kapil', keys: [{ id: LEAKED }], loginProfile: true, account: '644160558196' });
    recordMutations(new CallLog());
    const deps = makeDeps({ homeAccount: '644160558196' });
    const result = await respond(fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json'), deps);
    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'kapil', PolicyName: 'cordon-revoke-sessions' });
    expect(iam).toHaveReceivedCommandWith(AttachUserPolicyCommand, { UserName: 'kapil', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' });
    expect(iam).toHaveReceivedCommandWith(DeleteLoginProfileCommand, { UserName: 'kapil' });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });

  it('acts in a member account through the member role', async () => {
    const member = '222233334444';
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }], account: member });
    recordMutations(new CallLog());
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIAMEMBER0000000000', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2026-03-01T12:15:00Z') },
    });
    const seen: AccountAccess[] = [];
    const event = derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
    (event.detail as { accountId: string }).accountId = member;
    const sessions = new StateMachineSessions(HOME);
    const deps = makeDeps({
      sessions,
      access: (incidentId) => accountAccess({ sts: new STSClient({ region: 'us-east-1' }), homeAccount: HOME, memberRoleName: 'CordonMemberResponder' }, incidentId),
      iamFor: (access) => {
        seen.push(access);
        return new IAMClient({ region: 'us-east-1', ...(access.credentials ? { credentials: access.credentials } : {}) });
      },
    });
    const result = await respond(event, deps);
    expect(result.decision).toBe('act');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${member}:role/CordonMemberResponder`, RoleSessionName: `cordon-${result.incidentId}` });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ account: member, credentials: { accessKeyId: 'ASIAMEMBER0000000000' } });
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Inactive' });
    // The session deny in the member account: the state machine writes it through the member writer role.
    expect(sessions.requests).toEqual([{ account: member, principalType: 'user', principalName: 'alice', cutoff: CUTOFF }]);
    expect(sessions.tasks.map((t) => [t.state, t.roleArn])).toEqual([['PutMemberUserPolicy', `arn:aws:iam::${member}:role/CordonMemberSessionRevoker`]]);
  });

  it('fails the invocation (retry) when the member role exists in config but cannot be assumed now, with an error record', async () => {
    const event = derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
    (event.detail as { accountId: string }).accountId = '222233334444';
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const deps = makeDeps({ access: (incidentId) => accountAccess({ sts: new STSClient({ region: 'us-east-1' }), homeAccount: HOME, memberRoleName: 'CordonMemberResponder' }, incidentId) });
    const error = await respond(event, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientAwsError);
    expect((error as Error).message).toBe('AccountAccessError: cannot assume arn:aws:iam::222233334444:role/CordonMemberResponder in account 222233334444: Throttling: Rate exceeded');
    expectNoMutation();
    expect(deps.store.records.map((r) => [r.input.kind, r.input.action])).toEqual([['error', 'error:observe']]);
  });

  it('escalates when no member role is configured (a configuration problem, not a transient one)', async () => {
    const event = derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
    (event.detail as { accountId: string }).accountId = '222233334444';
    const deps = makeDeps({ access: (incidentId) => accountAccess({ sts: new STSClient({ region: 'us-east-1' }), homeAccount: HOME }, incidentId) });
    const result = await respond(event, deps);
    expect(result).toMatchObject({ decision: 'escalate', reason: expect.stringContaining('no member responder role is configured') as unknown });
    expectNoMutation();
  });

  it('skips an unrecognised event with a record', async () => {
    const deps = makeDeps();
    const result = await respond({ hello: 'world' }, deps);
    expect(result.decision).toBe('skip');
    expect(deps.store.records.map((r) => r.input.kind)).toEqual(['skip']);
  });
});
