import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, PutUserPolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { respond as revoke } from '../../lambdas/credentials/respond';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { respond as isolate, type RespondDeps } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig, type ClientsFor } from '../../lambdas/isolation/types';
import { accountAccess, AccountAccessError } from '../../lambdas/shared/assume';
import { derivedGuardDuty, givenUser, HOME, makeDeps, type StateMachineSessions } from '../credentials/support';
import { busyWorld, ec2Mock, installWorld, INSTANCE_ID, stsMock } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';
import { authorizeAs } from '../support/authz';

const MEMBER = '222233334444';
const ROLE = `arn:aws:iam::${MEMBER}:role/CordonMemberResponder`;
const iam = mockClient(IAMClient);
const denied = () => Object.assign(new Error(`User: arn:aws:sts::${HOME}:assumed-role/x/y is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`), { name: 'AccessDenied' });

/** The SDK client a mocked call was sent through, and the credentials and region it signs with. */
const signing = async (thisValue: unknown) => {
  const client = thisValue as EC2Client;
  const credentials = await (client.config.credentials as () => Promise<{ accessKeyId: string }>)();
  return { accessKeyId: credentials.accessKeyId, region: await client.config.region() };
};

describe('assuming the member role', () => {
  beforeAll(() => authorizeAs('isolation', 'credentials'));
  beforeEach(() => stsMock.reset());

  it('names the incident in the session, tags it, asks for 15 minutes, once per account and region', async () => {
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() } });
    const access = accountAccess({ sts: new STSClient({}), homeAccount: HOME, memberRoleName: 'CordonMemberResponder' }, 'inc-0123456789abcdef01234567');
    const [a, b] = await Promise.all([access(MEMBER, 'eu-west-1'), access(MEMBER, 'eu-west-1')]);
    await access(MEMBER, 'us-east-1');
    expect(a).toBe(b);
    expect(a).toMatchObject({ account: MEMBER, region: 'eu-west-1', assumedRoleArn: ROLE, credentials: { accessKeyId: 'ASIA1' } });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: ROLE,
      RoleSessionName: 'cordon-inc-0123456789abcdef01234567',
      DurationSeconds: 900,
      Tags: [{ Key: 'cordon:incident', Value: 'inc-0123456789abcdef01234567' }],
    });
  });

  it('rejects a denied AssumeRole with an error naming the account and the role', async () => {
    stsMock.on(AssumeRoleCommand).rejects(denied());
    const access = accountAccess({ sts: new STSClient({}), homeAccount: HOME, memberRoleName: 'CordonMemberResponder' }, 'inc-1');
    const error = await access(MEMBER, 'eu-west-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountAccessError);
    expect((error as Error).message).toContain(`cannot assume ${ROLE} in account ${MEMBER}: AccessDenied`);
  });
});

describe('isolation in a member account', () => {
  beforeAll(() => authorizeAs('isolation'));
  const clientsFor: ClientsFor = (access) => {
    const options = { region: access.region, ...(access.credentials ? { credentials: access.credentials } : {}) };
    return { ec2: new EC2Client(options), autoScaling: new AutoScalingClient(options), elbv2: new ElasticLoadBalancingV2Client(options), elb: new ElasticLoadBalancingClient(options) };
  };
  const setup = () => {
    const harness = installWorld(busyWorld());
    const evidence = new RecordingEvidenceWriter();
    const deps: RespondDeps = {
      evidence,
      guardrails: fixedGuardrails('enforce'),
      clientsFor,
      sts: new STSClient({ region: 'eu-central-1' }),
      homeAccount: HOME,
      homeRegion: 'eu-central-1',
      memberRoleName: 'CordonMemberResponder',
      config: defaultIsolationConfig,
      actor: { arn: `arn:aws:lambda:eu-central-1:${HOME}:function:cordon-isolate`, requestId: 'req-1' },
    };
    return { ...harness, evidence, deps };
  };
  const finding = () => {
    const event = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
      account: string;
      detail: { accountId: string; region: string; arn: string; resource: { instanceDetails: { instanceId: string } }; service: { additionalInfo: Record<string, unknown> } };
    };
    event.account = HOME; // the delegated administrator emitted it
    event.detail.accountId = MEMBER;
    event.detail.region = 'eu-west-1';
    event.detail.arn = '';
    event.detail.resource.instanceDetails.instanceId = INSTANCE_ID;
    event.detail.service.additionalInfo.sample = false;
    return event;
  };

  it('makes every call with the member role’s credentials, in the finding’s region, and evidences the role', async () => {
    const s = setup();
    const summary = await isolate(finding(), s.deps);
    expect(summary.decision).toBe('act');
    const calls = ec2Mock.calls() as { thisValue: unknown }[];
    expect(calls.length).toBeGreaterThan(5);
    for (const call of calls) expect(await signing(call.thisValue)).toEqual({ accessKeyId: 'ASIAMEMBER', region: 'eu-west-1' });
    for (const record of s.evidence.records.filter((r) => r.kind !== 'skip')) {
      expect(record.target).toMatchObject({ account: MEMBER, region: 'eu-west-1' });
    }
    expect(s.evidence.records.find((r) => r.kind === 'intent')?.actor.assumedRoleArn).toBe(ROLE);
  });

  it('escalates a denied AssumeRole with evidence naming the account, without retrying or calling EC2', async () => {
    const s = setup();
    stsMock.on(AssumeRoleCommand).rejects(denied());
    const summary = await isolate(finding(), s.deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'account-access' });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(ec2Mock.calls()).toHaveLength(0);
    const [record] = s.evidence.records;
    expect(s.evidence.records).toHaveLength(1);
    expect(record).toMatchObject({ kind: 'escalation', action: 'escalate:account-access', target: { account: MEMBER, region: 'eu-west-1' } });
    expect(record?.reason).toContain(`cannot assume ${ROLE} in account ${MEMBER}: AccessDenied`);
  });
});

