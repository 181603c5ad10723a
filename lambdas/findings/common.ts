import type * as z from 'zod';

/** What every finding parser shares: the id shapes it checks and how it words a schema's complaint. */

/** AKIA (long-term user key) or ASIA (temporary, STS) access key id. */
export const ACCESS_KEY_ID = /^A[KS]IA[A-Z0-9]{8,124}$/;
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
export const ACCOUNT_ID = /^\d{12}$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
/** The placeholder ids of GuardDuty's sample findings (`GeneratedFindingUserName`, ...). */
export const GENERATED = /^GeneratedFinding/;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `path: message` for each issue (the first `most` of them), `(root)` for the value itself. */
export const issues = (error: z.ZodError, most = Infinity): string =>
  error.issues
    .slice(0, most)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');

/** JSON of anything, never throwing (cycles, BigInt): the key of an incident id. */
export const safeJson = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};
