import 'aws-sdk-client-mock-jest';
import {
  AttachUserPolicyCommand,
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { planRestore, restoreCandidates } from '../../lambdas/credentials/restore';
import { respond } from '../../lambdas/credentials/respond';
import { derivedGuardDuty, givenRole, givenUser, makeDeps } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('credentials');

const iam = mockClient(IAMClient);
const LEAKED = 'AKIALEAKED0000000001';
const leak = (findingId = 'finding-1') => {
  const event = derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
  (event.detail as { id: string }).id = findingId;
  return event;
};
const restoreOf = (incidentId: string) => ({ action: 'restore', incidentId, reason: 'false positive: pentest', requestedBy: 'bob@example.com', ticket: 'SEC-7' });
const SESSION_LEFT = 'it denies only sessions issued before its cut-off, which are the stolen ones: removing it would re-admit them; sessions issued after it are unaffected, so it is never removed';

beforeEach(() => iam.reset());

describe('credential restore', () => {
  it('re-enables the key and lifts the quarantine, but leaves the session deny in place and records why', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: 'AKIAOTHER00000000002' }], loginProfile: true });
    const deps = makeDeps({ configOverrides: { quarantineUser: true } });
    const revoked = await respond(leak(), deps);
    expect(revoked.decision).toBe('act');
    iam.resetHistory();

    const restored = await respond(restoreOf(revoked.incidentId), deps);

    expect(restored.decision).toBe('act');
    expect(restored.incidentId).toBe(revoked.incidentId);
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Active' });
    expect(iam).toHaveReceivedCommandWith(DetachUserPolicyCommand, { UserName: 'alice', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' });
    // The session deny stays: removing it would re-admit the stolen sessions.
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
    expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
    expect(iam).not.toHaveReceivedCommand(AttachUserPolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteLoginProfileCommand);
    const intent = deps.store.ofKind('intent')[1];
    expect(intent).toMatchObject({ action: 'credentials:restore', actor: { requestedBy: 'bob@example.com' }, detail: { ticket: 'SEC-7' } });
    expect(intent?.detail?.leftInPlace).toEqual([{ what: `session policy cordon-revoke-sessions on user alice (account 742968239728)`, why: SESSION_LEFT }]);
    // The console password cannot come back: escalated, not faked.
    const escalation = deps.store.ofKind('escalation').find((r) => r.action === 'escalate:not-restorable');
    expect(escalation?.reason).toMatch(/console password of user alice .* was deleted .* CreateLoginProfile/);
  });

  it('respects the restore: a later automatic finding on the key escalates with the link, a person can still revoke by hand', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps({ configOverrides: { quarantineUser: true } });
    const revoked = await respond(leak(), deps);
    await respond(restoreOf(revoked.incidentId), deps);
    iam.resetHistory();

    const again = await respond(leak('finding-2'), deps);

    const reason = `restored-by-human: access key ${LEAKED} was restored by a person in incident ${revoked.incidentId} (evidence records/${revoked.incidentId}/); user alice was restored by a person in incident ${revoked.incidentId} (evidence records/${revoked.incidentId}/); an automatic finding does not revoke it again: revoke by hand if this finding changes that judgement`;
    expect(again).toMatchObject({ decision: 'escalate', reason, steps: [] });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(AttachUserPolicyCommand);
    expect((await deps.store.read(again.incidentId)).map((r) => [r.kind, r.action, r.reason])).toEqual([
      ['escalation', 'escalate:restored-by-human', reason],
    ]);

    const byHand = await respond({ action: 'revoke', accessKeyId: LEAKED, userName: 'alice', reason: 'seen again', requestedBy: 'bob@example.com' }, deps);
    expect(byHand.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Inactive' });
  });

  it('refuses to re-activate a key another open incident depends on, naming it, and re-activates it once that one is restored', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps();
    const first = await respond(leak('finding-1'), deps);
    // A second finding on the same key: the key is now inactive, the second incident holds it too.
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED, status: 'Inactive' }] });
    const second = await respond(leak('finding-2'), deps);
    expect(second.incidentId).not.toBe(first.incidentId);
    iam.resetHistory();

    const restoreFirst = await respond(restoreOf(first.incidentId), deps);

    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(restoreFirst.decision).toBe('escalate');
    const held = deps.store.records.filter((r) => r.incidentId === first.incidentId && r.input.action === 'escalate:key-held');
    expect(held.map((r) => r.input.reason)).toEqual([
      `access key ${LEAKED} of user alice (account 742968239728) stays inactive: another open incident depends on it: ${second.incidentId}; restore that incident first`,
    ]);

    // The second incident never deactivated the key itself (it found it inactive): nothing of its own to undo.
    const restoreSecond = await respond(restoreOf(second.incidentId), deps);
    expect(restoreSecond.decision).toBe('skip');
    expect(await deps.ledger.holders({ account: '742968239728', kind: 'key', userName: 'alice', accessKeyId: LEAKED })).toEqual([]);
    // Now nobody else holds it: restoring the first incident again re-activates the key.
    const again = await respond({ ...restoreOf(first.incidentId), ticket: 'SEC-8' }, deps);
    expect(again.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Active' });
  });

  it('leaves the role session deny in place: nothing to undo is a skip that says why', async () => {
    givenRole(iam, 'WebServerRole');
    const deps = makeDeps();
    const revoked = await respond(
      derivedGuardDuty({ accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAX:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' }, { instanceId: 'i-0abc1234def567890' }),
      deps,
    );
    expect(iam).toHaveReceivedCommand(PutRolePolicyCommand);
    const restored = await respond(restoreOf(revoked.incidentId), deps);
    expect(restored.decision).toBe('skip');
    expect(restored.reason).toBe(`session policy cordon-revoke-sessions on role WebServerRole (account 742968239728) left in place: ${SESSION_LEFT}`);
    expect(iam).not.toHaveReceivedCommand(DeleteRolePolicyCommand);
  });

  it('undoes only what succeeded', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    iam.on(UpdateAccessKeyCommand).rejects(new Error('AccessDenied'));
    const deps = makeDeps();
    const failed = await respond(leak(), deps).catch((e: { result: { incidentId: string } }) => e.result);
    iam.reset();
    const restored = await respond(restoreOf(failed.incidentId), deps);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(restored.decision).toBe('skip');
  });

  it('records the restore intent as dry-run in dry-run mode', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps();
    const revoked = await respond(leak(), deps);
    iam.resetHistory();
    const dry = await respond(restoreOf(revoked.incidentId), { ...deps, guardrails: { mode: async () => 'dry-run' } });
    expect(dry.decision).toBe('dry-run');
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
  });

  it('skips an incident with nothing to undo, and escalates when the evidence cannot be read or verified', async () => {
    const deps = makeDeps();
    expect(await respond(restoreOf('inc-0123456789abcdef01234567'), deps)).toMatchObject({ decision: 'skip' });
    const broken = await respond(restoreOf('inc-0123456789abcdef01234567'), { ...deps, reader: { read: async () => Promise.reject(new Error('record 3 has a bad signature')) } });
    expect(broken).toMatchObject({ decision: 'escalate', reason: 'cannot read the evidence of inc-0123456789abcdef01234567, nothing restored: Error: record 3 has a bad signature' });
    expect(iam.calls()).toHaveLength(0);
  });

  it('never detaches a policy other than the fixed deny, whatever the records say', () => {
    const forged = [
      {
        seq: 1,
        kind: 'step' as const,
        mode: 'enforce' as const,
        trigger: { source: 'manual' },
        action: 'iam:AttachUserPolicy',
        actor: { arn: 'x' },
        detail: { status: 'succeeded', step: { id: 's1', kind: 'attach-quarantine', account: '111122223333', userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
      },
    ];
    const candidates = restoreCandidates(forged, 'aws');
    expect(candidates.holds).toEqual([]);
    expect(planRestore(candidates, new Map(), 'inc-x', 'aws').steps).toEqual([]);
  });
});
