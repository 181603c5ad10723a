import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** One cdk-nag finding and why it is safe here. */
export type Acknowledgement = readonly [ruleId: string, reason: string];

/** `NIST.800.53.R5-IAMNoInlinePolicy` -> `NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy`. */
const qualified = (ruleId: string): string => `${ruleId.slice(0, ruleId.indexOf('-'))}::${ruleId}`;

/**
 * Acknowledges cdk-nag findings on one construct (and its children), each with its own reason.
 * Never used at app or stack level: every acknowledgement names the resource it is about. A
 * wildcard resource (`AwsSolutions-IAM5[Resource::...]`) is acknowledged with `acknowledgeGrants`
 * only, which binds it to the actions reviewed.
 */
export const acknowledge = (scope: IConstruct, findings: readonly Acknowledgement[]): void => {
  for (const [id, reason] of findings) {
    if (id.startsWith('AwsSolutions-IAM5[Resource::')) {
      throw new Error(`acknowledge: ${id} names a resource but not its actions; use acknowledgeGrants`);
    }
    Validations.of(scope).acknowledge({ id: qualified(id), reason });
  }
};

/** One reviewed wildcard grant: exactly these actions on this resource (as cdk-nag prints it), and why. */
export interface ReviewedGrant {
  readonly resource: string;
  readonly actions: readonly string[];
  readonly reason: string;
}

interface StatementJson {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/** The Allow statements of every IAM policy at or below `scope` (inline, managed, and role inline policies). */
const allowStatements = (scope: IConstruct): { path: string; statement: StatementJson }[] => {
  const stack = Stack.of(scope);
  const documents = scope.node.findAll().flatMap((c) => {
    if (c instanceof iam.CfnPolicy || c instanceof iam.CfnManagedPolicy) return [{ path: c.node.path, doc: c.policyDocument as unknown }];
    if (c instanceof iam.CfnRole) return (stack.resolve(c.policies) as { policyDocument: unknown }[] | undefined ?? []).map((p) => ({ path: c.node.path, doc: p.policyDocument }));
    return [];
  });
  return documents.flatMap(({ path, doc }) =>
    ((stack.resolve(doc) as { Statement?: StatementJson[] } | undefined)?.Statement ?? [])
      .filter((statement) => statement.Effect === 'Allow')
      .map((statement) => ({ path, statement })),
  );
};

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** Reviewed actions per wildcard resource, per scope: every acknowledgeGrants call on a scope adds to one review. */
const reviews = new WeakMap<IConstruct, Map<string, Set<string>>>();

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::<resource>]` for each reviewed grant, bound to its
 * actions: cdk-nag's finding names only the resource, so a later `ec2:TerminateInstances` on the
 * same `*` would pass under the same acknowledgement. A validation on `scope` fails synth for any
 * Allow statement at or below it that allows, on a reviewed resource, an action the review does
 * not list (a wildcard resource never reviewed is cdk-nag's own, unacknowledged finding).
 */
export const acknowledgeGrants = (scope: IConstruct, grants: readonly ReviewedGrant[]): void => {
  let reviewed = reviews.get(scope);
  if (!reviewed) {
    const review = new Map<string, Set<string>>();
    reviewed = review;
    reviews.set(scope, review);
    scope.node.addValidation({ validate: () => unreviewedGrants(scope, review) });
  }
  for (const grant of grants) {
    const actions = reviewed.get(grant.resource) ?? new Set<string>();
    grant.actions.forEach((a) => actions.add(a));
    reviewed.set(grant.resource, actions);
    Validations.of(scope).acknowledge({
      id: qualified(`AwsSolutions-IAM5[Resource::${grant.resource}]`),
      reason: `${grant.reason} (reviewed for ${grant.actions.join(', ')} only)`,
    });
  }
};

const unreviewedGrants = (scope: IConstruct, reviewed: ReadonlyMap<string, ReadonlySet<string>>): string[] =>
  allowStatements(scope).flatMap(({ path, statement }) => {
    const actions = listOf(statement.Action) as string[];
    return listOf(statement.Resource)
      .map(nagRender)
      .flatMap((resource) => {
        const allowed = reviewed.get(resource);
        if (!allowed) return [];
        const unreviewed = actions.filter((a) => !allowed.has(a));
        return unreviewed.length === 0 ? [] : [`unreviewed wildcard grant in ${path}: ${unreviewed.join(', ')} on ${resource} (reviewed: ${[...allowed].join(', ')})`];
      });
  });

/** How cdk-nag names a resource's ARN in IAM5 finding ids: `<LogicalId.Arn>`. */
export const arnToken = (resource: IConstruct): string =>
  `<${Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement)}.Arn>`;

/** How cdk-nag prints a resolved resource value: `{Ref: X}` as `<X>`, GetAtt as `<A.B>`. */
export const nagRender = (part: unknown): string => {
  if (typeof part === 'string') return part;
  if (part && typeof part === 'object') {
    const o = part as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(nagRender).join(sep);
    }
    if ('Fn::ImportValue' in o) return nagRender(o['Fn::ImportValue']);
  }
  return JSON.stringify(part);
};

/** How cdk-nag prints a resource string containing tokens. */
export const nagResource = (stack: Stack, value: string): string => nagRender(stack.resolve(value));

/**
 * One acknowledgement per wildcard resource of the policy's Allow statements, each with the reason
 * for its kind and bound to exactly the actions the policy allows on it now (acknowledgeGrants):
 * a statement added to the policy later is an unreviewed grant and fails synth.
 */
export const acknowledgeWildcards = (stack: Stack, policy: IConstruct, reasons: Record<string, string>, document?: iam.PolicyDocument): void => {
  const json = stack.resolve((document ?? (policy as iam.ManagedPolicy).document).toJSON()) as { Statement: { Effect: string; Action: string | string[]; Resource: unknown }[] };
  const actionsOn = new Map<string, Set<string>>();
  for (const st of json.Statement.filter((s) => s.Effect === 'Allow')) {
    for (const resource of (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map(nagRender).filter((r) => r.includes('*'))) {
      const actions = actionsOn.get(resource) ?? new Set<string>();
      (Array.isArray(st.Action) ? st.Action : [st.Action]).forEach((a) => actions.add(a));
      actionsOn.set(resource, actions);
    }
  }
  const tails = Object.keys(reasons).sort((a, b) => b.length - a.length);
  acknowledgeGrants(
    policy,
    [...actionsOn].map(([resource, actions]) => {
      const tail = tails.find((t) => (t === '*' ? resource === '*' : resource.endsWith(t)));
      if (!tail) throw new Error(`no reason recorded for wildcard resource ${resource}`);
      return { resource, actions: [...actions], reason: reasons[tail]! };
    }),
  );
};

/** A customer-managed policy with a reason for each wildcard cdk-nag reports (`acknowledgeWildcards`). */
export const reviewedPolicy = (
  stack: Stack,
  id: string,
  reasons: Record<string, string>,
  props: { readonly description: string; readonly statements: iam.PolicyStatement[] },
): iam.ManagedPolicy => {
  const policy = new iam.ManagedPolicy(stack, id, props);
  acknowledgeWildcards(stack, policy, reasons);
  return policy;
};
