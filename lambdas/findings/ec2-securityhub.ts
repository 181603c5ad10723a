import type { Trigger } from '../evidence/types';
import { INSTANCE_ID } from './common';
import { asffInboundVictim, victimMessage } from './ec2-guardduty';
import { firstIssues as issues, skipOnly, type Ec2ParseResult, type Ec2Skip, type Ec2Target, type FindingInfo } from './ec2-types';
import { incidentIdFor } from './incident';
import { asffFindingSchema, asffFindingType, asffIncidentId, asffSeverity, customActionDetailSchema, isAsffSample, parseArn, SECURITYHUB_SOURCE } from './securityhub';

/**
 * A Security Hub custom action -> one isolation target per `AwsEc2Instance` resource of the
 * selected findings (one incident per instance), or a skip per finding that names none.
 */

export const parseCustomAction = (
  detail: unknown,
  envelope: { account?: string; region?: string; id?: string; resources?: readonly unknown[] },
  key: string,
): Ec2ParseResult => {
  const eventTrigger: Trigger = { source: SECURITYHUB_SOURCE, ...(envelope.id ? { eventId: envelope.id } : {}) };
  const parsedDetail = customActionDetailSchema.safeParse(detail);
  if (!parsedDetail.success) {
    return skipOnly({
      reason: 'invalid-finding',
      message: `expected a custom action detail with findings[], received: ${issues(parsedDetail.error)}`,
      trigger: eventTrigger,
      incidentId: incidentIdFor(SECURITYHUB_SOURCE, 'invalid', key),
    });
  }
  const customAction = parsedDetail.data.actionName?.trim() || (envelope.resources?.[0] as string | undefined);
  const targets: Ec2Target[] = [];
  const skips: Ec2Skip[] = [];
  const seen = new Set<string>();
  parsedDetail.data.findings.forEach((raw, index) => {
    const parsed = asffFindingSchema.safeParse(raw);
    if (!parsed.success) {
      skips.push({
        reason: 'invalid-finding',
        message: `expected an asff finding (Id, Resources[]) at findings[${index}], received: ${issues(parsed.error)}`,
        trigger: eventTrigger,
        incidentId: incidentIdFor(SECURITYHUB_SOURCE, 'invalid', key, String(index)),
      });
      return;
    }
    const finding = parsed.data;
    const severity = asffSeverity(finding);
    const info: FindingInfo = {
      id: finding.Id,
      type: asffFindingType(finding),
      sample: isAsffSample(finding),
      ...(severity !== undefined ? { severity } : {}),
      ...(finding.Title ? { title: finding.Title.trim() } : {}),
    };
    const trigger: Trigger = {
      ...eventTrigger,
      findingId: finding.Id,
      findingType: info.type,
      ...(severity !== undefined ? { severity } : {}),
    };
    const incidentId = asffIncidentId(finding);
    const instances = finding.Resources.filter((r) => r.Type === 'AwsEc2Instance');
    if (instances.length === 0) {
      skips.push({
        reason: 'no-ec2-instance',
        message: `expected an AwsEc2Instance resource, received ${finding.Resources.map((r) => r.Type).join(', ')}`,
        trigger,
        incidentId,
      });
      return;
    }
    const victim = asffInboundVictim(finding.ProductFields);
    for (const resource of instances) {
      const arn = parseArn(resource.Id);
      const instanceId = arn?.resource.match(/^instance\/(i-[0-9a-f]+)$/)?.[1] ?? resource.Id;
      if (victim && INSTANCE_ID.test(instanceId)) {
        skips.push({ reason: 'victim-of-inbound', message: victimMessage(instanceId, info.type, victim), trigger, incidentId, instanceId });
        continue;
      }
      if (!INSTANCE_ID.test(instanceId)) {
        skips.push({
          reason: 'invalid-instance-id',
          message: `expected an instance arn such as arn:aws:ec2:region:account:instance/i-0123456789abcdef0, received ${JSON.stringify(resource.Id)}`,
          trigger,
          incidentId,
        });
        continue;
      }
      const account = arn?.account || finding.AwsAccountId || envelope.account;
      const region = arn?.region || resource.Region || finding.Region || envelope.region;
      const dedupe = `${account}/${region}/${instanceId}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      targets.push({
        kind: 'securityhub',
        action: 'isolate',
        instance: { instanceId, ...(account ? { account } : {}), ...(region ? { region } : {}) },
        // Several instances in one finding: one incident per instance.
        incidentId: instances.length > 1 ? incidentIdFor(incidentId, instanceId) : incidentId,
        trigger,
        finding: info,
        ...(customAction ? { customAction } : {}),
      });
    }
  });
  return { targets, skips, findingRequests: [] };
};
