import { Annotations, App, Environment, Stack, StackProps, Stage, Tags, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import { Construct } from 'constructs';
import type { CordonConfig } from './config';
import { GuardDutyOrganizationConfig } from './constructs/org-guardduty';
import { allowCloudWatchLogs } from './constructs/shared';
import type { DetectionStack } from './detection-stack';
import { ForwardedEventsPolicy, ForwarderStack, routedRules } from './forwarder-stack';
import { MEMBER_PARAMETERS, MemberStack, memberTemplateBody } from './member-stack';
import type { ResponseStack } from './response-stack';
import { addRunbookOutputs } from './outputs';
import { COMPONENT_TAG } from '../lambdas/shared/names';

export interface OrganizationStackProps extends StackProps {
  readonly config: CordonConfig;
  /** The security account's responder function roles, trusted by every member role. */
  readonly responderRoles: { readonly isolation: iam.IRole; readonly credentials: iam.IRole; readonly sessionRevoker: iam.IRole };
  /** The delegated administrator's GuardDuty detector; without it, GuardDuty is managed elsewhere. */
  readonly detectorId?: string;
  /** Whether this account's Security Hub is Cordon's (DetectionStack); false = managed elsewhere. */
  readonly securityHub: boolean;
  /**
   * Context of the app (feature flags), so the StackSet's member template is synthesized exactly
   * like the `CordonMember` stack. @default - none
   */
  readonly memberTemplateContext?: Record<string, unknown>;
}

/** The StackSet's name: fixed, so redeploys update the same StackSet and runbooks can name it. */
export const MEMBER_STACK_SET_NAME = 'CordonMemberResponder';

/** Security Hub standards AutoEnableStandards `DEFAULT` turns on in new members. */
const DEFAULT_STANDARD = 'aws-foundational-security-best-practices/v/1.0.0';

/**
 * Organization wiring, deployed in the security account (the delegated administrator of
 * GuardDuty, Security Hub and CloudFormation StackSets), only when `organizationId` is set:
 * - the member responder role in every account of the member OUs (service-managed StackSet);
 * - Security Hub: organization configuration (auto-enable new members) and a finding aggregator
 *   linking the configured regions to this one;
 * - GuardDuty: organization auto-enable of members and features (custom resource).
 */
export class OrganizationStack extends Stack {
  readonly stackSet?: cloudformation.CfnStackSet;
  readonly securityHubConfiguration?: securityhub.CfnOrganizationConfiguration;
  readonly findingAggregator?: securityhub.CfnFindingAggregator;
  readonly guardDuty?: GuardDutyOrganizationConfig;

  constructor(scope: Construct, id: string, props: OrganizationStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (!config.organizationId) throw new Error('OrganizationStack: expected cordon.organizationId, received nothing');

    if (config.memberOrganizationalUnits.length > 0) this.stackSet = this.memberStackSet(props);

    if (props.securityHub) {
      this.securityHubConfiguration = new securityhub.CfnOrganizationConfiguration(this, 'SecurityHubOrganization', {
        // LOCAL: the delegated administrator auto-enables Security Hub (and, when Cordon's standards
        // include AWS FSBP, the default standards) in new member accounts of this region.
        configurationType: 'LOCAL',
        autoEnable: true,
        autoEnableStandards: config.securityHub.standards.includes(DEFAULT_STANDARD) ? 'DEFAULT' : 'NONE',
      });
      // The aggregation (home) region is never one of its own linked regions.
      const home = config.homeRegion ?? (Token.isUnresolved(this.region) ? undefined : this.region);
      const linked = [...new Set(config.regions)].filter((region) => region !== home);
      if (linked.length > 0) {
        this.findingAggregator = new securityhub.CfnFindingAggregator(this, 'FindingAggregator', {
          regionLinkingMode: 'SPECIFIED_REGIONS',
          regions: linked,
        });
      }
    }

    if (props.detectorId) {
      const key = new kms.Key(this, 'OrganizationKey', {
        alias: 'alias/cordon/organization',
        description: 'Cordon: encrypts the organization custom resource logs',
        enableKeyRotation: true,
      });
      allowCloudWatchLogs(key);
      this.guardDuty = new GuardDutyOrganizationConfig(this, 'GuardDutyOrganization', { config, detectorId: props.detectorId, key });
    }
    Tags.of(this).add(COMPONENT_TAG, 'organization');
  }

  /**
   * The member stack's template, deployed by CloudFormation StackSets (service-managed: Organizations
   * creates the execution roles) to every account of the member OUs, now and as accounts join.
   * One region, this one: the stack holds only IAM resources, which are global, so an instance
   * per region would create the same named role twice and fail.
   */
  private memberStackSet(props: OrganizationStackProps): cloudformation.CfnStackSet {
    const { config } = props;
    const { stackSet } = config.organization;
    return new cloudformation.CfnStackSet(this, 'MemberStackSet', {
      stackSetName: MEMBER_STACK_SET_NAME,
      description: 'Cordon: member responder role, assumed by the security account responders',
      permissionModel: 'SERVICE_MANAGED',
      callAs: stackSet.callAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: config.organization.retainStacksOnAccountRemoval },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        failureTolerancePercentage: stackSet.failureTolerancePercentage,
        maxConcurrentPercentage: stackSet.maxConcurrentPercentage,
        regionConcurrencyType: stackSet.regionConcurrencyType,
      },
      parameters: [
        { parameterKey: MEMBER_PARAMETERS.isolationRoleArn, parameterValue: props.responderRoles.isolation.roleArn },
        { parameterKey: MEMBER_PARAMETERS.credentialRoleArn, parameterValue: props.responderRoles.credentials.roleArn },
        { parameterKey: MEMBER_PARAMETERS.sessionRevokerRoleArn, parameterValue: props.responderRoles.sessionRevoker.roleArn },
      ],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...config.memberOrganizationalUnits] },
          regions: [this.region],
        },
      ],
      templateBody: memberTemplateBody(config, props.memberTemplateContext),
    });
  }
}

