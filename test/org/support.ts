import { Template } from 'aws-cdk-lib/assertions';
import type { CordonConfigInput } from '../../lib/config';
import { buildCordon } from '../lib/app';

/** The organization example of the brief: one OU, one other region, one listed member account. */
export const ORG_CONFIG: CordonConfigInput = {
  organizationId: 'o-abc1234567',
  memberOrganizationalUnits: ['ou-ab12-cdef3456'],
  memberAccounts: ['222233334444'],
  regions: ['eu-west-1'],
  homeRegion: 'eu-central-1',
};

/** Builds the whole app once for a config and hands out templates by role. */
export const orgApp = (input: CordonConfigInput = ORG_CONFIG) => {
  const { app, cordon } = buildCordon(input);
  const { member, organization, forwarders } = cordon.organization;
  return {
    app,
    cordon,
    member: member ? Template.fromStack(member) : undefined,
    organization: organization ? Template.fromStack(organization) : undefined,
    forwarders: forwarders.map((stack) => ({ stack, template: Template.fromStack(stack) })),
    response: Template.fromStack(cordon.response),
  };
};

export type CfnResource = { Type: string; Properties: Record<string, unknown> };

/** Every resource of a type, properties only. */
export const resourcesOf = (template: Template, type: string): Record<string, unknown>[] =>
  Object.values(template.findResources(type) as Record<string, CfnResource>).map((r) => r.Properties);

/** The only resource of a type. */
export const onlyOf = (template: Template, type: string): Record<string, unknown> => {
  const all = resourcesOf(template, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
};
