import { z } from 'zod';
import { DEFAULT_MEMBER_ROLE_NAMES, PROTECTED_TAG } from '../lambdas/shared/names';
import { ACCOUNT_ID, bool, EMAIL, IAM_PRINCIPAL_ARN, IAM_ROLE_OR_USER_ARN, int, list, ORG_ID, OU_ID, pattern, REGION, ROLE_NAME } from './config-fields';
import { cloudTrailSchema, guardDutySchema, securityHubSchema } from './detection-config';
import { anchorSchema, organizationSchema } from './organization-config';

/**
 * Cordon's configuration: the `cordon` key of the cdk.json context. Every key has a documented
 * default, so an empty `{}` is a valid, conservative deploy (dry-run, detection on, 7-year vault).
 * Validated at synth: an invalid value fails synth with an error naming the key and the value.
 */

/** The kill switch. `dry-run` records what would have been done; `off` records a skip. */
export const MODES = ['enforce', 'dry-run', 'off'] as const;
export type Mode = (typeof MODES)[number];

/** `cordon.securityHub.standards[0]` */
const keyPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), 'cordon');

export const configSchema = z
  .strictObject(
    {
      /** Mode on first deploy; afterwards the SSM parameter is the kill switch. */
      mode: z.enum(MODES, { error: `must be one of ${MODES.join(', ')}` }).default('dry-run'),
      /** Object Lock COMPLIANCE retention of evidence (2555 days = 7 years). */
      evidenceRetentionDays: int(1).default(2555),
      /** GuardDuty severity (0-10) at or above which findings are routed to responders. */
      minimumSeverity: z
        .number({ error: 'must be a number between 0 and 10' })
        .min(0, { error: 'must be a number between 0 and 10' })
        .max(10, { error: 'must be a number between 0 and 10' })
        .default(7),
      /** Resources with this tag key and value are never contained automatically. */
      protectedTag: z
        .strictObject(
          {
            key: z.string({ error: 'must be a tag key' }).min(1, { error: 'must be a tag key' }).max(128).default(PROTECTED_TAG.key),
            value: z.string({ error: 'must be a tag value' }).max(256).default(PROTECTED_TAG.value),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      /** Principal ARNs (break-glass roles, ...) never revoked automatically. */
      allowlistedPrincipals: list(pattern(IAM_PRINCIPAL_ARN, 'an IAM principal ARN')).default([]),
      /** Blast-radius breaker: at most this many automatic containments per window, then escalate. */
      breaker: z
        .strictObject(
          {
            maxContainments: int(1).default(10),
            windowMinutes: int(1, 1440).default(60),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      /** AWS Organizations id; when set, the trail is an organization trail. */
      organizationId: pattern(ORG_ID, 'an organization id like o-abc1234567').optional(),
      /** Member OUs that receive the member responder role. */
      memberOrganizationalUnits: list(pattern(OU_ID, 'an OU id like ou-ab12-cdef3456 or a root id r-ab12')).default([]),
      /** Other accounts Cordon may act in (single-account deploys leave this empty). */
      memberAccounts: list(pattern(ACCOUNT_ID, 'a 12-digit account id')).default([]),
      /** The region of the response stack; default: the CLI's region (CDK_DEFAULT_REGION). */
      homeRegion: pattern(REGION, 'a region name like eu-west-1').optional(),
      /** Regions other than the home region whose findings are forwarded. */
      regions: list(pattern(REGION, 'a region name like eu-west-1')).default([]),
      /**
       * Names of the roles Cordon assumes in member accounts, one per responder: each is trusted
       * only by its own function role and holds only its responder's permissions.
       */
      memberRoleNames: z
        .strictObject(
          {
            isolation: pattern(ROLE_NAME, 'an IAM role name').default(DEFAULT_MEMBER_ROLE_NAMES.isolation),
            credentials: pattern(ROLE_NAME, 'an IAM role name').default(DEFAULT_MEMBER_ROLE_NAMES.credentials),
          },
          { error: 'must be an object' },
        )
        .prefault({})
        .refine((names) => names.isolation !== names.credentials, { error: 'must name two different roles' }),
      vault: z
        .strictObject(
          {
            /**
             * The one principal (a role or user ARN of this account, used only in an emergency)
             * that may disable, schedule the deletion of, or change the policy of the vault keys.
             * Unset: nobody can, short of AWS support; the account root keeps key administration
             * otherwise (KMS's lockout safety check).
             */
            breakGlassPrincipalArn: pattern(IAM_PRINCIPAL_ARN, 'an IAM principal ARN').optional(),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      manual: z
        .strictObject(
          {
            /**
             * The responders: IAM role or user ARNs granted lambda:InvokeFunctionUrl (auth type
             * AWS_IAM) on the responders' manual request URLs by the functions' resource policies.
             * Principals whose own IAM policies allow it (administrators) may call the URLs too;
             * every caller is recorded as AWS authenticated it.
             */
            callerPrincipalArns: list(pattern(IAM_ROLE_OR_USER_ARN, 'an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or user/NAME)')).default([]),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      /** Principal ARNs allowed to assume the auditor role (default: this account's administrators). */
      auditorPrincipals: list(pattern(IAM_PRINCIPAL_ARN, 'an IAM principal ARN')).default([]),
      isolation: z
        .strictObject(
          {
            /** Instance profile put on an isolated instance in place of its own; unset = remove it. */
            quarantineProfileArn: pattern(
              /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/[A-Za-z0-9+=,.@_/-]+$/,
              'an instance profile ARN',
            ).optional(),
            /** The role inside that profile: the only role Cordon may pass to EC2. */
            quarantineRoleArn: pattern(/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/, 'an IAM role ARN').optional(),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      credentials: z
        .strictObject(
          {
            /**
             * Also attach a user-wide deny-all and delete the console password on every leaked user
             * key. Off by default: it stops the user's other, unleaked keys too. Findings that show
             * the user itself compromised (console sign-in) quarantine regardless.
             */
            quarantineUser: bool().default(false),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      notifications: z
        .strictObject(
          {
            emails: list(pattern(EMAIL, 'an email address')).default([]),
            /** AWS Chatbot Slack channel (the workspace must be authorised in the Chatbot console first). */
            slack: z
              .strictObject(
                {
                  workspaceId: pattern(/^[0-9A-Z]{1,255}$/, 'a Slack workspace id like T0123ABCD'),
                  channelId: pattern(/^[A-Za-z0-9]{1,255}$/, 'a Slack channel id like C0123ABCD'),
                },
                { error: 'must be an object with workspaceId and channelId' },
              )
              .optional(),
            /** Mark fully contained findings RESOLVED in Security Hub; default NOTIFIED (containment is not investigation). */
            resolveContainedFindings: z.boolean({ error: 'must be true or false' }).default(false),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      organization: organizationSchema.prefault({}),
      alarms: z
        .strictObject(
          {
            /** Alarm when the kill switch has not been `enforce` for this many hours (1 hour periods, at most 7 days). */
            modeNotEnforcedHours: int(1, 168).default(24),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      anchor: anchorSchema.prefault({}),
      guardDuty: guardDutySchema.prefault({}),
      securityHub: securityHubSchema.prefault({}),
      cloudTrail: cloudTrailSchema.prefault({}),
    },
    { error: 'must be an object' },
  )
  .superRefine((config, ctx) => {
    if (config.anchor.account !== undefined && config.organizationId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['organizationId'],
        input: undefined,
        message: 'must be set with cordon.anchor.account: the anchor bucket admits its writer only from the organization (aws:PrincipalOrgID)',
      });
    }
  });

export type CordonConfig = z.output<typeof configSchema>;
export type CordonConfigInput = z.input<typeof configSchema>;

/** Invalid configuration: the message names every bad key and the value received. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One line per problem, e.g. `cordon.mode must be one of enforce, dry-run, off, received "on"`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

const received = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** Parses the `cordon` context value; throws ConfigError naming each bad key and its value. */
export const parseConfig = (raw: unknown): CordonConfig => {
  const result = configSchema.safeParse(raw ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${keyPath([...issue.path, key])} is not a known setting`);
    return [`${keyPath(issue.path)} ${issue.message}, received ${received(issue.input)}`];
  });
  throw new ConfigError(lines);
};

const PREFIX = 'cordon.';
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A `-c cordon.KEY=VALUE` value: JSON when it parses (numbers, booleans, lists), else the string. */
const contextValue = (text: unknown): unknown => {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * The raw `cordon` value from the whole CDK context: the cdk.json object, or the JSON string the
 * CDK CLI passes for `-c cordon='{"mode":"enforce"}'` (which replaces the cdk.json object), then
 * every `-c cordon.KEY=VALUE` (dotted path, e.g. `cordon.breaker.maxContainments=5`) over it.
 * Throws ConfigError for JSON that does not parse or a dotted key under a non-object.
 */
export const rawConfigFromContext = (context: Readonly<Record<string, unknown>>): unknown => {
  let base: unknown = context.cordon;
  if (typeof base === 'string') {
    try {
      base = JSON.parse(base);
    } catch (error) {
      throw new ConfigError([`cordon must be a JSON object (-c cordon='{"mode":"enforce"}'), received ${received(base)}: ${(error as Error).message}`]);
    }
  }
  const overrides = Object.keys(context)
    .filter((key) => key.startsWith(PREFIX) && key.length > PREFIX.length)
    .sort();
  if (overrides.length === 0) return base;
  if (base !== undefined && !isPlainObject(base)) throw new ConfigError([`cordon must be an object, received ${received(base)}`]);
  const root: Record<string, unknown> = structuredClone(base ?? {});
  const problems: string[] = [];
  for (const key of overrides) {
    const path = key.slice(PREFIX.length).split('.');
    let node = root;
    let ok = true;
    for (const [i, part] of path.slice(0, -1).entries()) {
      const next = node[part] ?? (node[part] = {});
      if (!isPlainObject(next)) {
        problems.push(`${key} cannot be set: cordon.${path.slice(0, i + 1).join('.')} is not an object, received ${received(next)}`);
        ok = false;
        break;
      }
      node = next;
    }
    if (ok) node[path[path.length - 1] ?? ''] = contextValue(context[key]);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return root;
};

/** Builds the config from the whole CDK context (bin/ is the only caller). */
export const configFromContext = (context: Readonly<Record<string, unknown>>): CordonConfig => parseConfig(rawConfigFromContext(context));
