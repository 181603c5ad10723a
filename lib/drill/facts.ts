import { z } from 'zod';
import { parseCredentialEvent, type CredentialRequest } from '../../lambdas/findings/credentials';
import { parseEc2Event, INSTANCE_ID } from '../../lambdas/findings/ec2';
import {
  GUARDDUTY_FINDING_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  guardDutyInstanceDetailsSchema,
  looksLikeGuardDutyFinding,
  type GuardDutyInstanceDetails,
} from '../../lambdas/findings/guardduty';
import { SECURITYHUB_SOURCE } from '../../lambdas/findings/securityhub';

/**
 * What the drill's fake AWS knows: only what the event itself says (GuardDuty `instanceDetails`,
 * Security Hub `AwsEc2Instance` details, the principal of `accessKeyDetails`, the key of a Health
 * event), plus an optional sidecar `<event>.world.json` for facts no finding carries (target
 * groups, volumes, Elastic IPs, IAM tags, a console password).
 */

export interface EniFacts {
  readonly eniId: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
  readonly groupIds: readonly string[];
  readonly privateIps: readonly string[];
  readonly ipv6: readonly string[];
}

export interface InstanceFacts {
  readonly instanceId: string;
  readonly state: string;
  readonly vpcId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly enis: readonly EniFacts[];
  readonly profileArn?: string;
  readonly autoScalingGroup?: string;
  readonly targetGroups: readonly { readonly arn: string; readonly type: 'instance' | 'ip'; readonly port?: number }[];
  readonly classicLoadBalancers: readonly string[];
  readonly volumes: readonly { readonly volumeId: string; readonly device: string; readonly deleteOnTermination: boolean }[];
  readonly elasticIps: readonly { readonly PublicIp: string; readonly AllocationId: string; readonly AssociationId: string; readonly NetworkInterfaceId?: string; readonly PrivateIpAddress?: string }[];
}

export interface UserFacts {
  readonly userName: string;
  readonly keys: readonly { readonly accessKeyId: string; readonly status: string }[];
  readonly tags: Readonly<Record<string, string>>;
  readonly consolePassword: boolean;
}

