import { DefaultStackSynthesizer, Stage, type App, type Environment } from 'aws-cdk-lib';
import { AnchorStack } from './anchor-stack';
import { anchorNames } from './anchor-names';
import type { CordonConfig } from './config';
import { DetectionStack } from './detection-stack';
import { EvidenceStack } from './evidence-stack';
import { GuardStack } from './guard-stack';
import { addOrganizationStacks, type OrganizationStacks } from './organization-stack';
import { ResponseStack } from './response-stack';

/** The context key DefaultStackSynthesizer reads the bootstrap qualifier from (`cdk bootstrap --qualifier`). */
const BOOTSTRAP_QUALIFIER_CONTEXT = '@aws-cdk/core:bootstrapQualifier';

export interface CordonAppProps {
  readonly config: CordonConfig;
  /** @default - environment-agnostic (resolved at deploy time) */
  readonly env?: Environment;
}

/** Every Cordon stack, wired. `bin/app.ts` and the tests build the app the same way. */
export class CordonApp {
  readonly evidence: EvidenceStack;
  readonly response: ResponseStack;
  /** Absent when GuardDuty, Security Hub and CloudTrail are all managed elsewhere. */
  readonly detection?: DetectionStack;
  /** Member role (stage), organization wiring and regional forwarders; see organization-stack.ts. */
  readonly organization: OrganizationStacks;
  /**
   * The checkpoint copies in the log-archive account (stage `CordonAnchor`, stack `Bucket`, so
   * `cdk deploy --all` in the security account leaves it out); absent unless `cordon.anchor.account` is set.
   */
  readonly anchor?: AnchorStack;
  /**
   * Cordon's guard SCP where SCPs are created (stage `CordonGuard`, stack `Policy`, deployed with
   * that account's credentials); absent unless `cordon.organization.guard.account` is set.
   */
  readonly guard?: GuardStack;

  constructor(app: App, props: CordonAppProps) {
    const { config, env } = props;
    this.evidence = new EvidenceStack(app, 'CordonEvidence', {
      config,
      env,
      terminationProtection: true,
      description: 'Cordon: WORM evidence vault, signing key and chain heads (stateful)',
    });
    this.response = new ResponseStack(app, 'CordonResponse', {
      config,
      evidence: this.evidence,
      env,
      description: 'Cordon: responders, routing, kill switch and notifications (stateless)',
    });
    const detects = config.guardDuty.enabled || config.securityHub.enabled || config.cloudTrail.enabled;
    if (detects) {
      this.detection = new DetectionStack(app, 'CordonDetection', {
        config,
        env,
        // The trail, detector and hub Cordon relies on: deleting the stack must be a decision.
        terminationProtection: true,
        description: 'Cordon: GuardDuty, Security Hub and CloudTrail',
      });
      // The response stack's Security Hub custom actions need the hub to exist first.
      if (config.securityHub.enabled) this.response.addStackDependency(this.detection, 'Security Hub custom actions need the hub');
    }
    const anchor = anchorNames(config);
    if (anchor && config.organizationId) {
      // Deployed on its own, with the log-archive account's credentials: `cdk deploy CordonAnchor/Bucket`.
      const stage = new Stage(app, 'CordonAnchor', { env: { account: anchor.account, region: anchor.region ?? env?.region } });
      this.anchor = new AnchorStack(stage, 'Bucket', {
        anchor,
        organizationId: config.organizationId,
        terminationProtection: true,
        description: 'Cordon: write-once copies of the evidence checkpoints, outside the security account (log-archive account)',
      });
    }
    this.organization = addOrganizationStacks(app, { config, env, response: this.response, ...(this.detection ? { detection: this.detection } : {}) });
    const guard = config.organization.guard;
    if (guard.account) {
      const { organization, forwarders } = this.organization;
      const stacks = [this.evidence, this.response, this.detection, organization, ...forwarders].flatMap((s) => (s ? [s.stackName] : []));
      // AWS Organizations is a global service with its endpoint in us-east-1.
      const stage = new Stage(app, 'CordonGuard', { env: { account: guard.account, region: 'us-east-1' } });
      this.guard = new GuardStack(stage, 'Policy', {
        scope: {
          responseStack: this.response.stackName,
          stacks,
          // The bootstrap of the security account whose CloudFormation execution role deploys Cordon.
          bootstrapQualifier: (app.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) as string | undefined) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER,
          ...(config.vault.breakGlassPrincipalArn ? { breakGlassPrincipalArn: config.vault.breakGlassPrincipalArn } : {}),
        },
        targetIds: guard.targetIds,
        // Deleting the stack would detach the guard: that must be a decision.
        terminationProtection: true,
        description: 'Cordon: the guard SCP on the security account (management account or delegated policy administrator)',
      });
    }
  }
}
