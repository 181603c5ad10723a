import {
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, EvidenceWriter, Mode, Trigger } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { isNoSuchEntity } from './observe';
import { actionOf, stepTarget } from './policies';
import type { Step } from './types';

/**
 * Execute: the mutating IAM calls of a plan, with injected clients. Every step is independent of
 * the others (a key, a policy, a login profile), so all run in parallel (Promise.allSettled): a
 * failure never stops the rest. Each outcome is evidenced as a `step` record as soon as it is known.
 */

export interface StepResult {
  readonly step: Step;
  readonly status: 'succeeded' | 'failed';
  readonly requestId?: string;
  readonly error?: string;
  readonly note?: string;
  /** Key of the step's evidence record (absent if that append failed; the outcome record still lists it). */
  readonly evidenceKey?: string;
}

export interface ExecuteDeps {
  /** IAM client for the step's account (cross-account via the member role). */
  readonly iamFor: (account: string) => Promise<IAMClient>;
  readonly evidence: EvidenceWriter;
  readonly incidentId: string;
  readonly mode: Mode;
  readonly trigger: Trigger;
  readonly actor: Actor;
  readonly logger?: Logger;
}

const send = async (iam: IAMClient, step: Step): Promise<{ requestId?: string; note?: string }> => {
  // `$metadata` is always set by the SDK; tolerate stubs that omit it.
  const req = (out: { $metadata?: { requestId?: string } } | undefined) => (out?.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {});
  switch (step.kind) {
    case 'deactivate-key':
      return req(await iam.send(new UpdateAccessKeyCommand({ UserName: step.userName, AccessKeyId: step.accessKeyId, Status: 'Inactive' })));
    case 'activate-key':
      return req(await iam.send(new UpdateAccessKeyCommand({ UserName: step.userName, AccessKeyId: step.accessKeyId, Status: 'Active' })));
    case 'put-user-policy':
      return req(
        await iam.send(new PutUserPolicyCommand({ UserName: step.userName, PolicyName: step.policyName, PolicyDocument: JSON.stringify(step.document) })),
      );
    case 'put-role-policy':
      return req(
        await iam.send(new PutRolePolicyCommand({ RoleName: step.roleName, PolicyName: step.policyName, PolicyDocument: JSON.stringify(step.document) })),
      );
    case 'delete-login-profile':
      return req(await iam.send(new DeleteLoginProfileCommand({ UserName: step.userName })));
    case 'delete-user-policy':
      try {
        return req(await iam.send(new DeleteUserPolicyCommand({ UserName: step.userName, PolicyName: step.policyName })));
      } catch (error) {
        if (isNoSuchEntity(error)) return { note: `policy ${step.policyName} was already absent from user ${step.userName}` };
        throw error;
      }
    case 'delete-role-policy':
      try {
        return req(await iam.send(new DeleteRolePolicyCommand({ RoleName: step.roleName, PolicyName: step.policyName })));
      } catch (error) {
        if (isNoSuchEntity(error)) return { note: `policy ${step.policyName} was already absent from role ${step.roleName}` };
        throw error;
      }
  }
};

/** State before and after a step, for the evidence record. */
export const beforeAfter = (step: Step): { before: unknown; after: unknown } => {
  switch (step.kind) {
    case 'deactivate-key':
      return { before: { accessKeyId: step.accessKeyId, status: 'Active' }, after: { accessKeyId: step.accessKeyId, status: 'Inactive' } };
    case 'activate-key':
      return { before: { accessKeyId: step.accessKeyId, status: 'Inactive' }, after: { accessKeyId: step.accessKeyId, status: 'Active' } };
    case 'put-user-policy':
    case 'put-role-policy':
      return { before: { policyName: step.policyName, present: false }, after: { policyName: step.policyName, document: step.document } };
    case 'delete-login-profile':
      // The fact that a console password existed is evidence; the password itself is gone for good.
      return { before: { loginProfile: { exists: true, ...step.loginProfile } }, after: { loginProfile: { exists: false } } };
    case 'delete-user-policy':
    case 'delete-role-policy':
      return { before: { policyName: step.policyName, present: true }, after: { policyName: step.policyName, present: false } };
  }
};

const runOne = async (step: Step, deps: ExecuteDeps): Promise<StepResult> => {
  let result: StepResult;
  try {
    const iam = await deps.iamFor(step.account);
    const out = await send(iam, step);
    result = { step, status: 'succeeded', ...out };
  } catch (error) {
    result = { step, status: 'failed', error: errorMessage(error) };
    deps.logger?.error('credential step failed', { step: step.id, action: actionOf(step), error: errorMessage(error) });
  }
  const { before, after } = beforeAfter(step);
  try {
    const stored = await deps.evidence.append(deps.incidentId, {
      kind: 'step',
      mode: deps.mode,
      trigger: deps.trigger,
      target: stepTarget(step),
      action: actionOf(step),
      before,
      ...(result.status === 'succeeded' ? { after } : {}),
      ...(result.requestId ? { awsRequestIds: [result.requestId] } : {}),
      actor: deps.actor,
      ...(result.error ? { reason: result.error } : result.note ? { reason: result.note } : {}),
      detail: {
        step,
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
        ...(result.note ? { note: result.note } : {}),
      } as unknown as Record<string, unknown>,
    });
    return { ...result, evidenceKey: stored.key };
  } catch (error) {
    deps.logger?.error('step evidence append failed', { step: step.id, error: errorMessage(error) });
    return result;
  }
};

/** Runs every step in parallel; never rejects. */
export const execute = async (steps: readonly Step[], deps: ExecuteDeps): Promise<StepResult[]> => {
  const settled = await Promise.allSettled(steps.map((s) => runOne(s, deps)));
  return settled.map((r, i) =>
    r.status === 'fulfilled' ? r.value : { step: steps[i] as Step, status: 'failed' as const, error: errorMessage(r.reason) },
  );
};