export interface OrganizationStacksProps {
  readonly config: CordonConfig;
  readonly env?: Environment;
  readonly response: ResponseStack;
  readonly detection?: DetectionStack;
}

/** The stacks `addOrganizationStacks` created; each is absent when its config is. */
export interface OrganizationStacks {
  /** `cdk deploy CordonMember/ResponderRole` into one member account (not part of `--all`). */
  readonly member?: MemberStack;
  readonly organization?: OrganizationStack;
  readonly forwarders: readonly ForwarderStack[];
}

/** Where the response stack lives: `cordon.homeRegion`, else the CLI's region. */
export const homeRegionOf = (config: CordonConfig, env?: Environment): string | undefined => {
  const fromEnv = env?.region !== undefined && !Token.isUnresolved(env.region) ? env.region : undefined;
  if (config.homeRegion && fromEnv && config.homeRegion !== fromEnv) {
    throw new Error(`cordon.homeRegion is ${config.homeRegion} but the stacks deploy to ${fromEnv}: deploy from the home region or fix cordon.homeRegion`);
  }
  return config.homeRegion ?? fromEnv;
};

/** Where AWS Health publishes credential-exposure events (global events). */
const HEALTH_REGION = 'us-east-1';

/**
 * Synth warnings for findings Cordon would receive but could never act on, or never receive:
 * - the management account: service-managed StackSets never deploy there, so its findings end as
 *   `account-access` unless the member role is deployed there by hand (memberAccounts);
 * - AWS Health credential events originate in us-east-1: without it among the forwarded regions
 *   (or as the home region) they never reach the credential responder.
 */
const warnBlindSpots = (scope: Stack, config: CordonConfig, homeRegion: string | undefined): void => {
  if (config.organizationId && config.memberAccounts.length === 0) {
    Annotations.of(scope).addWarningV2(
      'cordon:management-account-not-covered',
      'cordon.organizationId is set but cordon.memberAccounts is empty: service-managed StackSets never deploy to the management account, so findings there can only escalate (account-access). List the management account in cordon.memberAccounts and deploy CordonMember/ResponderRole there (README, "Deploying to an organization").',
    );
  }
  if (homeRegion && homeRegion !== HEALTH_REGION && !config.regions.includes(HEALTH_REGION)) {
    Annotations.of(scope).addWarningV2(
      'cordon:health-region-not-forwarded',
      `AWS Health credential-exposure events are published in ${HEALTH_REGION}, which is neither the home region (${homeRegion}) nor in cordon.regions: add "${HEALTH_REGION}" to cordon.regions or they never reach the credential responder.`,
    );
  }
};

