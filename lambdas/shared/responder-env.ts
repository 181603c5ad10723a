import * as z from 'zod';

/**
 * The environment every responder function shares (set by lib/response-stack.ts): evidence, kill
 * switch, member role, protected tag, guardrails table and notifications. Each handler extends it.
 */
export const responderEnvSchema = z.object({
  AWS_REGION: z.string().min(1),
  EVIDENCE_BUCKET: z.string().min(1),
  /** Optional key prefix of the evidence bucket. */
  EVIDENCE_PREFIX: z.string().default(''),
  SIGNING_KEY_ID: z.string().min(1),
  HEADS_TABLE: z.string().min(1),
  /** COMPLIANCE retention of every record written. */
  RETENTION_DAYS: z.coerce.number().int().min(1).default(2555),
  MODE_PARAMETER: z.string().min(1),
  /** Role assumed in member accounts; unset = this account only. */
  MEMBER_ROLE_NAME: z.string().regex(/^[\w+=,.@-]{1,64}$/).optional(),
  /** `key=value`. */
  PROTECTED_TAG: z
    .string()
    .regex(/^[^=]+=.*$/, { error: 'PROTECTED_TAG must be key=value' })
    .default('cordon:protected=true'),
  /** Breaker counts and idempotency records; unset = every automatic containment escalates and
   * duplicates are not suppressed (see guardrails/from-env.ts). */
  GUARDRAILS_TABLE: z.string().min(1).optional(),
  BREAKER_MAX_CONTAINMENTS: z.coerce.number().int().min(1).optional(),
  BREAKER_WINDOW_MINUTES: z.coerce.number().int().min(1).optional(),
  IDEMPOTENCY_EXPIRY_HOURS: z.coerce.number().int().min(1).optional(),
  /** SNS topic told of every decision; unset = no message. */
  NOTIFY_TOPIC_ARN: z.string().regex(/^arn:[\w-]+:sns:/, { error: 'NOTIFY_TOPIC_ARN must be an sns topic arn' }).optional(),
  /** `true`: write decisions back to Security Hub findings (BatchUpdateFindings). */
  SECURITY_HUB_WRITEBACK: z.enum(['true', 'false']).optional(),
});

/** Validates `env` against a handler's schema; throws naming every bad variable. */
export const parseEnv = <S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> => {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
};

/** `cordon:protected=true` -> `{ key: 'cordon:protected', value: 'true' }`. */
export const protectedTagOf = (pair: string): { key: string; value: string } => {
  const eq = pair.indexOf('=');
  return { key: pair.slice(0, eq), value: pair.slice(eq + 1) };
};
