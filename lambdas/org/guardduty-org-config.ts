import {
  DescribeOrganizationConfigurationCommand,
  UpdateOrganizationConfigurationCommand,
  type GuardDutyClient,
  type UpdateOrganizationConfigurationCommandInput,
} from '@aws-sdk/client-guardduty';
import * as z from 'zod';
import { InvalidEventError } from '../shared/errors';

/**
 * Custom resource (custom_resources.Provider onEvent) that sets GuardDuty's organization
 * configuration on the delegated administrator's detector: auto-enable for members (`NEW` or
 * `ALL`) and each protection feature. No CloudFormation resource covers feature auto-enable.
 *
 * - Create and Update make the same call: UpdateOrganizationConfiguration is a PUT of the whole
 *   configuration, so repeating it is idempotent.
 * - Delete changes nothing: removing Cordon must not silently stop protecting new accounts. The
 *   organization keeps the last configuration until an administrator changes it.
 */

const AUTO_ENABLE = ['NEW', 'ALL', 'NONE'] as const;

const additional = z.strictObject({ Name: z.string().min(1), AutoEnable: z.enum(AUTO_ENABLE) });
export const propertiesSchema = z.object({
  DetectorId: z.string().regex(/^[a-z0-9]{32}$/, { error: 'DetectorId must be a 32-character detector id' }),
  AutoEnableOrganizationMembers: z.enum(['NEW', 'ALL']),
  Features: z.array(
    z.strictObject({
      Name: z.string().min(1),
      AutoEnable: z.enum(AUTO_ENABLE),
      AdditionalConfiguration: z.array(additional).optional(),
    }),
  ),
});
export type GuardDutyOrgProperties = z.infer<typeof propertiesSchema>;

/** The subset of the Provider framework's onEvent request used here. */
export interface OnEventRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface OrgConfigLogger {
  info(message: string, extra: Record<string, unknown>): void;
}

const silent: OrgConfigLogger = { info: () => undefined };

/** `ServiceToken` travels with the properties; the schema reads only ours (and strips the rest). */
export const parseProperties = (raw: Record<string, unknown>): GuardDutyOrgProperties => {
  const parsed = propertiesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidEventError(
      `expected guardduty organization configuration properties, received invalid ${parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
};

/** The exact UpdateOrganizationConfiguration input for the properties. */
export const updateInput = (p: GuardDutyOrgProperties): UpdateOrganizationConfigurationCommandInput => ({
  DetectorId: p.DetectorId,
  AutoEnableOrganizationMembers: p.AutoEnableOrganizationMembers,
  Features: p.Features.map((f) => ({
    Name: f.Name as NonNullable<UpdateOrganizationConfigurationCommandInput['Features']>[number]['Name'],
    AutoEnable: f.AutoEnable,
    ...(f.AdditionalConfiguration
      ? {
          AdditionalConfiguration: f.AdditionalConfiguration.map((a) => ({
            Name: a.Name as NonNullable<NonNullable<UpdateOrganizationConfigurationCommandInput['Features']>[number]['AdditionalConfiguration']>[number]['Name'],
            AutoEnable: a.AutoEnable,
          })),
        }
      : {}),
  })),
});

export const physicalId = (p: GuardDutyOrgProperties): string => `cordon-guardduty-org-config-${p.DetectorId}`;

export const onEvent = async (request: OnEventRequest, guardDuty: GuardDutyClient, logger: OrgConfigLogger = silent): Promise<OnEventResponse> => {
  if (request.RequestType === 'Delete') {
    logger.info('delete: guardduty organization configuration left as is', { physicalResourceId: request.PhysicalResourceId });
    return { PhysicalResourceId: request.PhysicalResourceId ?? 'cordon-guardduty-org-config' };
  }
  const properties = parseProperties(request.ResourceProperties);
  const input = updateInput(properties);
  await guardDuty.send(new UpdateOrganizationConfigurationCommand(input));
  const applied = await guardDuty.send(new DescribeOrganizationConfigurationCommand({ DetectorId: properties.DetectorId }));
  logger.info('guardduty organization configuration applied', {
    requestType: request.RequestType,
    autoEnableOrganizationMembers: applied.AutoEnableOrganizationMembers,
    features: applied.Features?.map((f) => `${f.Name ?? '?'}=${f.AutoEnable ?? '?'}`),
  });
  return {
    PhysicalResourceId: physicalId(properties),
    Data: { AutoEnableOrganizationMembers: applied.AutoEnableOrganizationMembers ?? properties.AutoEnableOrganizationMembers },
  };
};
