import type { App, Environment } from 'aws-cdk-lib';
import type { CordonConfig } from './config';
import { DetectionStack } from './detection-stack';
import { EvidenceStack } from './evidence-stack';
import { addOrganizationStacks, type OrganizationStacks } from './organization-stack';
import { ResponseStack } from './response-stack';

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
    this.organization = addOrganizationStacks(app, { config, env, response: this.response, ...(this.detection ? { detection: this.detection } : {}) });
  }
}
