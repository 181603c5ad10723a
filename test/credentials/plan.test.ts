import type { CredentialTarget } from '../../lambdas/findings/credentials';
import { plan } from '../../lambdas/credentials/plan';
import { defaultCredentialsConfig, type CredentialsConfig, type ObservedState, type RoleState, type UserState } from '../../lambdas/credentials/types';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ctx = { now: NOW, incidentId: 'inc-000000000000000000000001' };
const ACCOUNT = '111122223333';
const config: CredentialsConfig = defaultCredentialsConfig;

const user = (overrides: Partial<UserState> = {}): UserState => ({
  kind: 'user',
  userName: 'alice',
  exists: true,
  path: '/',
  tags: {},
  keys: [
    { accessKeyId: 'AKIALEAKED0000000001', status: 'Active' },
    { accessKeyId: 'AKIAOTHER00000000002', status: 'Active' },
  ],
  loginProfile: { createDate: '2024-06-01T00:00:00.000Z', passwordResetRequired: false },
  keyOwner: 'alice',
  ...overrides,
});
const role = (overrides: Partial<RoleState> = {}): RoleState => ({ kind: 'role', roleName: 'WebServerRole', exists: true, path: '/', tags: {}, ...overrides });

const leakedKey: CredentialTarget = { kind: 'iam-user-key', account: ACCOUNT, accessKeyId: 'AKIALEAKED0000000001', userName: 'alice', userCompromised: false };
const session: CredentialTarget = { kind: 'role-session', account: ACCOUNT, roleName: 'WebServerRole', principalId: 'AROAX:i-0abc1234def567890', instanceId: 'i-0abc1234def567890' };

const one = (target: CredentialTarget, state: ObservedState, c: CredentialsConfig = config, force = false) => plan([target], [state], c, { ...ctx, force });

describe('credential plan: IAM user key', () => {
  it('deactivates THAT key only and denies older sessions; the other key and the console are untouched', () => {
    const p = one(leakedKey, user());
    expect(p.decision).toBe('act');
    expect(p.steps).toEqual([
      { id: 's1', kind: 'deactivate-key', account: ACCOUNT, userName: 'alice', accessKeyId: 'AKIALEAKED0000000001' },
      {
        id: 's2',
        kind: 'put-user-policy',
        account: ACCOUNT,
        purpose: 'revoke-sessions',
        userName: 'alice',
        policyName: 'CordonRevokeSessions-inc-000000000000000000000001',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'CordonRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00.000Z' } } },
          ],
        },
      },
    ]);
    expect(JSON.stringify(p.steps)).not.toContain('AKIAOTHER00000000002');
    expect(p.steps.some((s) => s.kind === 'delete-login-profile' || (s.kind === 'put-user-policy' && s.purpose === 'quarantine'))).toBe(false);
  });

  it('uses the time of processing as the session cut-off, whatever the finding saw', () => {
    const later = plan([leakedKey], [user()], config, { ...ctx, now: new Date('2030-01-02T03:04:05.000Z') });
    expect(later.cutoff).toBe('2030-01-02T03:04:05.000Z');
    expect(JSON.stringify(later.steps)).toContain('"aws:TokenIssueTime":"2030-01-02T03:04:05.000Z"');
  });

  it('quarantines the user (deny-all + delete console password) when configured', () => {
    const p = one(leakedKey, user(), { ...config, quarantineUser: true });
    expect(p.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'put-user-policy', 'put-user-policy', 'delete-login-profile']);
    const quarantine = p.steps.find((s) => s.kind === 'put-user-policy' && s.purpose === 'quarantine');
    expect(quarantine).toMatchObject({
      policyName: 'CordonQuarantine-inc-000000000000000000000001',
      document: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] },
    });
    expect(p.steps.find((s) => s.kind === 'delete-login-profile')).toMatchObject({ loginProfile: { createDate: '2024-06-01T00:00:00.000Z' } });
  });

  it('quarantines the user when the finding shows the user itself compromised, and notes a missing console password', () => {
    const p = one({ ...leakedKey, userCompromised: true }, user({ loginProfile: undefined }));
    expect(p.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'put-user-policy', 'put-user-policy']);
    expect(p.notes).toContain('user alice has no console password: no login profile to delete');
  });

  it('does not deactivate an already inactive key but still cuts sessions', () => {
    const p = one(leakedKey, user({ keys: [{ accessKeyId: 'AKIALEAKED0000000001', status: 'Inactive' }] }));
    expect(p.steps.map((s) => s.kind)).toEqual(['put-user-policy']);
    expect(p.notes).toContain('access key AKIALEAKED0000000001 of alice is already Inactive');
  });

  it('cuts the sessions of a temporary (ASIA) key and escalates for the long-term key that issued it', () => {
    const p = one({ ...leakedKey, accessKeyId: 'ASIATEMP000000000001' }, user());
    expect(p.steps.map((s) => s.kind)).toEqual(['put-user-policy']);
    expect(p.escalations.map((e) => e.code)).toEqual(['temporary-key']);
  });

  it('escalates a key that is not the user\'s, or owned by another user', () => {
    expect(one(leakedKey, user({ keys: [] })).escalations[0]?.code).toBe('key-owner-mismatch');
    expect(one(leakedKey, user({ keyOwner: 'mallory' })).escalations[0]?.reason).toMatch(/belongs to mallory/);
  });

  it('escalates a user that does not exist or could not be observed', () => {
    expect(one(leakedKey, user({ exists: false })).escalations[0]?.code).toBe('not-found');
    expect(one(leakedKey, { kind: 'none', reason: 'cannot observe user alice: AccessDenied' })).toMatchObject({ decision: 'escalate', escalations: [{ code: 'unresolved' }] });
  });

  it('plans one session deny for two leaked keys of one user', () => {
    const second: CredentialTarget = { ...leakedKey, accessKeyId: 'AKIAOTHER00000000002' };
    const p = plan([leakedKey, second], [user(), user()], config, ctx);
    expect(p.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'put-user-policy', 'deactivate-key']);
    expect(p.steps.map((s) => s.id)).toEqual(['s1', 's2', 's3']);
  });

  it('on a user whose key is unknown, cuts sessions and escalates unless the user is compromised', () => {
    const target: CredentialTarget = { kind: 'iam-user', account: ACCOUNT, userName: 'alice', userCompromised: false };
    const p = one(target, user());
    expect(p.steps.map((s) => s.kind)).toEqual(['put-user-policy']);
    expect(p.escalations[0]?.code).toBe('key-unknown');
    const q = one({ ...target, userCompromised: true }, user());
    expect(q.steps.map((s) => s.kind)).toEqual(['put-user-policy', 'put-user-policy', 'delete-login-profile']);
    expect(q.escalations).toEqual([]);
  });
});

