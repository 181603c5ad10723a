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

/** How cdk-nag prints a resource string containing tokens: `{Ref: X}` as `<X>`, GetAtt as `<A.B>`. */
export const nagResource = (stack: Stack, value: string): string => {
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    if (part && typeof part === 'object') {
      const o = part as Record<string, unknown>;
      if ('Ref' in o) return `<${String(o.Ref)}>`;
      if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(render).join(sep);
      }
      if ('Fn::ImportValue' in o) return render(o['Fn::ImportValue']);
    }
    return JSON.stringify(part);
  };
  return render(stack.resolve(value));
};
