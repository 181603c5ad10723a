import 'aws-sdk-client-mock-jest';
import {
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { planRestore } from '../../lambdas/credentials/restore';
import { respond } from '../../lambdas/credentials/respond';
import { derivedGuardDuty, givenRole, givenUser, makeDeps, noSuchEntity } from './support';

const iam = mockClient(IAMClient);
const LEAKED = 'AKIALEAKED0000000001';
const leak = derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
const restoreOf = (incidentId: string) => ({ action: 'restore', incidentId, reason: 'false positive: pentest', requestedBy: 'bob@example.com', ticket: 'SEC-7' });

beforeEach(() => iam.reset());

describe('credential restore', () => {
  it('re-enables the deactivated key and removes exactly the policies Cordon created, from the evidence', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }, { id: 'AKIAOTHER00000000002' }], loginProfile: true });
    const deps = makeDeps({ configOverrides: { quarantineUser: true } });
    const revoked = await respond(leak, deps);
    expect(revoked.decision).toBe('act');
    iam.resetHistory();

    const restored = await respond(restoreOf(revoked.incidentId), deps);

    expect(restored.decision).toBe('act');
    expect(restored.incidentId).toBe(revoked.incidentId);
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'alice', AccessKeyId: LEAKED, Status: 'Active' });
    expect(iam).toHaveReceivedCommandTimes(DeleteUserPolicyCommand, 2);
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, { UserName: 'alice', PolicyName: `CordonRevokeSessions-${revoked.incidentId}` });
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, { UserName: 'alice', PolicyName: `CordonQuarantine-${revoked.incidentId}` });
    expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteLoginProfileCommand);
    // The console password cannot come back: escalated, not faked.
    const escalation = deps.store.ofKind('escalation').find((r) => r.action === 'escalate:not-restorable');
    expect(escalation?.reason).toMatch(/console password of user alice .* was deleted .* CreateLoginProfile/);
    const restoreRecords = deps.store.records.slice(6).map((r) => r.input.kind);
    expect(restoreRecords.sort()).toEqual(['escalation', 'intent', 'outcome', 'step', 'step', 'step'].sort());
    expect(deps.store.ofKind('intent')[1]).toMatchObject({ action: 'credentials:restore', actor: { requestedBy: 'bob@example.com' }, detail: { ticket: 'SEC-7' } });
  });

  it('removes the role session policy', async () => {
    givenRole(iam, 'WebServerRole');
    const deps = makeDeps();
    const revoked = await respond(derivedGuardDuty({ accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAX:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' }), deps);
    expect(iam).toHaveReceivedCommand(PutRolePolicyCommand);
    const restored = await respond(restoreOf(revoked.incidentId), deps);
    expect(restored.decision).toBe('act');
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, { RoleName: 'WebServerRole', PolicyName: `CordonRevokeSessions-${revoked.incidentId}` });
  });

  it('undoes only what succeeded', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    iam.on(UpdateAccessKeyCommand).rejects(new Error('AccessDenied'));
    const deps = makeDeps();
    const revoked = await respond(leak, deps);
    iam.reset();
    await respond(restoreOf(revoked.incidentId), deps);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).toHaveReceivedCommandTimes(DeleteUserPolicyCommand, 1);
  });

  it('treats a policy already removed as restored', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps();
    const revoked = await respond(leak, deps);
    iam.on(DeleteUserPolicyCommand).rejects(noSuchEntity('policy not found'));
    const restored = await respond(restoreOf(revoked.incidentId), deps);
    expect(restored.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(restored.steps.find((s) => s.action === 'iam:DeleteUserPolicy')?.note).toMatch(/already absent/);
  });

  it('records the restore intent as dry-run in dry-run mode', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }] });
    const deps = makeDeps();
    const revoked = await respond(leak, deps);
    iam.resetHistory();
    const dry = await respond(restoreOf(revoked.incidentId), { ...deps, guardrails: { mode: async () => 'dry-run' } });
    expect(dry.decision).toBe('dry-run');
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
  });

  it('skips an incident with nothing to undo, and escalates when the evidence cannot be read', async () => {
    const deps = makeDeps();
    expect(await respond(restoreOf('inc-0123456789abcdef01234567'), deps)).toMatchObject({ decision: 'skip' });
    const broken = await respond(restoreOf('inc-0123456789abcdef01234567'), { ...deps, reader: { read: async () => Promise.reject(new Error('not wired')) } });
    expect(broken).toMatchObject({ decision: 'escalate', reason: expect.stringContaining('not wired') as unknown });
    expect(iam.calls()).toHaveLength(0);
  });

  it('never deletes a policy Cordon did not name, whatever the records say', () => {
    const forged = [
      {
        seq: 1,
        kind: 'step' as const,
        mode: 'enforce' as const,
        trigger: { source: 'manual' },
        action: 'iam:PutUserPolicy',
        actor: { arn: 'x' },
        detail: { status: 'succeeded', step: { id: 's1', kind: 'put-user-policy', account: '111122223333', userName: 'alice', policyName: 'AdminAccess', purpose: 'quarantine' } },
      },
    ];
    expect(planRestore(forged).steps).toEqual([]);
  });
});