/**
 * Member and multi-region wiring (lib/cordon-app.ts calls this):
 * - `CordonMember` stage (its stack `CordonMember`) when responders act outside this account
 *   (memberAccounts or memberOrganizationalUnits): a Stage, so `cdk deploy --all` in the security
 *   account does not deploy it there; the response stack outputs the two role ARNs it needs.
 * - `CordonOrganization` when organizationId is set (StackSet, Security Hub, GuardDuty).
 * - `CordonForwarder-<region>` per configured region other than home, plus the home bus policy.
 */
export const addOrganizationStacks = (app: App, props: OrganizationStacksProps): OrganizationStacks => {
  const { config, env, response, detection } = props;
  const isolation = response.isolateInstance.role;
  const credentials = response.revokeCredentials.role;
  if (!isolation || !credentials) throw new Error('addOrganizationStacks: the responder functions have no role');

  let member: MemberStack | undefined;
  if (config.memberAccounts.length > 0 || config.memberOrganizationalUnits.length > 0) {
    addRunbookOutputs(response, 'memberRoles', {
      isolation: { description: `Value of ${MEMBER_PARAMETERS.isolationRoleArn} for the CordonMember stack`, value: isolation.roleArn },
      credentials: { description: `Value of ${MEMBER_PARAMETERS.credentialRoleArn} for the CordonMember stack`, value: credentials.roleArn },
      sessionRevoker: { description: `Value of ${MEMBER_PARAMETERS.sessionRevokerRoleArn} for the CordonMember stack`, value: response.sessionRevoker.role.roleArn },
    });
    const stage = new Stage(app, 'CordonMember');
    member = new MemberStack(stage, 'ResponderRole', {
      config,
      stackName: 'CordonMember',
      description: 'Cordon: member responder role, assumed by the security account responders',
    });
  }

  warnBlindSpots(response, config, homeRegionOf(config, env));

  let organization: OrganizationStack | undefined;
  if (config.organizationId) {
    organization = new OrganizationStack(app, 'CordonOrganization', {
      config,
      env,
      responderRoles: { isolation, credentials, sessionRevoker: response.sessionRevoker.role },
      ...(detection?.detector ? { detectorId: detection.detector.attrId } : {}),
      securityHub: detection?.hub !== undefined,
      memberTemplateContext: app.node.getAllContext() as Record<string, unknown>,
      description: 'Cordon: organization wiring (member role StackSet, Security Hub and GuardDuty organization settings)',
    });
    if (detection) organization.addStackDependency(detection);
  }

  const forwarders: ForwarderStack[] = [];
  if (config.regions.length > 0) {
    const homeRegion = homeRegionOf(config, env);
    if (!homeRegion) {
      // Environment-agnostic synth (no CLI region, no cordon.homeRegion): the forwarders cannot
      // name the home bus. Warn instead of failing, so agnostic synths (tests, previews) still work.
      Annotations.of(response).addWarningV2(
        'cordon:forwarders-need-home-region',
        'cordon.regions is set but the home region is unknown: set cordon.homeRegion (or deploy with a CLI region); no forwarder stack was created',
      );
      return { ...(member ? { member } : {}), ...(organization ? { organization } : {}), forwarders };
    }
    new ForwardedEventsPolicy(response, 'ForwardedEvents', config.organizationId ? { organizationId: config.organizationId } : {});
    const rules = routedRules(config.minimumSeverity);
    for (const region of new Set(config.regions)) {
      if (region === homeRegion) continue;
      forwarders.push(
        new ForwarderStack(app, `CordonForwarder-${region}`, {
          env: { account: env?.account, region },
          homeRegion,
          rules,
          emails: config.notifications.emails,
          description: `Cordon: forwards routed findings from ${region} to ${homeRegion}`,
        }),
      );
    }
  }
  return { ...(member ? { member } : {}), ...(organization ? { organization } : {}), forwarders };
};
