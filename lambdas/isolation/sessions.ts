import { GetInstanceProfileCommand, type IAMClient } from '@aws-sdk/client-iam';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { manualRevokeIncidentId } from '../findings/incident';
import type { InstanceSessions, InstanceSessionsRequest } from './types';

/**
 * The instance's role sessions, revoked by the credential responder (issue: "using the
 * session-revocation path of the credential responder, not a second copy of it"). Isolation only
 * finds the role of the instance profile (iam:GetInstanceProfile, in the instance's account) and
 * sends the credential function the same request a responder would type:
 * `{action:'revoke', roleName, instanceId, instanceRegion, account}`. That function evidences its
 * own intent and writes the deny through its state machine (a fixed document, scoped with
 * `ec2:SourceInstanceARN` and `aws:TokenIssueTime`), so other holders of the role keep working.
 * The invocation is asynchronous (Lambda retries it); the isolation's step record links the
 * credential incident, which holds the outcome.
 */
export class CredentialResponderSessions implements InstanceSessions {
  constructor(
    private readonly options: {
      /** IAM with the credentials of the instance's account. */
      readonly iam: Pick<IAMClient, 'send'>;
      /** Lambda of the home account, where the credential function runs. */
      readonly lambda: Pick<LambdaClient, 'send'>;
      readonly functionName: string;
    },
  ) {}

  async revoke(r: InstanceSessionsRequest): Promise<{ requestIds: string[]; after: Record<string, unknown> }> {
    const profileName = r.profileArn.split('/').at(-1) ?? '';
    const profile = await this.options.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }));
    const roleName = profile.InstanceProfile?.Roles?.[0]?.RoleName;
    if (!roleName) throw new Error(`instance profile ${r.profileArn} has no role: no role sessions to revoke`);
    const request = {
      action: 'revoke',
      roleName,
      instanceId: r.instanceId,
      instanceRegion: r.region,
      account: r.account,
      reason: `isolation of instance ${r.instanceId}: deny the sessions of role ${roleName} issued to it before now`,
      requestedBy: `cordon isolation ${r.incidentId}`,
      ticket: r.incidentId,
    };
    const out = await this.options.lambda.send(
      new InvokeCommand({ FunctionName: this.options.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(request)) }),
    );
    if (out.StatusCode !== 202) throw new Error(`the credential function did not accept the request (status ${out.StatusCode ?? 'none'}${out.FunctionError ? `, ${out.FunctionError}` : ''})`);
    return {
      requestIds: [profile.$metadata.requestId, out.$metadata.requestId].filter((id): id is string => typeof id === 'string'),
      after: { roleName, credentialsIncidentId: manualRevokeIncidentId(request), credentialsRequest: request },
    };
  }
}
