import {
  DescribeOrganizationConfigurationCommand,
  GuardDutyClient,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import { mockClient } from 'aws-sdk-client-mock';
import { orgFeatures } from '../../lib/constructs/org-guardduty';
import { onEvent, type OnEventRequest } from '../../lambdas/org/guardduty-org-config';
import { InvalidEventError } from '../../lambdas/shared/errors';
import { authorizeAs } from '../support/authz';

authorizeAs('CordonOrganization/GuardDutyOrganizationRole');

const guardDuty = mockClient(GuardDutyClient);
const DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';
const features = orgFeatures(
  { s3DataEvents: true, eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: false, runtimeMonitoring: true, lambdaNetworkLogs: true },
  'NEW',
);
const properties = { ServiceToken: 'arn:aws:lambda:eu-central-1:111122223333:function:provider', DetectorId: DETECTOR, AutoEnableOrganizationMembers: 'NEW', Features: features };
const request = (RequestType: OnEventRequest['RequestType'], extra: Partial<OnEventRequest> = {}): OnEventRequest => ({
  RequestType,
  ResourceProperties: properties,
  ...extra,
});

const EXPECTED_INPUT = {
  DetectorId: DETECTOR,
  AutoEnableOrganizationMembers: 'NEW',
  Features: [
    { Name: 'S3_DATA_EVENTS', AutoEnable: 'NEW' },
    { Name: 'EKS_AUDIT_LOGS', AutoEnable: 'NEW' },
    { Name: 'EBS_MALWARE_PROTECTION', AutoEnable: 'NEW' },
    { Name: 'RDS_LOGIN_EVENTS', AutoEnable: 'NONE' },
    {
      Name: 'RUNTIME_MONITORING',
      AutoEnable: 'NEW',
      AdditionalConfiguration: [
        { Name: 'EKS_ADDON_MANAGEMENT', AutoEnable: 'NEW' },
        { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', AutoEnable: 'NEW' },
        { Name: 'EC2_AGENT_MANAGEMENT', AutoEnable: 'NEW' },
      ],
    },
    { Name: 'LAMBDA_NETWORK_LOGS', AutoEnable: 'NEW' },
  ],
};

beforeEach(() => {
  guardDuty.reset();
  guardDuty.on(UpdateOrganizationConfigurationCommand).resolves({});
  guardDuty.on(DescribeOrganizationConfigurationCommand).resolves({ AutoEnableOrganizationMembers: 'NEW' });
});

describe('guardduty organization configuration custom resource', () => {
  it.each(['Create', 'Update'] as const)('makes the same UpdateOrganizationConfiguration call on %s', async (type) => {
    const response = await onEvent(request(type, type === 'Update' ? { PhysicalResourceId: `cordon-guardduty-org-config-${DETECTOR}` } : {}), new GuardDutyClient({}));

    expect(guardDuty).toHaveReceivedCommandTimes(UpdateOrganizationConfigurationCommand, 1);
    const input = guardDuty.commandCalls(UpdateOrganizationConfigurationCommand)[0]!.args[0].input;
    expect(input).toEqual(EXPECTED_INPUT);
    expect(guardDuty).toHaveReceivedCommandWith(DescribeOrganizationConfigurationCommand, { DetectorId: DETECTOR });
    expect(response).toEqual({ PhysicalResourceId: `cordon-guardduty-org-config-${DETECTOR}`, Data: { AutoEnableOrganizationMembers: 'NEW' } });
  });

  it('leaves the organization configuration as is on Delete', async () => {
    const response = await onEvent(request('Delete', { PhysicalResourceId: `cordon-guardduty-org-config-${DETECTOR}` }), new GuardDutyClient({}));
    expect(guardDuty.calls()).toHaveLength(0);
    expect(response).toEqual({ PhysicalResourceId: `cordon-guardduty-org-config-${DETECTOR}` });
  });

  it('rejects properties that are not a detector configuration, without calling GuardDuty', async () => {
    await expect(
      onEvent(request('Create', { ResourceProperties: { ...properties, AutoEnableOrganizationMembers: 'SOME' } }), new GuardDutyClient({})),
    ).rejects.toBeInstanceOf(InvalidEventError);
    await expect(onEvent(request('Create', { ResourceProperties: { ...properties, DetectorId: '*' } }), new GuardDutyClient({}))).rejects.toThrow(
      'DetectorId must be a 32-character detector id',
    );
    expect(guardDuty.calls()).toHaveLength(0);
  });

  it('lets an AWS error fail the deployment (CloudFormation rolls back)', async () => {
    guardDuty.on(UpdateOrganizationConfigurationCommand).rejects(Object.assign(new Error('not the delegated administrator'), { name: 'BadRequestException' }));
    await expect(onEvent(request('Create'), new GuardDutyClient({}))).rejects.toThrow('not the delegated administrator');
  });
});
