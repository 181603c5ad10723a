import type { AuthzRequest } from './evaluate';
import { tagContext, type Mapper, type Where } from './where';

/**
 * What EC2, Auto Scaling, ELB and GuardDuty authorize for each call the isolation responder makes
 * (AWS Service Authorization Reference, "Actions defined by Amazon EC2"): every resource type the
 * action lists, its tags, and for tag-on-create one `ec2:CreateTags` per created resource with
 * `ec2:CreateAction` and the requested tags.
 */

type Tag = { Key?: string; Value?: string };
type TagSpec = { ResourceType?: string; Tags?: Tag[] };

/** An id of a resource not yet created: the ARN AWS authorizes names the new resource. */
const NEW = { 'security-group': 'sg-0cordonnew000000', snapshot: 'snap-0cordonnew00000' } as const;

export const ec2Arn = (w: Where, type: string, id: string): string =>
  type === 'snapshot' ? `arn:${w.partition}:ec2:${w.region}::snapshot/${id}` : `arn:${w.partition}:ec2:${w.region}:${w.account}:${type}/${id}`;

/** Resource type of an EC2 id (`i-`, `sg-`, ...), for CreateTags and friends. */
const TYPE_OF_ID: readonly [string, string][] = [
  ['i-', 'instance'],
  ['sg-', 'security-group'],
  ['snap-', 'snapshot'],
  ['vol-', 'volume'],
  ['eni-', 'network-interface'],
  ['vpc-', 'vpc'],
  ['eipalloc-', 'elastic-ip'],
];
const arnOfId = (w: Where, id: string): string => {
  const type = TYPE_OF_ID.find(([p]) => id.startsWith(p))?.[1];
  if (!type) throw new Error(`authz: no EC2 resource type for id ${id}`);
  return ec2Arn(w, type, id);
};

/** `aws:RequestTag/<k>` and `aws:TagKeys` of a tag list. */
export const requestTags = (tags: readonly Tag[]): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key ?? '') };
  for (const t of tags) out[`aws:RequestTag/${t.Key ?? ''}`] = t.Value ?? '';
  return out;
};

/** The resource, with its known tags as `aws:ResourceTag/*` and `ec2:ResourceTag/*`. */
const on = (w: Where, action: string, resource: string, extra: Record<string, string | string[]> = {}): AuthzRequest => ({
  action,
  resource,
  context: { ...tagContext(w.tagsOf(resource), ['aws', 'ec2']), ...extra },
});

/**
 * Tag-on-create: the create action on the new resource with the requested tags, and EC2's
 * implicit `ec2:CreateTags` on it with `ec2:CreateAction`.
 */
const createTagged = (w: Where, action: string, type: keyof typeof NEW, specs: readonly TagSpec[] | undefined): AuthzRequest[] => {
  const tags = (specs ?? []).filter((s) => !s.ResourceType || s.ResourceType === type).flatMap((s) => s.Tags ?? []);
  const resource = ec2Arn(w, type, NEW[type]);
  const requested = tags.length > 0 ? requestTags(tags) : {};
  return [
    { action, resource, context: requested },
    ...(tags.length > 0 ? [{ action: 'ec2:CreateTags', resource, context: { ...requested, 'ec2:CreateAction': action.replace(/^ec2:/, '') } }] : []),
  ];
};

/** The `ec2:Attribute` value of a ModifyInstanceAttribute request (the attribute it sets). */
const ATTRIBUTE_OF_FIELD: Readonly<Record<string, string>> = {
  DisableApiTermination: 'disableApiTermination',
  DisableApiStop: 'disableApiStop',
  InstanceInitiatedShutdownBehavior: 'instanceInitiatedShutdownBehavior',
  BlockDeviceMappings: 'blockDeviceMapping',
  UserData: 'userData',
  Groups: 'groupSet',
  SourceDestCheck: 'sourceDestCheck',
  InstanceType: 'instanceType',
  Kernel: 'kernel',
  Ramdisk: 'ramdisk',
  EbsOptimized: 'ebsOptimized',
  EnaSupport: 'enaSupport',
  SriovNetSupport: 'sriovNetSupport',
};

type In = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The role behind an instance profile: the configured quarantine pair, else the role named like the profile. */
const passRole = (w: Where, profileArn: string): AuthzRequest => {
  const role = w.roleOfProfile(profileArn);
  return { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } };
};

