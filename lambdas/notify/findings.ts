import { parseArn } from '../findings/securityhub';
import { parseGuardDutyFindingArn } from '../findings/guardduty';

/** A finding as Security Hub knows it: what BatchUpdateFindings needs, and where. */
export interface SecurityHubFindingRef {
  /** Security Hub finding Id (for GuardDuty: the finding ARN). */
  readonly id: string;
  readonly productArn: string;
  /** Region of the Security Hub the finding lives in. */
  readonly region: string;
  /** The id the responders put in `trigger.findingId` (GuardDuty: the short id; ASFF: `Id`). */
  readonly findingId: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * GuardDuty findings Security Hub imports: product `arn:{p}:securityhub:{region}::product/aws/guardduty`,
 * finding Id `arn:{p}:guardduty:{region}:{account}:detector/{detectorId}/finding/{id}`.
 */
const guardDutyRef = (finding: Record<string, unknown>, envelope: Record<string, unknown>): SecurityHubFindingRef | undefined => {
  const id = str(finding.id);
  if (!id) return undefined;
  const fromArn = parseGuardDutyFindingArn(str(finding.arn));
  const partition = /^arn:([\w-]+):/.exec(str(finding.arn) ?? '')?.[1] ?? str(finding.partition) ?? 'aws';
  const region = fromArn?.region || str(finding.region) || str(envelope.region);
  const account = fromArn?.account || str(finding.accountId) || str(envelope.account);
  const service = isRecord(finding.service) ? finding.service : {};
  const detectorId = fromArn?.detectorId || str(service.detectorId);
  if (!region || !account || !detectorId) return undefined;
  return {
    id: fromArn ? (str(finding.arn) ?? '') : `arn:${partition}:guardduty:${region}:${account}:detector/${detectorId}/finding/${id}`,
    productArn: `arn:${partition}:securityhub:${region}::product/aws/guardduty`,
    region,
    findingId: id,
  };
};

/**
 * The Security Hub findings an event is about: every finding of a Security Hub custom action, or
 * the GuardDuty finding (which Security Hub imports). Anything else (manual requests, Health
 * events) has none. Never throws.
 */
export const securityHubFindingsOf = (event: unknown): SecurityHubFindingRef[] => {
  if (!isRecord(event)) return [];
  const detail = isRecord(event.detail) ? event.detail : undefined;
  if (event.source === 'aws.securityhub' && detail && Array.isArray(detail.findings)) {
    return detail.findings.flatMap((f) => {
      if (!isRecord(f)) return [];
      const id = str(f.Id);
      const productArn = str(f.ProductArn);
      if (!id || !productArn) return [];
      const region = str(f.Region) || parseArn(productArn)?.region || str(event.region);
      return region ? [{ id, productArn, region, findingId: id }] : [];
    });
  }
  if (event.source === 'aws.guardduty' && detail) {
    const ref = guardDutyRef(detail, event);
    return ref ? [ref] : [];
  }
  if (!('source' in event) && str(event.id) && str(event.type) && 'resource' in event) {
    const ref = guardDutyRef(event, {});
    return ref ? [ref] : [];
  }
  return [];
};

/** The findings of one decision: the one its trigger names, or all when it names none (one
 * credential incident for several Security Hub findings). */
export const findingsFor = (refs: readonly SecurityHubFindingRef[], findingId: string | undefined): SecurityHubFindingRef[] =>
  findingId === undefined ? [...refs] : refs.filter((r) => r.findingId === findingId || r.id === findingId);
