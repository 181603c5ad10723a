import * as z from 'zod';
import type { EvidenceRecordView } from '../evidence/reader';
import { holdKey } from './ledger';
import { quarantinePolicyArn, REVOKE_SESSIONS_POLICY_NAME } from './policies';
import type { Hold, Step, StepDraft } from './types';

/**
 * Restore (undo), PURE, in two parts: `restoreCandidates` reads what the incident's evidence says
 * SUCCEEDED; `planRestore` decides, given who else holds each key or quarantine, what to undo.
 * - A deactivated key is re-activated, unless another open incident still holds it: then it stays
 *   inactive and the restore names that incident.
 * - A quarantine (AWSDenyAll attached) is detached on the same rule.
 * - The session deny is NEVER removed: it only denies sessions issued before its cut-off, which are
 *   the stolen ones; removing it would re-admit them. New sessions are unaffected by it.
 * - A deleted console password cannot come back (IAM never returns it): reported, not faked.
 * Everything left in place is recorded with its reason.
 */

const name = z.string().min(1);
const account = z.string().regex(/^\d{12}$/);

const revokeStepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deactivate-key'), account, userName: name, accessKeyId: name }),
  z.object({ kind: z.literal('attach-quarantine'), account, userName: name, policyArn: name }),
  z.object({ kind: z.literal('revoke-sessions'), account, principalType: z.enum(['user', 'role']), principalName: name, scope: z.enum(['principal', 'instance']), instanceArn: name.optional() }),
  z.object({
    kind: z.literal('delete-login-profile'),
    account,
    userName: name,
    loginProfile: z.object({ createDate: z.string().optional(), passwordResetRequired: z.boolean().optional() }).optional(),
  }),
]);
type RevokeStep = z.infer<typeof revokeStepSchema>;

const stepRecordDetail = z.object({ status: z.literal('succeeded'), step: z.unknown() });
const holdSchema = z.object({ account, kind: z.enum(['key', 'quarantine']), userName: name, accessKeyId: name.optional() });
const outcomeHolds = z.object({ holds: z.object({ recorded: z.array(holdSchema) }) });

export interface RestoreCandidates {
  /** What the incident holds and a restore would undo. */
  readonly holds: readonly Hold[];
  /** Every hold the incident recorded (also keys it found already inactive): released by a restore. */
  readonly recorded: readonly Hold[];
  readonly left: readonly { readonly what: string; readonly why: string }[];
  readonly notRestorable: readonly string[];
  /** Count of succeeded revocation steps found. */
  readonly revokedSteps: number;
}

export const restoreCandidates = (records: readonly EvidenceRecordView[], partition: string): RestoreCandidates => {
  const holds = new Map<string, Hold>();
  const left = new Map<string, { what: string; why: string }>();
  const notRestorable: string[] = [];
  const recorded = new Map<string, Hold>();
  let revokedSteps = 0;
  for (const record of [...records].sort((a, b) => a.seq - b.seq)) {
    if (record.kind === 'outcome' && record.mode === 'enforce') {
      const o = outcomeHolds.safeParse(record.detail);
      if (o.success) for (const h of o.data.holds.recorded) recorded.set(holdKey(h), { ...h });
    }
    if (record.kind !== 'step' || record.mode !== 'enforce') continue;
    const d = stepRecordDetail.safeParse(record.detail);
    if (!d.success) continue;
    const s = revokeStepSchema.safeParse(d.data.step);
    if (!s.success) continue; // a restore step, or not Cordon's
    revokedSteps += 1;
    const step: RevokeStep = s.data;
    switch (step.kind) {
      case 'deactivate-key': {
        const h: Hold = { account: step.account, kind: 'key', userName: step.userName, accessKeyId: step.accessKeyId };
        holds.set(holdKey(h), h);
        break;
      }
      case 'attach-quarantine':
        // Only the one fixed policy Cordon attaches is ever detached, whatever a record says.
        if (step.policyArn === quarantinePolicyArn(partition)) {
          const h: Hold = { account: step.account, kind: 'quarantine', userName: step.userName };
          holds.set(holdKey(h), h);
        }
        break;
      case 'revoke-sessions': {
        const what = `session policy ${REVOKE_SESSIONS_POLICY_NAME} on ${step.principalType} ${step.principalName} (account ${step.account})`;
        left.set(what, {
          what,
          why: 'it denies only sessions issued before its cut-off, which are the stolen ones: removing it would re-admit them; sessions issued after it are unaffected, so it is never removed',
        });
        break;
      }
      case 'delete-login-profile':
        notRestorable.push(
          `the console password of user ${step.userName} (account ${step.account}) was deleted (login profile created ${
            step.loginProfile?.createDate ?? 'at an unknown date'
          }): set a new one with CreateLoginProfile and PasswordResetRequired`,
        );
        break;
    }
  }
  return { holds: [...holds.values()], recorded: [...recorded.values()], left: [...left.values()], notRestorable, revokedSteps };
};

export interface RestorePlan {
  readonly steps: readonly Step[];
  /** Holds released once the restore succeeded (this incident stops depending on them). */
  readonly releases: readonly Hold[];
  readonly left: readonly { readonly what: string; readonly why: string }[];
  /** Keys and quarantines another open incident holds: left in place, named. */
  readonly held: readonly string[];
  readonly notRestorable: readonly string[];
}

/** `holders`: for each candidate hold (by holdKey), every incident holding it. */
export const planRestore = (candidates: RestoreCandidates, holders: ReadonlyMap<string, readonly string[]>, incidentId: string, partition: string): RestorePlan => {
  const drafts: StepDraft[] = [];
  const left = [...candidates.left];
  const held: string[] = [];
  for (const h of candidates.holds) {
    const others = (holders.get(holdKey(h)) ?? []).filter((i) => i !== incidentId);
    const what = h.kind === 'key' ? `access key ${h.accessKeyId ?? ''} of user ${h.userName} (account ${h.account})` : `quarantine (AWSDenyAll) of user ${h.userName} (account ${h.account})`;
    if (others.length > 0) {
      const why = `another open incident depends on it: ${others.join(', ')}; restore ${others.length === 1 ? 'that incident' : 'those incidents'} first`;
      held.push(`${what} stays ${h.kind === 'key' ? 'inactive' : 'in place'}: ${why}`);
      left.push({ what, why });
      continue;
    }
    drafts.push(
      h.kind === 'key'
        ? { kind: 'activate-key', account: h.account, userName: h.userName, accessKeyId: h.accessKeyId ?? '' }
        : { kind: 'detach-quarantine', account: h.account, userName: h.userName, policyArn: quarantinePolicyArn(partition) },
    );
  }
  return {
    steps: drafts.map((d, i) => ({ ...d, id: `r${i + 1}` }) as Step),
    releases: [...new Map([...candidates.recorded, ...candidates.holds].map((h) => [holdKey(h), h])).values()],
    left,
    held,
    notRestorable: candidates.notRestorable,
  };
};
