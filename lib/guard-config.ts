import { z } from 'zod';
import { ACCOUNT_ID, list, OU_ID, pattern } from './config-fields';

/**
 * `cordon.organization.guard`: Cordon's guard, a service control policy (lib/guard-stack.ts)
 * created where SCPs can be created (the organization's management account, or a member account
 * that is a delegated administrator for AWS Organizations policy management) and attached to the
 * security account or its OU. Unset `account`: no guard (the CordonGuard stage is not synthesized).
 */

/** An account id, an OU id or a root id: what an SCP can be attached to. */
const TARGET_ID = new RegExp(`${ACCOUNT_ID.source}|${OU_ID.source}`);

export const guardSchema = z
  .strictObject(
    {
      /** Where the SCP is created: the management account or a delegated policy administrator, never the security account. */
      account: pattern(ACCOUNT_ID, 'a 12-digit account id').optional(),
      /** What it is attached to: the security account's id, or the id of its OU. */
      targetIds: list(pattern(TARGET_ID, 'an account id, an OU id (ou-...) or a root id (r-...)')).default([]),
    },
    { error: 'must be an object' },
  )
  .superRefine((guard, ctx) => {
    if (guard.account === undefined) {
      if (guard.targetIds.length > 0) ctx.addIssue({ code: 'custom', path: ['targetIds'], input: guard.targetIds, message: 'is only used with cordon.organization.guard.account (where the SCP is created)' });
      return;
    }
    if (guard.targetIds.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['targetIds'], input: guard.targetIds, message: 'must name the security account or its OU: an SCP attached to nothing guards nothing' });
    }
    if (guard.targetIds.includes(guard.account)) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetIds'],
        input: guard.targetIds,
        message: 'must not name cordon.organization.guard.account: SCPs do not restrict the management account, and a delegated policy administrator could edit its own guard',
      });
    }
  });
