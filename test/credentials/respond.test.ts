import 'aws-sdk-client-mock-jest';
import {
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { respond } from '../../lambdas/credentials/respond';
import { accountAccess, type AccountAccess } from '../../lambdas/shared/assume';
import { CallLog, derivedGuardDuty, fixture, givenRole, givenUser, HOME, makeDeps, NOW } from './support';

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

const expectNoMutation = () => {
  expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
  expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
  expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
  expect(iam).not.toHaveReceivedCommand(DeleteLoginProfileCommand);
  expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
};

beforeEach(() => {
  iam.reset();
  sts.reset();
});

describe('credential responder: a leaked IAM user key (GuardDuty)', () => {
  it('deactivates only the leaked key of a user with two, cuts its sessions at processing time, deletes nothing', async () => {
    const log = new CallLog();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: OTHER }], loginProfile: true });
    recordMutations(log);
    const deps = makeDeps({ log });

    const result = await respond(leakedKeyEvent(), deps);

    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Inactive' });
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, {
      UserName: 'alice',
      PolicyName: `CordonRevokeSessions-${result.incidentId}`,
      PolicyDocument: sessionDeny(NOW.toISOString()),
    });
    // The cut-off is the time of processing, not the finding's eventLastSeen.
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
    expect(intent?.detail).toMatchObject({ dryRun: false, eventLastSeen: EVENT_LAST_SEEN, cutoff: NOW.toISOString() });
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
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'alice', PolicyName: `CordonQuarantine-${result.incidentId}` });
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

describe('credential responder: fault injection', () => {
  it.each([
    ['UpdateAccessKey', UpdateAccessKeyCommand, 'iam:UpdateAccessKey'],
    ['PutUserPolicy', PutUserPolicyCommand, 'iam:PutUserPolicy'],
    ['DeleteLoginProfile', DeleteLoginProfileCommand, 'iam:DeleteLoginProfile'],
  ] as const)('evidences a failing %s and still does every independent step', async (_name, command, action) => {
    const log = new CallLog();
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: OTHER }], loginProfile: true });
    recordMutations(log);
    iam.on(command as typeof UpdateAccessKeyCommand).rejects(Object.assign(new Error(`injected failure of ${action}`), { name: 'ServiceFailure' }));
    const deps = makeDeps({ log, configOverrides: { quarantineUser: true } });

    const result = await respond(leakedKeyEvent(), deps);

    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 2);
    expect(iam).toHaveReceivedCommandTimes(DeleteLoginProfileCommand, 1);
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed.length).toBe(action === 'iam:PutUserPolicy' ? 2 : 1);
    expect(failed.every((s) => s.action === action && s.error === `ServiceFailure: injected failure of ${action}`)).toBe(true);
    expect(result.steps.filter((s) => s.status === 'succeeded')).toHaveLength(4 - failed.length);
    const failedRecords = deps.store.ofKind('step').filter((r) => r.detail?.status === 'failed');
    expect(failedRecords).toHaveLength(failed.length);
    expect(failedRecords[0]).toMatchObject({ action, reason: `ServiceFailure: injected failure of ${action}` });
    expect(failedRecords[0]?.after).toBeUndefined();
    expect(deps.store.ofKind('outcome')[0]?.reason).toBe(`${failed.length} of 4 steps failed`);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });

  it('evidences a failing PutRolePolicy', async () => {
    givenRole(iam, 'WebServerRole');
    iam.on(PutRolePolicyCommand).rejects(Object.assign(new Error('policy size exceeded'), { name: 'LimitExceededException' }));
    const deps = makeDeps();
    const event = derivedGuardDuty({ accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAX:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' });
    const result = await respond(event, deps);
    expect(result.steps).toEqual([expect.objectContaining({ action: 'iam:PutRolePolicy', status: 'failed', error: 'LimitExceededException: policy size exceeded' })]);
    expect(deps.store.kinds()).toEqual(['intent', 'step', 'outcome']);
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
  it('revokes older sessions of a stolen instance role at processing time, not eventLastSeen', async () => {
    givenRole(iam, 'WebServerRole');
    recordMutations(new CallLog());
    const deps = makeDeps();
    const event = derivedGuardDuty(
      { accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAEXAMPLEROLEID:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' },
      { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', instanceId: 'i-0abc1234def567890', eventLastSeen: EVENT_LAST_SEEN },
    );
    const result = await respond(event, deps);
    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: 'WebServerRole',
      PolicyName: `CordonRevokeSessions-${result.incidentId}`,
      PolicyDocument: sessionDeny(NOW.toISOString()),
    });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
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
    ['own', 'CordonMemberResponder', {}, 'escalate:own-role'],
    ['protected', 'AppRole', { tags: { 'cordon:protected': 'true' } }, 'escalate:protected-tag'],
  ])('escalates a %s role without touching it', async (_what, roleName, options, action) => {
    givenRole(iam, roleName, options);
    const deps = makeDeps();
    const result = await respond(derivedGuardDuty({ accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAX:s', userName: roleName, userType: 'AssumedRole' }), deps);
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

  it('skips the classic Health placeholder (real fixture) with a record', async () => {
    const deps = makeDeps();
    const result = await respond(fixture('health-credentials-exposed-1.json'), deps);
    expect(result).toMatchObject({ decision: 'skip', reason: expect.stringContaining('ACCESS_KEY_ID_HERE') as unknown });
    expect(deps.store.records.map((r) => r.input.kind)).toEqual(['skip']);
  });

  it('quarantines the user of a Security Hub ConsoleLogin custom action (key null), without touching keys', async () => {
    givenUser(iam, { userName: 'kapil', keys: [{ id: LEAKED }], loginProfile: true, account: '644160558196' });
    recordMutations(new CallLog());
    const deps = makeDeps({ homeAccount: '644160558196' });
    const result = await respond(fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json'), deps);
    expect(result.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'kapil', PolicyName: `CordonRevokeSessions-${result.incidentId}` });
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'kapil', PolicyName: `CordonQuarantine-${result.incidentId}` });
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
    const deps = makeDeps({
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
  });

  it('escalates when the member role cannot be assumed', async () => {
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
