import { type SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { REVOKE_SESSIONS_POLICY_NAME } from './policies';

/**
 * The session deny is written by the session revoker state machine (lib/constructs/session-revoker.ts),
 * never by this function: its definition holds the policy document, and this function's role has
 * no iam:Put*Policy at all. What the function sends is the principal and the cut-offs; the state
 * machine validates them (a Choice on their shape) and places them as condition VALUES of fixed
 * Deny statements, serialized with States.JsonToString, so no input can add a statement, an Allow,
 * or another action. An Express state machine started with StartSyncExecution: one round trip.
 */
export interface SessionDenyRequest {
  readonly account: string;
  readonly principalType: 'user' | 'role';
  readonly principalName: string;
  /** Principal-wide cut-off (ISO 8601). */
  readonly cutoff?: string;
  /** Instance-scoped: the instances of the role and their cut-off. */
  readonly instanceArns?: readonly string[];
  readonly instanceCutoff?: string;
}

export interface SessionDenyWritten {
  readonly policyName: string;
  /** The document as the state machine wrote it. */
  readonly document: string;
  readonly executionArn?: string;
  readonly requestId?: string;
}

export interface SessionWriter {
  write(request: SessionDenyRequest): Promise<SessionDenyWritten>;
}

/** The state machine did not write the policy (failed, timed out, or rejected the input). */
export class SessionRevokerError extends Error {
  override readonly name = 'SessionRevokerError';
}

export class StepFunctionsSessionWriter implements SessionWriter {
  constructor(
    private readonly sfn: Pick<SFNClient, 'send'>,
    private readonly stateMachineArn: string,
  ) {}

  async write(request: SessionDenyRequest): Promise<SessionDenyWritten> {
    const out = await this.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: this.stateMachineArn, input: JSON.stringify(request) }));
    if (out.status !== 'SUCCEEDED') {
      throw new SessionRevokerError(`session revoker ${out.status ?? 'returned no status'}: ${out.error ?? '(no error)'}: ${out.cause ?? '(no cause)'}`);
    }
    let output: { policyName?: unknown; document?: unknown } = {};
    try {
      output = JSON.parse(out.output ?? '{}') as typeof output;
    } catch {
      throw new SessionRevokerError(`session revoker succeeded but its output is not JSON: ${out.output ?? ''}`);
    }
    return {
      policyName: typeof output.policyName === 'string' ? output.policyName : REVOKE_SESSIONS_POLICY_NAME,
      document: typeof output.document === 'string' ? output.document : '',
      ...(out.executionArn ? { executionArn: out.executionArn } : {}),
      ...(out.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {}),
    };
  }
}
