import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { CordonConfig } from '../config';
import { FEATURE_NAMES, RUNTIME_AGENTS, type GuardDutyFeatures as Features } from '../guardduty-features';
import { acknowledge, acknowledgeGrants, arnToken } from '../nag';
import { lazyBundling } from './lazy-bundle';

/** `Features` of the request: each configured feature auto-enabled like the members, or NONE. */
export const orgFeatures = (features: Features, autoEnable: 'NEW' | 'ALL') =>
  (Object.keys(FEATURE_NAMES) as (keyof Features)[]).map((key) => {
    const status = features[key] ? autoEnable : 'NONE';
    return {
      Name: FEATURE_NAMES[key],
      AutoEnable: status,
      ...(key === 'runtimeMonitoring' ? { AdditionalConfiguration: RUNTIME_AGENTS.map((Name) => ({ Name, AutoEnable: status })) } : {}),
    };
  });

export interface GuardDutyOrganizationConfigProps {
  readonly config: CordonConfig;
  /** The delegated administrator's detector id in this region. */
  readonly detectorId: string;
  /** Encrypts the function's log group. */
  readonly key: kms.IKey;
}

/**
 * GuardDuty organization auto-enable (members and features) through a custom resource, because
 * no CloudFormation resource sets feature auto-enable. The function may only update and describe
 * the organization configuration (of the detector it is given). Deleting the resource changes nothing.
 */
export class GuardDutyOrganizationConfig extends Construct {
  readonly resource: CustomResource;
  readonly onEvent: NodejsFunction;

  constructor(scope: Construct, id: string, props: GuardDutyOrganizationConfigProps) {
    super(scope, id);
    const { config, detectorId, key } = props;
    const autoEnable = config.organization.guardDutyAutoEnable;

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Cordon: sets GuardDuty organization auto-enable on the administrator detector',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OrganizationConfiguration',
        actions: ['guardduty:UpdateOrganizationConfiguration', 'guardduty:DescribeOrganizationConfiguration'],
        // Neither action has a resource-level permission (Service Authorization Reference): on
        // `detector/<id>` the statement never matched and AWS refused the custom resource. The
        // function is only ever given this stack's detector id (the resource's DetectorId property).
        resources: ['*'],
      }),
    );
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logGroup.grantWrite(role);

    // The ResponderFunction defaults (Node.js 24, ARM64, ESM, tracing, KMS log group), without its
    // evidence-writer role path and DLQ: this function writes no evidence and is called synchronously.
    const entry = path.join(__dirname, '..', '..', 'lambdas', 'handlers', 'guardduty-org-config.ts');
    this.onEvent = new NodejsFunction(this, 'OnEvent', {
      entry,
      handler: 'handler',
      description: 'Cordon: GuardDuty organization auto-enable (custom resource)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      reservedConcurrentExecutions: 1,
      environment: { POWERTOOLS_SERVICE_NAME: 'cordon' },
      bundling: lazyBundling(entry),
    });

    // The framework function gets its own role (no AWS managed policy) and a KMS-encrypted log group.
    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Cordon: custom resource framework of the GuardDuty organization configuration',
    });
    providerLogs.grantWrite(frameworkRole);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEvent,
      logGroup: providerLogs,
      frameworkOnEventRole: frameworkRole,
    });
    const framework = 'the custom resource framework function of aws-cdk-lib (custom_resources.Provider), which CDK defines';
    acknowledgeGrants(frameworkRole, [
      { resource: `${arnToken(this.onEvent)}:*`, actions: ['lambda:InvokeFunction'], reason: 'the framework invokes any version of the onEvent function, which it names by ARN' },
      { resource: `${arnToken(providerLogs)}:*`, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], reason: 'log streams of the framework’s own log group, whose names Lambda generates' },
    ]);
    acknowledge(frameworkRole, [
      ['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy holds the framework’s own grants: invoke this onEvent function, write its own log group'],
    ]);
    acknowledge(provider, [
      ['NIST.800.53.R5-LambdaInsideVPC', `${framework}: it calls only Lambda and CloudFormation`],
      ['NIST.800.53.R5-LambdaDLQ', `${framework}: called synchronously by CloudFormation, failures are reported to the stack`],
      ['Serverless-LambdaDLQ', `${framework}: called synchronously by CloudFormation, failures are reported to the stack`],
      ['NIST.800.53.R5-LambdaConcurrency', `${framework}: it runs only during deployments of this stack`],
      ['Serverless-LambdaDefaultMemorySize', `${framework}: its memory is not configurable and it runs only during deployments`],
      ['Serverless-LambdaTracing', `${framework}: its tracing is not configurable and it runs only during deployments`],
    ]);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::CordonGuardDutyOrganizationConfiguration',
      properties: {
        DetectorId: detectorId,
        AutoEnableOrganizationMembers: autoEnable,
        Features: orgFeatures(config.guardDuty.features, autoEnable),
      },
    });

    acknowledgeGrants(role, [
      {
        resource: '*',
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'guardduty:UpdateOrganizationConfiguration', 'guardduty:DescribeOrganizationConfiguration'],
        reason: 'X-Ray and GuardDuty Update/DescribeOrganizationConfiguration support no resource-level permissions',
      },
      { resource: `${arnToken(logGroup)}:*`, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], reason: 'log streams of this function’s own log group, whose names Lambda generates' },
    ]);
    acknowledge(role, [
      ['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy holds the grants of this one function: the organization configuration and its own log group'],
    ]);
    acknowledge(this.onEvent, [
      ['Serverless-LambdaDLQ', 'called synchronously by the custom resource provider, which reports failures to CloudFormation'],
      ['NIST.800.53.R5-LambdaDLQ', 'called synchronously by the custom resource provider, which reports failures to CloudFormation'],
      ['NIST.800.53.R5-LambdaInsideVPC', 'calls only the GuardDuty API; a VPC would add NAT or endpoints without isolating anything'],
    ]);
  }
}
