import { PutRolePolicyCommand, PutUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { REVOKE_SESSIONS_POLICY_NAME, revokeSessionsDocument } from '../../../lambdas/credentials/policies';
import type { SessionDenyRequest, SessionDenyWritten, SessionWriter } from '../../../lambdas/credentials/sessions';

/**
 * Stands in for the session revoker state machine (lib/constructs/session-revoker.ts), which moto
 * 5.2.1 cannot run: its server mode answers StartSyncExecution with NotImplementedError (500).
 * Writes what the state machine writes, in the principal's own account (the state machine assumes
 * its writer role there): the fixed policy name and `revokeSessionsDocument`, the document the
 * state machine's definition holds as literals (test/ compares the two). The credential function's
 * own code up to `SessionWriter.write` is unchanged.
 */
export class EmulatorSessionRevoker implements SessionWriter {
  constructor(private readonly iamIn: (account: string) => IAMClient) {}

  async write(request: SessionDenyRequest): Promise<SessionDenyWritten> {
    const document = JSON.stringify(
      revokeSessionsDocument({
        ...(request.cutoff ? { cutoff: request.cutoff } : {}),
        instanceArns: request.instanceArns ?? [],
        ...(request.instanceCutoff ? { instanceCutoff: request.instanceCutoff } : {}),
      }),
    );
    const iam = this.iamIn(request.account);
    const out =
      request.principalType === 'user'
        ? await iam.send(new PutUserPolicyCommand({ UserName: request.principalName, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: document }))
        : await iam.send(new PutRolePolicyCommand({ RoleName: request.principalName, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: document }));
    return { policyName: REVOKE_SESSIONS_POLICY_NAME, document, ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}) };
  }
}
