import { z } from 'zod';

/** The vocabulary of Cordon's config schemas (lib/config.ts and its parts): id shapes, and field builders whose errors say what was expected. */

export const ACCOUNT_ID = /^\d{12}$/;
export const ORG_ID = /^o-[a-z0-9]{10,32}$/;
export const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:-]+$/;
/** What a Lambda resource policy can name as a principal: a role or a user (not a session). */
export const IAM_ROLE_OR_USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[A-Za-z0-9+=,.@_/-]+$/;
export const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
export const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/;
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const int = (min: number, max?: number) =>
  z
    .number({ error: `must be an integer >= ${min}${max === undefined ? '' : ` and <= ${max}`}` })
    .int({ error: `must be an integer >= ${min}${max === undefined ? '' : ` and <= ${max}`}` })
    .min(min, { error: `must be an integer >= ${min}${max === undefined ? '' : ` and <= ${max}`}` })
    .max(max ?? Number.MAX_SAFE_INTEGER, { error: `must be an integer >= ${min} and <= ${max}` });

export const bool = () => z.boolean({ error: 'must be true or false' });
export const pattern = (re: RegExp, what: string) => z.string({ error: `must be ${what}` }).regex(re, { error: `must be ${what}` });
export const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be a list' });