export const EC2_REQUESTS: Readonly<Record<string, Mapper>> = {
  'ec2:ModifyInstanceAttribute': (i: In, w) => {
    const fields = Object.keys(i).filter((k) => k !== 'InstanceId' && k !== 'DryRun' && k !== 'Value' && k !== 'Attribute');
    const attributes = i.Attribute ? [s(i.Attribute)] : fields.map((f) => ATTRIBUTE_OF_FIELD[f] ?? f);
    return attributes.map((a) => on(w, 'ec2:ModifyInstanceAttribute', ec2Arn(w, 'instance', s(i.InstanceId)), { 'ec2:Attribute': a }));
  },
  'ec2:ModifyNetworkInterfaceAttribute': (i: In, w) => [
    on(w, 'ec2:ModifyNetworkInterfaceAttribute', ec2Arn(w, 'network-interface', s(i.NetworkInterfaceId))),
    ...((i.Groups as string[] | undefined) ?? []).map((g) => on(w, 'ec2:ModifyNetworkInterfaceAttribute', ec2Arn(w, 'security-group', g))),
  ],
  'ec2:CreateSecurityGroup': (i: In, w) => [
    ...createTagged(w, 'ec2:CreateSecurityGroup', 'security-group', i.TagSpecifications as TagSpec[] | undefined),
    on(w, 'ec2:CreateSecurityGroup', ec2Arn(w, 'vpc', s(i.VpcId))),
  ],
  'ec2:AuthorizeSecurityGroupIngress': (i: In, w) => [on(w, 'ec2:AuthorizeSecurityGroupIngress', ec2Arn(w, 'security-group', s(i.GroupId)))],
  'ec2:AuthorizeSecurityGroupEgress': (i: In, w) => [on(w, 'ec2:AuthorizeSecurityGroupEgress', ec2Arn(w, 'security-group', s(i.GroupId)))],
  'ec2:RevokeSecurityGroupIngress': (i: In, w) => [on(w, 'ec2:RevokeSecurityGroupIngress', ec2Arn(w, 'security-group', s(i.GroupId)))],
  'ec2:RevokeSecurityGroupEgress': (i: In, w) => [on(w, 'ec2:RevokeSecurityGroupEgress', ec2Arn(w, 'security-group', s(i.GroupId)))],
  'ec2:DisassociateAddress': (i: In, w) => [
    on(w, 'ec2:DisassociateAddress', ec2Arn(w, 'elastic-ip', w.observed(`eip-association:${s(i.AssociationId)}`) ?? `eipalloc-of-${s(i.AssociationId)}`)),
  ],
  'ec2:ReplaceIamInstanceProfileAssociation': (i: In, w) => [
    on(w, 'ec2:ReplaceIamInstanceProfileAssociation', ec2Arn(w, 'instance', w.observed(`profile-association:${s(i.AssociationId)}`) ?? 'i-unknown')),
    passRole(w, s((i.IamInstanceProfile as In | undefined)?.Arn)),
  ],
  'ec2:DisassociateIamInstanceProfile': (i: In, w) => [
    on(w, 'ec2:DisassociateIamInstanceProfile', ec2Arn(w, 'instance', w.observed(`profile-association:${s(i.AssociationId)}`) ?? 'i-unknown')),
  ],
  'ec2:AssociateIamInstanceProfile': (i: In, w) => [
    on(w, 'ec2:AssociateIamInstanceProfile', ec2Arn(w, 'instance', s(i.InstanceId))),
    passRole(w, s((i.IamInstanceProfile as In | undefined)?.Arn)),
  ],
  'ec2:CreateSnapshots': (i: In, w) => {
    const instanceId = s((i.InstanceSpecification as In | undefined)?.InstanceId);
    const volumes = (w.observed(`volumes:${instanceId}`) ?? '').split(',').filter((v) => v !== '');
    return [
      on(w, 'ec2:CreateSnapshots', ec2Arn(w, 'instance', instanceId)),
      ...volumes.map((v) => on(w, 'ec2:CreateSnapshots', ec2Arn(w, 'volume', v))),
      ...createTagged(w, 'ec2:CreateSnapshots', 'snapshot', i.TagSpecifications as TagSpec[] | undefined),
    ];
  },
  'ec2:CreateTags': (i: In, w) =>
    ((i.Resources as string[] | undefined) ?? []).map((id) => on(w, 'ec2:CreateTags', arnOfId(w, id), requestTags((i.Tags as Tag[] | undefined) ?? []))),
  'ec2:DeleteTags': (i: In, w) =>
    // Deleting names keys only: `aws:TagKeys`, no `aws:RequestTag/*`.
    ((i.Resources as string[] | undefined) ?? []).map((id) => on(w, 'ec2:DeleteTags', arnOfId(w, id), { 'aws:TagKeys': ((i.Tags as Tag[] | undefined) ?? []).map((t) => t.Key ?? '') })),
  'ec2:GetConsoleOutput': (i: In, w) => [on(w, 'ec2:GetConsoleOutput', ec2Arn(w, 'instance', s(i.InstanceId)))],
  'ec2:GetConsoleScreenshot': (i: In, w) => [on(w, 'ec2:GetConsoleScreenshot', ec2Arn(w, 'instance', s(i.InstanceId)))],
  'autoscaling:SetInstanceProtection': (i: In, w) => [{ action: 'autoscaling:SetInstanceProtection', resource: asgArn(w, s(i.AutoScalingGroupName)) }],
  'autoscaling:DetachInstances': (i: In, w) => [{ action: 'autoscaling:DetachInstances', resource: asgArn(w, s(i.AutoScalingGroupName)) }],
  'autoscaling:AttachInstances': (i: In, w) => [{ action: 'autoscaling:AttachInstances', resource: asgArn(w, s(i.AutoScalingGroupName)) }],
  'elbv2:DeregisterTargets': (i: In) => [{ action: 'elasticloadbalancing:DeregisterTargets', resource: s(i.TargetGroupArn) }],
  'elbv2:RegisterTargets': (i: In) => [{ action: 'elasticloadbalancing:RegisterTargets', resource: s(i.TargetGroupArn) }],
  'elb:DeregisterInstancesFromLoadBalancer': (i: In, w) => [
    { action: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer', resource: `arn:${w.partition}:elasticloadbalancing:${w.region}:${w.account}:loadbalancer/${s(i.LoadBalancerName)}` },
  ],
  'elb:RegisterInstancesWithLoadBalancer': (i: In, w) => [
    { action: 'elasticloadbalancing:RegisterInstancesWithLoadBalancer', resource: `arn:${w.partition}:elasticloadbalancing:${w.region}:${w.account}:loadbalancer/${s(i.LoadBalancerName)}` },
  ],
  // No resource-level permission (Service Authorization Reference): authorized on `*`.
  'guardduty:GetFindings': () => [{ action: 'guardduty:GetFindings', resource: '*' }],
};

const asgArn = (w: Where, name: string): string =>
  `arn:${w.partition}:autoscaling:${w.region}:${w.account}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`;
