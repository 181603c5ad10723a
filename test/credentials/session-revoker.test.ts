import { revokeSessionsDocument } from '../../lambdas/credentials/policies';
import { SESSION_WRITER_ROLE_NAME } from '../../lambdas/shared/names';
import { templates } from '../lib/app';
import { runStates, StatesFailure, type TaskCall } from '../support/states';

/**
 * The session revoker as synthesized: its definition, taken from the response stack's template
 * (intrinsics resolved for one account), run by the ASL interpreter. The function only names a
 * principal and cut-offs; these tests show the document is the definition's, whatever the input.
 */

const HOME = '111122223333';
const MEMBER = '444455556666';
const CUTOFF = '2026-03-01T12:00:30.000Z';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Resolves Fn::Join / Ref of the pseudo parameters (the only intrinsics in the definition). */
const resolve = (v: unknown): unknown => {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  if (o.Ref === 'AWS::Partition') return 'aws';
  if (o.Ref === 'AWS::AccountId') return HOME;
  if (o.Ref === 'AWS::Region') return 'us-east-1';
  throw new Error(`unexpected intrinsic in the definition: ${JSON.stringify(v)}`);
};

let definition: Record<string, unknown>;
let resources: Resources;
beforeAll(() => {
  const { response } = templates({ memberAccounts: [MEMBER] });
  resources = response.toJSON().Resources as Resources;
  const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1 || machines[0]?.Properties.StateMachineType !== 'EXPRESS') throw new Error('expected one EXPRESS state machine in the response stack');
  definition = JSON.parse(String(resolve(machines[0]?.Properties.DefinitionString))) as Record<string, unknown>;
});

const run = async (input: unknown) => {
  const tasks: TaskCall[] = [];
  const { output } = await runStates(definition, input, async (call) => {
    tasks.push(call);
    return {};
  });
  return { output: output as { policyName: string; document: string }, tasks };
};

