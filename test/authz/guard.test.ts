import { CORPUS_HOME, CORPUS_MEMBER } from '../../lib/authz/corpus';
import { confinedVerdict } from '../../lib/authz/confined';
import { administrator, authorizer, type Authorizer, type Verdict } from '../../lib/authz/evaluate';
import { corpusContext } from '../../lib/authz/must-deny';
import { FULL_AWS_ACCESS, scpLevels, type ScpFacts } from '../../lib/authz/scp';

/**
 * The guard SCP (lib/guard-policy.ts) as the harness evaluates it: it must not refuse the
 * principals that keep Cordon (every deploy runs as CloudFormation's execution role), it applies
 * where it is attached, and the corpus's confinement rule follows its entries.
 */

let authz: Authorizer;
beforeAll(async () => {
  authz = await authorizer(CORPUS_HOME);
});

describe('the guard SCP in the harness', () => {
  it('is read from the synthesized CordonGuard stack, attached to the security account', () => {
    const [scp, ...others] = authz.deployment(CORPUS_MEMBER).serviceControlPolicies;
    expect(others).toEqual([]);
    expect(scp!.name).toBe('cordon-guard');
    expect(scp!.targetIds).toEqual([CORPUS_HOME.account]);
  });

  it('lets CloudFormation’s execution role deploy Cordon: change the session revoker, pass and re-trust its roles, create writer roles, update functions', async () => {
    const cfnExec = administrator(CORPUS_HOME.account, `cdk-hnb659fds-cfn-exec-role-${CORPUS_HOME.account}-${CORPUS_HOME.region}`);
    const c = corpusContext(authz.deployment(CORPUS_MEMBER), CORPUS_HOME, CORPUS_HOME.account);
    const requests = [
      { action: 'states:UpdateStateMachine', resource: c.sessionRevoker },
      { action: 'states:DeleteStateMachine', resource: c.sessionRevoker },
      { action: 'iam:PassRole', resource: c.sessionRevokerRole, context: { 'iam:PassedToService': 'states.amazonaws.com' } },
      { action: 'iam:UpdateAssumeRolePolicy', resource: c.evidenceWriterRole },
      { action: 'iam:CreateRole', resource: `arn:aws:iam::${CORPUS_HOME.account}:role/cordon/evidence-writer/cordon-checkpoint-writer` },
      { action: 'lambda:UpdateFunctionCode', resource: c.manualFunction },
    ];
    const verdicts = await Promise.all(requests.map((r) => authz.evaluate(cfnExec, r)));
    expect(verdicts.map((v) => [v.action, v.allowed, v.explanation])).toEqual(
      requests.map((r) => [r.action, true, 'allowed by identity policy arn:aws:iam::aws:policy/AdministratorAccess statement #1']),
    );
  });

  it('refuses the same requests to another administrator of the security account', async () => {
    const c = corpusContext(authz.deployment(CORPUS_MEMBER), CORPUS_HOME, CORPUS_HOME.account);
    const v = await authz.evaluate(administrator(CORPUS_HOME.account, 'Deployer'), { action: 'states:UpdateStateMachine', resource: c.sessionRevoker });
    expect([v.allowed, v.explanation]).toEqual([false, 'denied by scp policy cordon-guard statement CordonSessionRevokerDefinition']);
  });
});

describe('scpLevels', () => {
  const guard = (targetIds: string[]): ScpFacts => ({ name: 'cordon-guard', targetIds, policy: { Version: '2012-10-17', Statement: [] } });
  const named = (levels: ReturnType<typeof scpLevels>) => levels.map((l) => [l.orgIdentifier, l.policies.map((p) => p.name)]);

  it('puts an account target at the account’s level, below a root that allows everything', () => {
    expect(named(scpLevels([guard(['111111111111'])], '111111111111', '111111111111'))).toEqual([
      ['r-root', ['FullAWSAccess']],
      ['111111111111', ['FullAWSAccess', 'cordon-guard']],
    ]);
    expect(scpLevels([guard(['111111111111'])], '111111111111', '111111111111')[0]!.policies[0]).toBe(FULL_AWS_ACCESS);
  });

  it('applies an OU or root target to the security account only (the OU the configuration names for it)', () => {
    expect(named(scpLevels([guard(['ou-ab12-cdef3456'])], '111111111111', '111111111111'))).toEqual([
      ['r-root', ['FullAWSAccess']],
      ['ou-ab12-cdef3456', ['FullAWSAccess', 'cordon-guard']],
      ['111111111111', ['FullAWSAccess']],
    ]);
    expect(named(scpLevels([guard(['r-ab12'])], '111111111111', '111111111111'))).toEqual([
      ['r-ab12', ['FullAWSAccess', 'cordon-guard']],
      ['111111111111', ['FullAWSAccess']],
    ]);
    expect(scpLevels([guard(['ou-ab12-cdef3456'])], '222222222222', '111111111111')).toEqual([]);
  });

  it('evaluates no SCP for an account nothing is attached above', () => {
    expect(scpLevels([guard(['111111111111'])], '222222222222', '111111111111')).toEqual([]);
    expect(scpLevels([], '111111111111', '111111111111')).toEqual([]);
  });
});

describe('confinedVerdict', () => {
  const put: Verdict = {
    allowed: true,
    principal: 'session-revoker',
    principalArn: 'arn:aws:iam::111111111111:role/CordonResponse-SessionRevokerRole',
    action: 'iam:PutRolePolicy',
    resource: 'arn:aws:iam::111111111111:role/Admin',
    explanation: 'allowed by identity policy P statement WriteSessionDeny',
  };
  const closed = new Map<string, string[]>(
    ['assume-session-revoker-role', 'retrust-session-revoker-role', 'pass-session-revoker-role', 'change-session-revoker-definition', 'delete-session-revoker'].map((id) => [id, []]),
  );

  it('refuses a confined principal its document when every confinement path is refused', () => {
    const v = confinedVerdict(put, closed);
    expect(v.allowed).toBe(false);
    expect(v.explanation).toBe(
      'refused as a document of its choosing: IAM allowed by identity policy P statement WriteSessionDeny, but only the session revoker state machine runs with this role (trusted by Step Functions for its ARN only), and its definition fixes the document, and every way to run another is refused (assume-session-revoker-role, retrust-session-revoker-role, pass-session-revoker-role, change-session-revoker-definition, delete-session-revoker)',
    );
  });

  it('leaves it allowed, naming the open paths, when one path is allowed or was not evaluated', () => {
    const open = new Map(closed).set('change-session-revoker-definition', ['admin']);
    open.delete('delete-session-revoker');
    const v = confinedVerdict(put, open);
    expect([v.allowed, v.explanation]).toEqual([
      true,
      'allowed by identity policy P statement WriteSessionDeny; the definition does not confine it: change-session-revoker-definition allowed to admin; delete-session-revoker not evaluated',
    ]);
  });

  it('leaves other principals and refused verdicts as they are', () => {
    expect(confinedVerdict({ ...put, principal: 'credentials' }, closed)).toEqual({ ...put, principal: 'credentials' });
    expect(confinedVerdict({ ...put, allowed: false }, closed)).toEqual({ ...put, allowed: false });
  });
});