describe('credential plan: role sessions', () => {
  it('denies sessions issued before now on the role', () => {
    const p = one(session, role());
    expect(p.steps).toEqual([
      {
        id: 's1',
        kind: 'put-role-policy',
        account: ACCOUNT,
        purpose: 'revoke-sessions',
        roleName: 'WebServerRole',
        policyName: 'CordonRevokeSessions-inc-000000000000000000000001',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'CordonRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': NOW.toISOString() } } },
          ],
        },
      },
    ]);
    expect(p.notes.join(' ')).toMatch(/legitimate holders included \(instance i-0abc1234def567890/);
  });
});

describe('credential plan: escalations (no step)', () => {
  it.each<[string, CredentialTarget, ObservedState, CredentialsConfig, string]>([
    ['root', { kind: 'root', account: ACCOUNT }, { kind: 'none' }, config, 'root'],
    ['federated users', { kind: 'federated', account: ACCOUNT, principalId: `${ACCOUNT}:bob` }, { kind: 'none' }, config, 'federated'],
    ['unknown user types', { kind: 'unknown-principal', account: ACCOUNT, userType: 'AWSService' }, { kind: 'none' }, config, 'unknown-principal'],
    ['service-linked roles', { ...session, roleName: 'AWSServiceRoleForSupport' }, role({ roleName: 'AWSServiceRoleForSupport', path: '/aws-service-role/support.amazonaws.com/' }), config, 'service-linked-role'],
    ['Identity Center roles', { ...session, roleName: 'AWSReservedSSO_Admin_0123456789abcdef' }, role({ roleName: 'AWSReservedSSO_Admin_0123456789abcdef', path: '/aws-reserved/sso.amazonaws.com/' }), config, 'identity-center-role'],
    ["Cordon's own roles", { ...session, roleName: 'CordonResponder' }, role({ roleName: 'CordonResponder' }), config, 'own-role'],
    ['protected roles', session, role({ tags: { 'cordon:protected': 'true' } }), config, 'protected-tag'],
    ['protected users', leakedKey, user({ tags: { 'cordon:protected': 'true' } }), config, 'protected-tag'],
    ['allowlisted users by ARN', leakedKey, user(), { ...config, allowlist: [`arn:aws:iam::${ACCOUNT}:user/alice`] }, 'allowlisted'],
    ['allowlisted roles by name', session, role(), { ...config, allowlist: ['WebServerRole'] }, 'allowlisted'],
    ['allowlisted roles by assumed-role ARN', session, role(), { ...config, allowlist: [`arn:aws:sts::${ACCOUNT}:assumed-role/WebServerRole/break-glass`] }, 'allowlisted'],
    ['a custom protected tag', leakedKey, user({ tags: { team: 'security' } }), { ...config, protectedTag: { key: 'team', value: 'security' } }, 'protected-tag'],
  ])('escalates %s', (_what, target, state, c, code) => {
    const p = one(target, state, c);
    expect(p.decision).toBe('escalate');
    expect(p.steps).toEqual([]);
    expect(p.escalations.map((e) => e.code)).toEqual([code]);
  });

  it('does not treat an allowlist ARN of another account as a match', () => {
    expect(one(leakedKey, user(), { ...config, allowlist: ['arn:aws:iam::999999999999:user/alice'] }).decision).toBe('act');
  });

  it('acts on an allowlisted principal with force, noting the override, but never on a protected one or its own roles', () => {
    const allowlisted = one(leakedKey, user(), { ...config, allowlist: ['alice'] }, true);
    expect(allowlisted.decision).toBe('act');
    expect(allowlisted.notes[0]).toMatch(/^force: acting despite: user alice is allowlisted/);
    const protectedUser = one(leakedKey, user({ tags: { 'cordon:protected': 'true' } }), config, true);
    expect(protectedUser.decision).toBe('escalate');
    expect(protectedUser.escalations.map((e) => [e.code, e.reason])).toEqual([
      [
        'protected-tag',
        'user alice carries the protected tag cordon:protected=true (force cannot override it: IAM denies Cordon any change to a protected principal; remove the tag to act)',
      ],
    ]);
    expect(one({ ...session, roleName: 'CordonResponder' }, role({ roleName: 'CordonResponder' }), config, true).decision).toBe('escalate');
  });

  it('is pure: the same inputs give the same plan', () => {
    expect(one(leakedKey, user())).toEqual(one(leakedKey, user()));
  });
});