export interface RoleFacts {
  readonly roleName: string;
  readonly path: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface WorldFacts {
  readonly instances: readonly InstanceFacts[];
  readonly users: readonly UserFacts[];
  readonly roles: readonly RoleFacts[];
}

const tags = z.record(z.string(), z.string());

/** The optional `<event>.world.json` beside an event. */
export const sidecarSchema = z.strictObject({
  /** Free text: why these facts. */
  note: z.string().optional(),
  instances: z
    .record(
      z.string().regex(INSTANCE_ID),
      z.strictObject({
        state: z.string().optional(),
        autoScalingGroup: z.string().min(1).optional(),
        targetGroups: z
          .array(z.strictObject({ arn: z.string().startsWith('arn:'), type: z.enum(['instance', 'ip']).default('instance'), port: z.number().int().optional() }))
          .optional(),
        classicLoadBalancers: z.array(z.string().min(1)).optional(),
        volumes: z
          .array(z.strictObject({ volumeId: z.string().regex(/^vol-[0-9a-f]+$/), device: z.string(), deleteOnTermination: z.boolean().default(true) }))
          .optional(),
        elasticIps: z
          .array(
            z.strictObject({
              publicIp: z.string(),
              allocationId: z.string().regex(/^eipalloc-/),
              associationId: z.string().regex(/^eipassoc-/),
              eniId: z.string().regex(/^eni-/).optional(),
            }),
          )
          .optional(),
        tags: tags.optional(),
      }),
    )
    .optional(),
  users: z
    .record(z.string(), z.strictObject({ tags: tags.optional(), consolePassword: z.boolean().optional(), otherKeys: z.array(z.string()).optional() }))
    .optional(),
  roles: z.record(z.string(), z.strictObject({ tags: tags.optional(), path: z.string().optional() })).optional(),
});
export type Sidecar = z.infer<typeof sidecarSchema>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The GuardDuty findings in an event: envelope detail, `{region, detail}`, or the bare finding. */
const guardDutyFindings = (event: unknown): Record<string, unknown>[] => {
  if (!isRecord(event)) return [];
  if (event.source === GUARDDUTY_SOURCE && event['detail-type'] === GUARDDUTY_FINDING_DETAIL_TYPE && isRecord(event.detail)) return [event.detail];
  if (!('source' in event) && isRecord(event.detail) && looksLikeGuardDutyFinding(event.detail)) return [event.detail];
  if (looksLikeGuardDutyFinding(event)) return [event];
  return [];
};

/** ASFF findings of a Security Hub event (custom action or imported). */
const asffFindings = (event: unknown): Record<string, unknown>[] => {
  if (!isRecord(event) || event.source !== SECURITYHUB_SOURCE || !isRecord(event.detail)) return [];
  const findings = event.detail.findings;
  return Array.isArray(findings) ? findings.filter(isRecord) : [];
};

const fromGuardDuty = (details: GuardDutyInstanceDetails, raw: Record<string, unknown>): Partial<InstanceFacts> => {
  const rawEnis = Array.isArray(raw.networkInterfaces) ? raw.networkInterfaces.filter(isRecord) : [];
  const enis: EniFacts[] = (details.networkInterfaces ?? []).flatMap((n, i) => {
    const eniId = n.networkInterfaceId ?? undefined;
    if (!eniId || !/^eni-[0-9a-z]+$/.test(eniId)) return [];
    const extra = rawEnis[i]?.privateIpAddresses;
    const privateIps = Array.isArray(extra)
      ? extra.flatMap((a) => (isRecord(a) && str(a.privateIpAddress) ? [String(a.privateIpAddress)] : []))
      : [];
    if (privateIps.length === 0 && n.privateIpAddress) privateIps.push(n.privateIpAddress);
    return [
      {
        eniId,
        ...(n.vpcId ? { vpcId: n.vpcId } : {}),
        ...(n.subnetId ? { subnetId: n.subnetId } : {}),
        groupIds: (n.securityGroups ?? []).flatMap((g) => (g.groupId ? [g.groupId] : [])),
        privateIps,
        ipv6: n.ipv6Addresses ?? [],
      },
    ];
  });
  const t: Record<string, string> = {};
  for (const tag of details.tags ?? []) t[tag.key] = tag.value ?? '';
  return {
    ...(details.instanceState ? { state: details.instanceState } : {}),
    enis,
    tags: t,
    ...(details.iamInstanceProfile?.arn ? { profileArn: details.iamInstanceProfile.arn } : {}),
  };
};

const PRIVATE_V4 = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

const fromAsff = (resource: Record<string, unknown>): Partial<InstanceFacts> => {
  const d = isRecord(resource.Details) && isRecord(resource.Details.AwsEc2Instance) ? resource.Details.AwsEc2Instance : {};
  const vpcId = str(d.VpcId);
  const subnetId = str(d.SubnetId);
  const v4 = Array.isArray(d.IpV4Addresses) ? d.IpV4Addresses.filter((a): a is string => typeof a === 'string' && PRIVATE_V4.test(a)) : [];
  const v6 = Array.isArray(d.IpV6Addresses) ? d.IpV6Addresses.filter((a): a is string => typeof a === 'string') : [];
  const ids = Array.isArray(d.NetworkInterfaces)
    ? d.NetworkInterfaces.flatMap((n) => (isRecord(n) && str(n.NetworkInterfaceId) ? [String(n.NetworkInterfaceId)] : []))
    : [];
  const t = isRecord(resource.Tags) ? Object.fromEntries(Object.entries(resource.Tags).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  return {
    enis: ids.map((eniId, i) => ({
      eniId,
      ...(vpcId ? { vpcId } : {}),
      ...(subnetId ? { subnetId } : {}),
      groupIds: [],
      privateIps: i === 0 ? v4 : [],
      ipv6: i === 0 ? v6 : [],
    })),
    tags: t,
    ...(str(d.IamInstanceProfileArn) ? { profileArn: String(d.IamInstanceProfileArn) } : {}),
  };
};

const instanceOf = (instanceId: string, seen: Partial<InstanceFacts>, sidecar?: NonNullable<Sidecar['instances']>[string]): InstanceFacts => {
  const enis = seen.enis ?? [];
  const t = { ...(seen.tags ?? {}), ...(sidecar?.tags ?? {}) };
  // An instance in an Auto Scaling group carries the aws:autoscaling:groupName tag; findings copy instance tags.
  const asg = sidecar?.autoScalingGroup ?? t['aws:autoscaling:groupName'];
  const vpcId = enis.find((e) => e.vpcId)?.vpcId;
  return {
    instanceId,
    // A finding describes activity on the instance: running unless it says otherwise.
    state: sidecar?.state ?? seen.state ?? 'running',
    ...(vpcId ? { vpcId } : {}),
    tags: t,
    enis,
    ...(seen.profileArn ? { profileArn: seen.profileArn } : {}),
    ...(asg ? { autoScalingGroup: asg } : {}),
    targetGroups: (sidecar?.targetGroups ?? []).map((g) => ({ arn: g.arn, type: g.type, ...(g.port !== undefined ? { port: g.port } : {}) })),
    classicLoadBalancers: sidecar?.classicLoadBalancers ?? [],
    volumes: sidecar?.volumes ?? [],
    elasticIps: (sidecar?.elasticIps ?? []).map((a) => {
      const eni = enis.find((e) => e.eniId === a.eniId) ?? enis[0];
      return {
        PublicIp: a.publicIp,
        AllocationId: a.allocationId,
        AssociationId: a.associationId,
        ...(eni ? { NetworkInterfaceId: eni.eniId } : {}),
        ...(eni?.privateIps[0] ? { PrivateIpAddress: eni.privateIps[0] } : {}),
      };
    }),
  };
};

const rolePath = (roleName: string): string =>
  roleName.startsWith('AWSServiceRoleFor')
    ? '/aws-service-role/'
    : roleName.startsWith('AWSReservedSSO_')
      ? '/aws-reserved/sso.amazonaws.com/'
      : '/';

export interface FactsContext {
  readonly homeAccount: string;
  readonly homeRegion: string;
  readonly requestId?: string;
}

/** Everything the fake world answers for one event. */
export const factsOf = (event: unknown, ctx: FactsContext, sidecar: Sidecar = {}): WorldFacts => {
  const seen = new Map<string, Partial<InstanceFacts>>();
  const merge = (id: string, facts: Partial<InstanceFacts>) => {
    const prev = seen.get(id) ?? {};
    seen.set(id, {
      ...prev,
      ...facts,
      enis: [...(prev.enis ?? []), ...(facts.enis ?? []).filter((e) => !(prev.enis ?? []).some((p) => p.eniId === e.eniId))],
      tags: { ...(prev.tags ?? {}), ...(facts.tags ?? {}) },
    });
  };
  for (const f of guardDutyFindings(event)) {
    const resource = isRecord(f.resource) ? f.resource : {};
    const raw = isRecord(resource.instanceDetails) ? resource.instanceDetails : undefined;
    const parsed = raw ? guardDutyInstanceDetailsSchema.safeParse(raw) : undefined;
    const id = parsed?.success ? parsed.data.instanceId : undefined;
    if (raw && parsed?.success && id && INSTANCE_ID.test(id)) merge(id, fromGuardDuty(parsed.data, raw));
  }
  for (const f of asffFindings(event)) {
    for (const r of Array.isArray(f.Resources) ? f.Resources.filter(isRecord) : []) {
      if (r.Type !== 'AwsEc2Instance') continue;
      const id = /instance\/(i-[0-9a-f]+)$/.exec(String(r.Id))?.[1] ?? String(r.Id);
      if (INSTANCE_ID.test(id)) merge(id, fromAsff(r));
    }
  }
  // Every instance the isolation parser targets exists, even when the event says nothing else
  // about it (a manual request, a finding with only an instance id).
  const ec2 = parseEc2Event(event, ctx.requestId ? { requestId: ctx.requestId } : {});
  for (const t of ec2.targets) if (!seen.has(t.instance.instanceId)) merge(t.instance.instanceId, {});
  for (const id of Object.keys(sidecar.instances ?? {})) if (!seen.has(id)) merge(id, {});

  const users = new Map<string, { keys: Map<string, string>; tags: Record<string, string>; consolePassword: boolean }>();
  const roles = new Map<string, RoleFacts>();
  const user = (name: string) => {
    let u = users.get(name);
    if (!u) {
      u = { keys: new Map(), tags: {}, consolePassword: false };
      users.set(name, u);
    }
    return u;
  };
  const request: CredentialRequest = parseCredentialEvent(event, {
    homeAccount: ctx.homeAccount,
    homeRegion: ctx.homeRegion,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
  });
  if (request.kind === 'revoke') {
    for (const t of request.targets) {
      if (t.kind === 'iam-user-key' && t.userName) user(t.userName).keys.set(t.accessKeyId, 'Active');
      else if (t.kind === 'iam-user') user(t.userName);
      else if (t.kind === 'role-session' && t.roleName) roles.set(t.roleName, { roleName: t.roleName, path: rolePath(t.roleName), tags: {} });
    }
  }
  for (const [name, extra] of Object.entries(sidecar.users ?? {})) {
    const u = user(name);
    Object.assign(u.tags, extra.tags ?? {});
    u.consolePassword = extra.consolePassword ?? u.consolePassword;
    for (const k of extra.otherKeys ?? []) if (!u.keys.has(k)) u.keys.set(k, 'Active');
  }
  for (const [name, extra] of Object.entries(sidecar.roles ?? {})) {
    const r = roles.get(name);
    roles.set(name, { roleName: name, path: extra.path ?? r?.path ?? rolePath(name), tags: { ...(r?.tags ?? {}), ...(extra.tags ?? {}) } });
  }

  return {
    instances: [...seen.entries()].map(([id, facts]) => instanceOf(id, facts, sidecar.instances?.[id])),
    users: [...users.entries()].map(([userName, u]) => ({
      userName,
      keys: [...u.keys.entries()].map(([accessKeyId, status]) => ({ accessKeyId, status })),
      tags: u.tags,
      consolePassword: u.consolePassword,
    })),
    roles: [...roles.values()],
  };
};
