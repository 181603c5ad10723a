import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import { GUARD_POLICY_NAME, guardStatements, type GuardScope } from './guard-policy';

export interface GuardStackProps extends StackProps {
  /** What the SCP names (lib/guard-policy.ts), except the partition: this stack's. */
  readonly scope: Omit<GuardScope, 'partition'>;
  /** Account, OU or root ids the SCP is attached to (`cordon.organization.guard.targetIds`). */
  readonly targetIds: readonly string[];
}

/**
 * `CordonGuard/Policy`, deployed where SCPs can be created: the organization's management account,
 * or a member account that is a delegated administrator for AWS Organizations policy management
 * (a resource-based delegation policy allowing organizations:CreatePolicy, UpdatePolicy,
 * AttachPolicy and DetachPolicy for SERVICE_CONTROL_POLICY). It holds one service control policy,
 * `cordon-guard`, attached to the security account (or its OU): lib/guard-policy.ts says what it
 * denies and to whom. The SCP policy type must be enabled in the organization first.
 */
export class GuardStack extends Stack {
  readonly policy: organizations.CfnPolicy;

  constructor(scope: Construct, id: string, props: GuardStackProps) {
    super(scope, id, props);
    this.policy = new organizations.CfnPolicy(this, 'GuardPolicy', {
      name: GUARD_POLICY_NAME,
      type: 'SERVICE_CONTROL_POLICY',
      description: 'Cordon guard: the session revoker, Cordon roles and functions, and the /cordon/ role path change only through Cordon deploys or break-glass',
      content: { Version: '2012-10-17', Statement: guardStatements({ ...props.scope, partition: this.partition }) },
      targetIds: [...props.targetIds],
    });
    new CfnOutput(this, 'GuardPolicyId', { value: this.policy.attrId, description: 'aws organizations describe-policy --policy-id <this>' });
    Tags.of(this).add('cordon:component', 'guard');
  }
}
