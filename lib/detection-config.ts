import { z } from 'zod';
import { bool, int, list, pattern, TRAIL_NAME } from './config-fields';

/** `cordon.guardDuty`, `cordon.securityHub`, `cordon.cloudTrail`: the detection services (lib/detection-stack.ts). */

export const PUBLISHING_FREQUENCIES = ['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'] as const;

/** Security Hub standards Cordon knows how to enable, by the path AWS gives them in their ARN. */
export const KNOWN_STANDARDS = [
  'aws-foundational-security-best-practices/v/1.0.0',
  'cis-aws-foundations-benchmark/v/1.4.0',
  'cis-aws-foundations-benchmark/v/3.0.0',
  'nist-800-53/v/5.0.0',
  'pci-dss/v/3.2.1',
  'pci-dss/v/4.0.1',
  'aws-resource-tagging-standard/v/1.0.0',
] as const;

export const guardDutySchema = z.strictObject(
  {
    /** Set false where GuardDuty is managed elsewhere (e.g. by a delegated administrator). */
    enabled: bool().default(true),
    publishingFrequency: z
      .enum(PUBLISHING_FREQUENCIES, { error: `must be one of ${PUBLISHING_FREQUENCIES.join(', ')}` })
      .default('FIFTEEN_MINUTES'),
    features: z
      .strictObject(
        {
          s3DataEvents: bool().default(true),
          eksAuditLogs: bool().default(true),
          ebsMalwareProtection: bool().default(true),
          rdsLoginEvents: bool().default(true),
          runtimeMonitoring: bool().default(true),
          lambdaNetworkLogs: bool().default(true),
        },
        { error: 'must be an object' },
      )
      .prefault({}),
  },
  { error: 'must be an object' },
);

export const securityHubSchema = z.strictObject(
  {
    /** Set false where Security Hub is managed elsewhere. */
    enabled: bool().default(true),
    /** One finding per control across standards (`SECURITY_CONTROL`). */
    consolidatedControlFindings: bool().default(true),
    standards: list(z.enum(KNOWN_STANDARDS, { error: `must be one of ${KNOWN_STANDARDS.join(', ')}` })).default([
      'aws-foundational-security-best-practices/v/1.0.0',
      'cis-aws-foundations-benchmark/v/3.0.0',
    ]),
  },
  { error: 'must be an object' },
);

export const cloudTrailSchema = z.strictObject(
  {
    /** Set false where an organization trail already exists. */
    enabled: bool().default(true),
    /** Explicit, so the organization-trail bucket policy can name it. */
    trailName: pattern(TRAIL_NAME, 'a trail name of 3-128 letters, digits, ".", "_" or "-"').default('cordon-trail'),
    /** Days before trail logs move to Glacier Instant Retrieval. */
    transitionAfterDays: int(1).default(90),
    /** Days trail logs are kept. */
    logRetentionDays: int(1).default(2555),
  },
  { error: 'must be an object' },
);
