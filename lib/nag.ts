import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One cdk-nag finding and why it is safe here. */
export type Acknowledgement = readonly [ruleId: string, reason: string];

/** `NIST.800.53.R5-IAMNoInlinePolicy` -> `NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy`. */
const qualified = (ruleId: string): string => `${ruleId.slice(0, ruleId.indexOf('-'))}::${ruleId}`;

/**
 * Acknowledges cdk-nag findings on one construct (and its children), each with its own reason.
 * Never used at app or stack level: every acknowledgement names the resource it is about.
 */
export const acknowledge = (scope: IConstruct, findings: readonly Acknowledgement[]): void => {
  for (const [id, reason] of findings) {
    Validations.of(scope).acknowledge({ id: qualified(id), reason });
  }
};

/** How cdk-nag names a resource's ARN in IAM5 finding ids: `<LogicalId.Arn>`. */
export const arnToken = (resource: IConstruct): string =>
  `<${Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement)}.Arn>`;