describe('credential revocation in a member account', () => {
  beforeAll(() => authorizeAs('credentials'));
  const LEAKED = 'AKIALEAKED0000000001';
  const memberEvent = () => {
    const event = derivedGuardDuty({ accessKeyId: LEAKED, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' });
    (event.detail as { accountId: string; region: string }).accountId = MEMBER;
    (event.detail as { region: string }).region = 'eu-west-1';
    event.region = 'eu-west-1';
    return event;
  };
  const deps = () =>
    makeDeps({
      access: (incidentId) => accountAccess({ sts: new STSClient({ region: 'eu-central-1' }), homeAccount: HOME, memberRoleName: 'CordonMemberResponder' }, incidentId),
      iamFor: (access) => new IAMClient({ region: 'us-east-1', ...(access.credentials ? { credentials: access.credentials } : {}) }),
    });
  beforeEach(() => {
    iam.reset();
    stsMock.reset();
  });

  it('makes every IAM call with the member role’s credentials and names account, region and role in the evidence', async () => {
    givenUser(iam, { userName: 'alice', keys: [{ id: LEAKED }], account: MEMBER });
    iam.on(UpdateAccessKeyCommand).resolves({});
    iam.on(PutUserPolicyCommand).resolves({});
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAMEMBER', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() } });
    const d = deps();
    const result = await revoke(memberEvent(), d);

    expect(result.decision).toBe('act');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    // Every call of the function; the session deny is written by the session revoker, with the member writer role.
    const calls = (iam.calls() as { thisValue: unknown; args: { constructor: { name: string } }[] }[]).filter((c) => c.args[0]?.constructor.name !== 'PutUserPolicyCommand');
    expect(calls.length).toBeGreaterThan(2);
    for (const call of calls) expect((await signing(call.thisValue)).accessKeyId).toBe('ASIAMEMBER');
    expect((d.sessions as StateMachineSessions).tasks.map((t) => t.roleArn)).toEqual([`arn:aws:iam::${MEMBER}:role/CordonMemberSessionRevoker`]);
    const acted = d.store.records.map((r) => r.input).filter((r) => ['intent', 'step', 'outcome'].includes(r.kind));
    expect(acted.length).toBeGreaterThanOrEqual(3);
    for (const record of acted) {
      expect(record.target).toMatchObject({ account: MEMBER, region: 'eu-west-1' });
      expect(record.actor.assumedRoleArn).toBe(ROLE);
    }
  });

  it('fails the invocation on a denied AssumeRole (retried, never decided for good), with an error record naming the account, calling no IAM', async () => {
    stsMock.on(AssumeRoleCommand).rejects(denied());
    const d = deps();
    await expect(revoke(memberEvent(), d)).rejects.toThrow(`cannot assume ${ROLE} in account ${MEMBER}: AccessDenied`);
    expect(iam.calls()).toHaveLength(0);
    const error = d.store.records.map((r) => r.input).find((r) => r.kind === 'error');
    expect(error).toMatchObject({ action: 'error:observe', target: { account: MEMBER } });
    expect(error?.reason).toContain(MEMBER);
  });
});
