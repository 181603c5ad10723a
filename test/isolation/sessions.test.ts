import 'aws-sdk-client-mock-jest';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { plan } from '../../lambdas/credentials/plan';
import { defaultCredentialsConfig } from '../../lambdas/credentials/types';
import { parseCredentialEvent } from '../../lambdas/findings/credentials';
import { respond } from '../../lambdas/isolation/respond';
import { CredentialResponderSessions } from '../../lambdas/isolation/sessions';
import type { ClientsFor } from '../../lambdas/isolation/types';
import { authorizeAs } from '../support/authz';
import { INSTANCE_ID } from '../support/aws-world';
import { clientsFor, guardDutyEvent, HOME, REGION, setup } from './support';

authorizeAs('isolation');

/**
 * Isolation revokes the instance role's sessions issued to THIS instance through the credential
 * responder's own path: it looks up the role of the instance profile and sends the credential
 * function the request a responder would type, which that function parses into an instance-scoped
 * revocation (ec2:SourceInstanceARN) in the instance's region, in the incident the step links.
 */

const iam = mockClient(IAMClient);
const lambda = mockClient(LambdaClient);
const PROFILE = `arn:aws:iam::${HOME}:instance-profile/web-profile`;
const FUNCTION = 'CordonResponse-RevokeCredentials';

beforeEach(() => {
  iam.reset();
  lambda.reset();
  iam.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: {
      InstanceProfileName: 'web-profile',
      InstanceProfileId: 'AIPAEXAMPLE',
      Arn: PROFILE,
      Path: '/',
      CreateDate: new Date('2026-01-01T00:00:00Z'),
      Roles: [{ RoleName: 'web-role', RoleId: 'AROAEXAMPLE', Arn: `arn:aws:iam::${HOME}:role/web-role`, Path: '/', CreateDate: new Date('2026-01-01T00:00:00Z') }],
    },
    $metadata: { requestId: 'iam-1' },
  });
  lambda.on(InvokeCommand).resolves({ StatusCode: 202, $metadata: { requestId: 'lambda-1' } });
});

const sessions = () => new CredentialResponderSessions({ iam: new IAMClient({ region: REGION }), lambda: new LambdaClient({ region: REGION }), functionName: FUNCTION });
const REQUEST = { instanceId: INSTANCE_ID, profileArn: PROFILE, account: HOME, region: 'us-east-2', incidentId: 'inc-0123456789abcdef01234567' };

describe('revoking the instance role sessions through the credential responder', () => {
  it('looks up the role of the profile and sends the credential function the instance-scoped request, asynchronously', async () => {
    const out = await sessions().revoke(REQUEST);
    expect(iam).toHaveReceivedCommandWith(GetInstanceProfileCommand, { InstanceProfileName: 'web-profile' });
    const invoke = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke).toMatchObject({ FunctionName: FUNCTION, InvocationType: 'Event' });
    const payload = JSON.parse(new TextDecoder().decode(invoke?.Payload as Uint8Array)) as Record<string, unknown>;
    expect(payload).toEqual({
      action: 'revoke',
      roleName: 'web-role',
      instanceId: INSTANCE_ID,
      instanceRegion: 'us-east-2',
      account: HOME,
      reason: `isolation of instance ${INSTANCE_ID}: deny the sessions of role web-role issued to it before now`,
      requestedBy: 'cordon isolation inc-0123456789abcdef01234567',
      ticket: 'inc-0123456789abcdef01234567',
    });

    // The credential responder reads it as an instance-scoped revocation in the instance's region,
    // in exactly the incident the isolation's step links.
    const parsed = parseCredentialEvent(payload, { homeAccount: HOME, homeRegion: REGION, requestId: 'r-1' });
    expect(parsed).toMatchObject({ kind: 'revoke', region: 'us-east-2', incidentId: out.after.credentialsIncidentId, targets: [{ kind: 'role-session', roleName: 'web-role', instanceId: INSTANCE_ID }] });
    if (parsed.kind !== 'revoke') throw new Error('expected a revoke request');
    const p = plan(parsed.targets, [{ kind: 'role', roleName: 'web-role', exists: true, tags: {} }], defaultCredentialsConfig, { incidentId: parsed.incidentId, region: parsed.region });
    expect(p.steps).toContainEqual(expect.objectContaining({ scope: 'instance', instanceArn: `arn:aws:ec2:us-east-2:${HOME}:instance/${INSTANCE_ID}` }));
    // A region without an instance is refused by the credential responder, with the reason.
    const bad = parseCredentialEvent({ ...payload, instanceId: undefined }, { homeAccount: HOME, homeRegion: REGION });
    expect(bad).toMatchObject({ kind: 'skip', reason: expect.stringContaining('instanceRegion needs instanceId') });
    expect(out).toEqual({ requestIds: ['iam-1', 'lambda-1'], after: { roleName: 'web-role', credentialsIncidentId: parsed.incidentId, credentialsRequest: payload } });
  });

  it('fails the step, saying why, when the function does not accept the request or the profile has no role', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 500, FunctionError: 'Unhandled' });
    await expect(sessions().revoke(REQUEST)).rejects.toThrow('the credential function did not accept the request (status 500, Unhandled)');
    iam.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: 'web-profile', InstanceProfileId: 'A', Arn: PROFILE, Path: '/', CreateDate: new Date(), Roles: [] } });
    await expect(sessions().revoke(REQUEST)).rejects.toThrow(`instance profile ${PROFILE} has no role: no role sessions to revoke`);
  });

  it('is a step of the isolation, after the profile is removed, evidenced with the credential incident', async () => {
    const s = setup({ config: { revokeInstanceSessions: true } });
    const withSessions: ClientsFor = (access) => ({ ...clientsFor(access), sessions: sessions() });
    const summary = await respond(guardDutyEvent(), { ...s.deps, clientsFor: withSessions });
    expect(summary.decision).toBe('act');
    const order = s.evidence.records.filter((r) => r.kind === 'step').map((r) => (r.detail as { step: { id: string } }).step.id);
    expect(order.indexOf('revoke-instance-sessions')).toBeGreaterThan(order.indexOf('disassociate-profile'));
    const step = s.evidence.records.find((r) => r.kind === 'step' && (r.detail as { step: { id: string } }).step.id === 'revoke-instance-sessions');
    expect(step).toMatchObject({
      action: 'lambda:InvokeFunction',
      after: { roleName: 'web-role', credentialsIncidentId: expect.stringMatching(/^inc-[0-9a-f]{24}$/) },
      awsRequestIds: ['iam-1', 'lambda-1'],
      detail: { status: 'succeeded' },
    });
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
  });
});
