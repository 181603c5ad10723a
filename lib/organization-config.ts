import { z } from 'zod';
import { ACCOUNT_ID, BUCKET_NAME, bool, int, pattern, REGION } from './config-fields';
import { guardSchema } from './guard-config';

/** `cordon.organization` and `cordon.anchor`: what an organization-wide deployment adds. */

export const REGION_CONCURRENCY_TYPES = ['SEQUENTIAL', 'PARALLEL'] as const;
export const CALL_AS = ['SELF', 'DELEGATED_ADMIN'] as const;
export const GUARDDUTY_AUTO_ENABLE = ['NEW', 'ALL'] as const;

/** Organization-wide deployment (lib/organization-stack.ts); used only when organizationId is set. */
export const organizationSchema = z.strictObject(
  {
    /** Operation preferences of the member responder role's StackSet. */
    stackSet: z
      .strictObject(
        {
          failureTolerancePercentage: int(0, 100).default(10),
          maxConcurrentPercentage: int(1, 100).default(25),
          regionConcurrencyType: z
            .enum(REGION_CONCURRENCY_TYPES, { error: `must be one of ${REGION_CONCURRENCY_TYPES.join(', ')}` })
            .default('PARALLEL'),
          /** `DELEGATED_ADMIN` when the security account is a StackSets delegated administrator. */
          callAs: z.enum(CALL_AS, { error: `must be one of ${CALL_AS.join(', ')}` }).default('DELEGATED_ADMIN'),
        },
        { error: 'must be an object' },
      )
      .prefault({}),
    /** Keep the member role in an account that leaves the OUs (false: it is removed with the account). */
    retainStacksOnAccountRemoval: bool().default(false),
    /** GuardDuty auto-enable for organization members: `NEW` accounts only, or `ALL`. */
    guardDutyAutoEnable: z.enum(GUARDDUTY_AUTO_ENABLE, { error: `must be one of ${GUARDDUTY_AUTO_ENABLE.join(', ')}` }).default('NEW'),
    /** Cordon's guard SCP (lib/guard-config.ts, lib/guard-stack.ts). */
    guard: guardSchema.prefault({}),
  },
  { error: 'must be an object' },
);

/**
 * The anchor (lib/anchor-stack.ts): a copy of every checkpoint in an Object Lock bucket of the
 * organization's log-archive account, which an administrator of the security account cannot
 * rewrite. Unset `account`: no anchor (the CordonAnchor stack is not synthesized).
 */
export const anchorSchema = z
  .strictObject(
    {
      /** The log-archive account that holds the anchor bucket (deploy CordonAnchor with its credentials). */
      account: pattern(ACCOUNT_ID, 'a 12-digit account id').optional(),
      /** The account the response stack runs in: only its checkpoint writer role may put copies. */
      securityAccount: pattern(ACCOUNT_ID, 'a 12-digit account id').optional(),
      /** Region of the anchor bucket. @default - the region CordonAnchor is deployed to (the response stack's) */
      region: pattern(REGION, 'a region name like eu-west-1').optional(),
      /** @default cordon-anchor-{account} */
      bucketName: pattern(BUCKET_NAME, 'an S3 bucket name (3-63 lowercase letters, digits, "." or "-")').optional(),
      /** Object Lock COMPLIANCE retention of each copy. @default - evidenceRetentionDays */
      retentionDays: int(1).optional(),
    },
    { error: 'must be an object' },
  )
  .superRefine((anchor, ctx) => {
    if (anchor.account === undefined) {
      for (const key of ['securityAccount', 'region', 'bucketName', 'retentionDays'] as const) {
        if (anchor[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], input: anchor[key], message: 'is only used with cordon.anchor.account (the log-archive account)' });
      }
      return;
    }
    if (anchor.securityAccount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['securityAccount'], input: undefined, message: 'must be set with cordon.anchor.account: the account whose checkpoint writer puts the copies' });
    } else if (anchor.securityAccount === anchor.account) {
      ctx.addIssue({ code: 'custom', path: ['account'], input: anchor.account, message: 'must be another account than cordon.anchor.securityAccount: an anchor in the security account is rewritable by its administrators' });
    }
  });
