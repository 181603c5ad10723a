import * as z from 'zod';
import { guardDutyIncidentId, looseNumber, parseGuardDutyFindingArn } from './guardduty';
import { incidentIdFor } from './incident';

/**
 * Shared Security Hub parsing: the ASFF finding (PascalCase) and the detail of
 * "Security Hub Findings - Custom Action" / "- Imported" events. Loose on purpose (see guardduty.ts).
 */

export const SECURITYHUB_SOURCE = 'aws.securityhub';
export const SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE = 'Security Hub Findings - Custom Action';
export const SECURITYHUB_IMPORTED_DETAIL_TYPE = 'Security Hub Findings - Imported';

export const asffResourceSchema = z.looseObject({
  Type: z.string().min(1),
  Id: z.string().min(1),
  Partition: z.string().nullish(),
  Region: z.string().nullish(),
  Details: z.record(z.string(), z.unknown()).nullish(),
  Tags: z.record(z.string(), z.string()).nullish(),
});
export type AsffResource = z.infer<typeof asffResourceSchema>;

export const asffFindingSchema = z.looseObject({
  SchemaVersion: z.string().nullish(),
  Id: z.string().min(1),
  ProductArn: z.string().nullish(),
  GeneratorId: z.string().nullish(),
  AwsAccountId: z.string().nullish(),
  Region: z.string().nullish(),
  Types: z.array(z.string()).nullish(),
  Title: z.string().nullish(),
  Severity: z
    .looseObject({
      Label: z.string().nullish(),
      Normalized: looseNumber.nullish(),
      Product: looseNumber.nullish(),
      Original: z.union([z.string(), z.number()]).nullish(),
    })
    .nullish(),
  ProductFields: z.record(z.string(), z.unknown()).nullish(),
  Resources: z.array(asffResourceSchema).min(1),
});
export type AsffFinding = z.infer<typeof asffFindingSchema>;

export const customActionDetailSchema = z.looseObject({
  actionName: z.string().nullish(),
  actionDescription: z.string().nullish(),
  findings: z.array(z.unknown()).min(1),
});

/** `arn:{partition}:{service}:{region}:{account}:{resource}`; tolerant of the malformed
 * `arn:aws::ec2:...` seen in AWS's own documentation (an extra colon). */
export const parseArn = (
  arn: string,
): { partition: string; service: string; region: string; account: string; resource: string } | undefined => {
  const fixed = arn.replace(/^arn:([\w-]+)::(\w)/, 'arn:$1:$2');
  const match = /^arn:([\w-]+):([\w-]+):([\w-]*):(\d*):(.+)$/.exec(fixed);
  if (!match) return undefined;
  const [, partition = '', service = '', region = '', account = '', resource = ''] = match;
  return { partition, service, region, account, resource };
};

/** True when Security Hub carries a GuardDuty sample finding: `ProductFields.additionalInfo` /
 * `aws/guardduty/service/additionalInfo` JSON with `sample: true`, or a flattened `.../sample` key. */
export const isAsffSample = (finding: Pick<AsffFinding, 'ProductFields'>): boolean => {
  const fields = finding.ProductFields ?? {};
  for (const [key, value] of Object.entries(fields)) {
    if (/(^|\/)sample$/i.test(key) && String(value).trim().toLowerCase() === 'true') return true;
    if (/(^|\/)additionalInfo$/.test(key) && typeof value === 'string' && value.includes('sample')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null && 'sample' in parsed) {
          const sample = (parsed as { sample: unknown }).sample;
          if (sample === true || sample === 'true') return true;
        }
      } catch {
        // not JSON: not a sample marker
      }
    }
  }
  return false;
};

/** Severity as a 0-10 number comparable with GuardDuty's: `Product` when present (GuardDuty's own
 * value), else `Normalized / 10`. */
export const asffSeverity = (finding: Pick<AsffFinding, 'Severity'>): number | undefined => {
  const s = finding.Severity;
  if (s?.Product !== undefined && s.Product !== null) return s.Product;
  if (s?.Normalized !== undefined && s.Normalized !== null) return s.Normalized / 10;
  return undefined;
};

/** The GuardDuty finding type (`UnauthorizedAccess:EC2/SSHBruteForce`) or the first ASFF type. */
export const asffFindingType = (finding: Pick<AsffFinding, 'Types' | 'ProductFields' | 'GeneratorId'>): string => {
  const fields = finding.ProductFields ?? {};
  const gd = fields['aws/guardduty/service/type'] ?? fields['aws/guardduty/type'];
  if (typeof gd === 'string' && gd) return gd;
  return finding.Types?.[0] ?? finding.GeneratorId ?? 'unknown';
};

/** A GuardDuty-originated ASFF finding lands in the same incident as the GuardDuty event for it;
 * any other finding has its own incident per ASFF id. */
export const asffIncidentId = (finding: Pick<AsffFinding, 'Id' | 'AwsAccountId'>): string => {
  const gd = parseGuardDutyFindingArn(finding.Id.replace(/^arn:([\w-]+)::(\w)/, 'arn:$1:$2'));
  if (gd) return guardDutyIncidentId(finding.AwsAccountId ?? gd.account, gd.findingId);
  return incidentIdFor('aws.securityhub', finding.Id);
};