describe('session revoker (synthesized definition)', () => {
  it('writes the instance-scoped deny on a role: only sessions issued to those instances before the cut-off', async () => {
    const arn = `arn:aws:ec2:us-east-1:${HOME}:instance/i-0abc1234def567890`;
    const { output, tasks } = await run({ account: HOME, principalType: 'role', principalName: 'WebServerRole', instanceArns: [arn], instanceCutoff: CUTOFF });
    expect(tasks).toEqual([
      {
        state: 'PutRolePolicy',
        resource: 'arn:aws:states:::aws-sdk:iam:putRolePolicy',
        parameters: { RoleName: 'WebServerRole', PolicyName: 'cordon-revoke-sessions', PolicyDocument: JSON.stringify(revokeSessionsDocument({ instanceArns: [arn], instanceCutoff: CUTOFF })) },
      },
    ]);
    expect(JSON.parse(output.document)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CordonRevokeInstanceSessions',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'ec2:SourceInstanceARN': [arn] }, DateLessThan: { 'aws:TokenIssueTime': CUTOFF } },
        },
      ],
    });
    expect(output.policyName).toBe('cordon-revoke-sessions');
  });

  it.each([
    ['a user', { principalType: 'user', principalName: 'alice', cutoff: CUTOFF }, 'PutUserPolicy', { cutoff: CUTOFF, instanceArns: [] }],
    ['a role, role-wide', { principalType: 'role', principalName: 'App', cutoff: CUTOFF }, 'PutRolePolicy', { cutoff: CUTOFF, instanceArns: [] }],
    [
      'a role, role-wide and instances',
      { principalType: 'role', principalName: 'App', cutoff: CUTOFF, instanceArns: ['arn:aws:ec2:us-east-1:1:instance/i-1', 'arn:aws:ec2:us-east-1:1:instance/i-2'], instanceCutoff: '2026-02-01T00:00:00Z' },
      'PutRolePolicy',
      { cutoff: CUTOFF, instanceArns: ['arn:aws:ec2:us-east-1:1:instance/i-1', 'arn:aws:ec2:us-east-1:1:instance/i-2'], instanceCutoff: '2026-02-01T00:00:00Z' },
    ],
  ])('writes the document the domain expects for %s', async (_what, input, state, expected) => {
    const { tasks } = await run({ account: HOME, ...input });
    expect(tasks.map((t) => t.state)).toEqual([state]);
    expect((tasks[0]?.parameters as { PolicyDocument: string }).PolicyDocument).toBe(JSON.stringify(revokeSessionsDocument(expected)));
  });

  it('writes in a member account through the member writer role, which it builds from the account alone', async () => {
    const { tasks } = await run({ account: MEMBER, principalType: 'user', principalName: 'alice', cutoff: CUTOFF });
    expect(tasks.map((t) => [t.state, t.roleArn])).toEqual([['PutMemberUserPolicy', `arn:aws:iam::${MEMBER}:role/${SESSION_WRITER_ROLE_NAME}`]]);
  });

  it.each([
    ['no cut-off at all', { principalType: 'user', principalName: 'alice' }],
    ['a cut-off that is not a timestamp', { principalType: 'user', principalName: 'alice', cutoff: 'yesterday' }],
    ['instances on a user', { principalType: 'user', principalName: 'alice', instanceArns: ['arn:aws:ec2:us-east-1:1:instance/i-1'], instanceCutoff: CUTOFF }],
    ['instances without their cut-off', { principalType: 'role', principalName: 'App', instanceArns: ['arn:aws:ec2:us-east-1:1:instance/i-1'] }],
    ['a principal type it does not know', { principalType: 'group', principalName: 'admins', cutoff: CUTOFF }],
    ['a principal name that is not a string', { principalType: 'user', principalName: { Ref: 'x' }, cutoff: CUTOFF }],
  ])('rejects %s (Cordon.InvalidInput) and writes nothing', async (_what, input) => {
    const tasks: TaskCall[] = [];
    const failure = await runStates(definition, { account: HOME, ...input }, async (call) => {
      tasks.push(call);
      return {};
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StatesFailure);
    expect((failure as StatesFailure).error).toBe('Cordon.InvalidInput');
    expect(tasks).toEqual([]);
  });

  it('cannot be made to grant: a caller cannot pre-seed statements nor break out of a condition value', async () => {
    const allow = { Sid: 'Backdoor', Effect: 'Allow', Action: '*', Resource: '*' };
    const { tasks } = await run({
      account: HOME,
      principalType: 'role',
      principalName: 'App',
      instanceArns: ['"}]},{"Effect":"Allow","Action":"*","Resource":"*'],
      instanceCutoff: CUTOFF,
      principalStatement: allow,
      document: { Version: '2012-10-17', Statement: [allow] },
    });
    const document = JSON.parse((tasks[0]?.parameters as { PolicyDocument: string }).PolicyDocument) as { Statement: { Effect: string; Action: string; Sid: string }[] };
    expect(document.Statement.map((s) => [s.Sid, s.Effect, s.Action])).toEqual([['CordonRevokeInstanceSessions', 'Deny', '*']]);
  });

  it('gives the state machine role Put*Policy with denies on Cordon\'s own roles by exact ARN, and the member writer role only', () => {
    const role = Object.entries(resources).find(([id, r]) => id.startsWith('SessionRevokerRole') && r.Type === 'AWS::IAM::Role')?.[0];
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${role ?? 'none'}"`));
    const statements = (policy?.Properties.PolicyDocument as { Statement: { Sid?: string; Effect: string; Action: unknown; Resource: unknown }[] }).Statement;
    expect(statements.find((s) => s.Sid === 'WriteSessionDeny')).toMatchObject({ Effect: 'Allow', Action: ['iam:PutRolePolicy', 'iam:PutUserPolicy'] });
    const own = statements.find((s) => s.Sid === 'NeverWriteOnOwnServiceOrSsoRoles');
    const resourcesOf = JSON.stringify(own?.Resource);
    for (const fn of ['CheckpointRole', 'IsolateInstanceRole', 'RevokeCredentialsRole', 'SessionRevokerRole']) expect(resourcesOf).toContain(fn);
    expect(resourcesOf).not.toContain('Cordon*');
    expect(resourcesOf).not.toContain('role/cordon/*');
    expect(statements.find((s) => s.Sid === 'AssumeListedMemberWriter')?.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${MEMBER}:role/${SESSION_WRITER_ROLE_NAME}`]],
    });
  });
});
