import * as z from 'zod';

/** Environment of every function that writes evidence. */
export const evidenceEnvSchema = z.object({
  EVIDENCE_BUCKET: z.string().min(1),
  /** Key prefix inside the bucket, e.g. `prod/`. @default '' */
  EVIDENCE_PREFIX: z.string().default(''),
  SIGNING_KEY_ID: z.string().min(1),
  HEADS_TABLE: z.string().min(1),
  /** COMPLIANCE retention of each object. @default 2555 (7 years) */
  RETENTION_DAYS: z.coerce.number().int().positive().default(2555),
  AWS_REGION: z.string().min(1).optional(),
});
export type EvidenceEnv = z.infer<typeof evidenceEnvSchema>;

export const evidenceEnv = (env: NodeJS.ProcessEnv): EvidenceEnv => {
  const parsed = evidenceEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid evidence environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
};
