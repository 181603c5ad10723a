import { z } from 'zod';
import { QUARANTINE_PREFIX, REVOKE_SESSIONS_PREFIX } from './policies';
import type { EvidenceRecordView } from '../evidence/reader';
import type { Step, StepDraft } from './types';

/**
 * Restore (undo) plan, PURE: from the evidence of a revocation, the inverse of every step that
 * SUCCEEDED — re-enable the keys Cordon deactivated, delete the exact inline policies Cordon put.
 * A deleted console password cannot come back (IAM never returns it): that is reported, not faked.
 */

const name = z.string().min(1);
const account = z.string().min(1);

/** Only policies Cordon names itself are ever deleted by a restore. */
const cordonPolicy = name.refine((n) => n.startsWith(REVOKE_SESSIONS_PREFIX) || n.startsWith(QUARANTINE_PREFIX), {
  error: 'not a policy name Cordon creates',
});

const revokeStepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deactivate-key'), account, userName: name, accessKeyId: name }),
  z.object({ kind: z.literal('put-user-policy'), account, userName: name, policyName: cordonPolicy }),
  z.object({ kind: z.literal('put-role-policy'), account, roleName: name, policyName: cordonPolicy }),
  z.object({
    kind: z.literal('delete-login-profile'),
    account,
    userName: name,
    loginProfile: z.object({ createDate: z.string().optional(), passwordResetRequired: z.boolean().optional() }).optional(),
  }),
]);

const stepRecordDetail = z.object({ status: z.literal('succeeded'), step: z.unknown() });

export interface RestorePlan {
  readonly steps: readonly Step[];
  /** What cannot be undone automatically, for the escalation record. */
  readonly notRestorable: readonly string[];
  /** Count of succeeded revocation steps found. */
  readonly revokedSteps: number;
}

export const planRestore = (records: readonly EvidenceRecordView[]): RestorePlan => {
  const drafts: StepDraft[] = [];
  const notRestorable: string[] = [];
  const seen = new Set<string>();
  let revokedSteps = 0;
  for (const record of [...records].sort((a, b) => a.seq - b.seq)) {
    if (record.kind !== 'step' || record.mode !== 'enforce') continue;
    const d = stepRecordDetail.safeParse(record.detail);
    if (!d.success) continue;
    const s = revokeStepSchema.safeParse(d.data.step);
    if (!s.success) continue; // a restore step, or not Cordon's
    revokedSteps += 1;
    const step = s.data;
    let undo: StepDraft | undefined;
    switch (step.kind) {
      case 'deactivate-key':
        undo = { kind: 'activate-key', account: step.account, userName: step.userName, accessKeyId: step.accessKeyId };
        break;
      case 'put-user-policy':
        undo = { kind: 'delete-user-policy', account: step.account, userName: step.userName, policyName: step.policyName };
        break;
      case 'put-role-policy':
        undo = { kind: 'delete-role-policy', account: step.account, roleName: step.roleName, policyName: step.policyName };
        break;
      case 'delete-login-profile':
        notRestorable.push(
          `the console password of user ${step.userName} (account ${step.account}) was deleted (login profile created ${
            step.loginProfile?.createDate ?? 'at an unknown date'
          }): set a new one with CreateLoginProfile and PasswordResetRequired`,
        );
        break;
    }
    if (undo) {
      const key = JSON.stringify(undo);
      if (!seen.has(key)) {
        seen.add(key);
        drafts.push(undo);
      }
    }
  }
  return { steps: drafts.map((d, i) => ({ ...d, id: `r${i + 1}` }) as Step), notRestorable, revokedSteps };
};
