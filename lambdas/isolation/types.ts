import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AccountAccess } from '../shared/assume';
import { PROTECTED_TAG } from '../shared/names';

export { INCIDENT_TAG, ISOLATION_TAG, RELEASED_TAG } from '../shared/names';

/** The clients one target is acted on with: all built with the same credentials and region. */
export interface Ec2Clients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly elb: ElasticLoadBalancingClient;
  /** The credential responder's session revocation, for the instance role (sessions.ts). */
  readonly sessions?: InstanceSessions;
}

/** What revoking an instance's role sessions needs: the instance, its profile, where it lives. */
export interface InstanceSessionsRequest {
  readonly instanceId: string;
  readonly profileArn: string;
  readonly account: string;
  readonly region: string;
  readonly incidentId: string;
}

/** Asks the credential responder to deny the role sessions issued to this instance before now. */
export interface InstanceSessions {
  revoke(request: InstanceSessionsRequest): Promise<{ requestIds: string[]; after: Record<string, unknown> }>;
}

/** Builds the clients for one account+region (credentials undefined = the function's own). */
export type ClientsFor = (access: AccountAccess) => Ec2Clients;

export interface IsolationConfig {
  /** Instances carrying this tag are skipped unless a manual request says `force`.
   * @default - `cordon:protected` = `true` */
  readonly protectedTag: { readonly key: string; readonly value: string };
  /** Replace the instance profile with this one; undefined = disassociate it. */
  readonly quarantineProfileArn?: string;
  /** Automatic findings below this severity (0-10) are skipped. @default - none */
  readonly minimumSeverity?: number;
  /** Also revoke the instance role's sessions issued to this instance before now, through the
   * credential responder (deployed: CREDENTIALS_FUNCTION_NAME). @default false */
  readonly revokeInstanceSessions?: boolean;
}

export const defaultIsolationConfig: IsolationConfig = {
  protectedTag: PROTECTED_TAG,
};

/** The two groups isolation creates per VPC, by the value of their `cordon:isolation` tag. */
export const ISOLATION_ROLES = ['isolation', 'allow-all'] as const;
export type IsolationRole = (typeof ISOLATION_ROLES)[number];

/** One IP permission rule as observed (enough to revoke it exactly). */
export interface ObservedRule {
  readonly ipProtocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly prefixListIds: readonly string[];
  readonly groupIds: readonly string[];
}

export interface ObservedSecurityGroup {
  readonly groupId: string;
  readonly vpcId: string;
  readonly role: IsolationRole;
  readonly ingress: readonly ObservedRule[];
  readonly egress: readonly ObservedRule[];
}

export interface ObservedEni {
  readonly eniId: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
  readonly groupIds: readonly string[];
  readonly deviceIndex?: number;
  readonly privateIps: readonly string[];
  readonly ipv6: readonly string[];
  /** ENIs managed by another service cannot have their groups changed by us. */
  readonly requesterManaged: boolean;
}

export interface ObservedDevice {
  readonly deviceName: string;
  readonly volumeId?: string;
  readonly deleteOnTermination: boolean;
}

export interface ObservedInstance {
  readonly instanceId: string;
  /** `pending | running | shutting-down | terminated | stopping | stopped`. */
  readonly state: string;
  readonly vpcId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly devices: readonly ObservedDevice[];
  readonly profileArn?: string;
}

export interface ObservedAddress {
  readonly associationId: string;
  readonly publicIp?: string;
  readonly allocationId?: string;
  readonly eniId?: string;
  readonly privateIp?: string;
}

export interface ObservedTargetGroup {
  readonly arn: string;
  /** `TCP`/`UDP`/`TLS`/`TCP_UDP` = Network Load Balancer, `GENEVE` = Gateway Load Balancer, HTTP(S) = ALB. */
  readonly protocol?: string;
  readonly targets: readonly { readonly id: string; readonly port?: number; readonly availabilityZone?: string }[];
}

/** A side-resource describe that failed: evidenced, its step skipped, the network cut still made. */
export interface ObservationError {
  /** What could not be read: `target-groups`, `target-group:<arn>`, `classic-load-balancers`, ... */
  readonly resource: string;
  /** The AWS call, e.g. `elasticloadbalancing:DescribeTargetHealth`. */
  readonly call: string;
  readonly error: string;
}

/** A route of the instance's subnet that leads somewhere a security group change does not cut. */
export interface ObservedRoute {
  readonly subnetId?: string;
  readonly routeTableId: string;
  readonly destination: string;
  /** `nat-gateway`, `transit-gateway`, `vpc-endpoint` (Gateway Load Balancer / Network Firewall endpoint), ... */
  readonly via: string;
  readonly targetId: string;
}

/** Everything `planIsolation` needs, read in one parallel round (plus target health). */
export interface InstanceState {
  /** Undefined: the instance does not exist (or not in this account/region). */
  readonly instance?: ObservedInstance;
  readonly enis: readonly ObservedEni[];
  readonly volumeIds: readonly string[];
  readonly autoScalingGroup?: { readonly name: string; readonly lifecycleState?: string; readonly protectedFromScaleIn?: boolean };
  readonly addresses: readonly ObservedAddress[];
  readonly profileAssociation?: { readonly associationId: string; readonly arn: string };
  /** Cordon's security groups found by tag, in every VPC of the region. */
  readonly isolationGroups: readonly ObservedSecurityGroup[];
  readonly targetGroups: readonly ObservedTargetGroup[];
  readonly classicLoadBalancers: readonly string[];
  /** Routes of the instance's subnets through paths a security group cannot cut (see residual.ts). */
  readonly routes?: readonly ObservedRoute[];
  /** Side resources that could not be read (the instance, its ENIs and Cordon's groups always can). */
  readonly observationErrors?: readonly ObservationError[];
}

/** A security group that exists, or the one a `create-security-group` step will create. */
export type GroupRef = { readonly groupId: string } | { readonly createdBy: string };

interface StepBase {
  /** Unique in the plan, stable: `eni-isolate:eni-0abc`. */
  readonly id: string;
  /** The AWS action, for evidence and IAM: `ec2:ModifyNetworkInterfaceAttribute`. */
  readonly action: string;
  /** Run only once these steps have settled (ordering, success not required). */
  readonly after?: readonly string[];
  /** Run only if these steps succeeded; otherwise this step is not run (and evidenced so). */
  readonly needs?: readonly string[];
  /** Wait for these steps too, but no longer than the executor's `softWaitMs` after the rest. */
  readonly softAfter?: readonly string[];
}

export type Step = StepBase &
  (
    | { readonly kind: 'protect-termination'; readonly instanceId: string }
    | { readonly kind: 'protect-stop'; readonly instanceId: string }
    | { readonly kind: 'shutdown-behaviour-stop'; readonly instanceId: string }
    | { readonly kind: 'keep-volumes'; readonly instanceId: string; readonly devices: readonly ObservedDevice[] }
    | {
        readonly kind: 'detach-asg';
        readonly instanceId: string;
        readonly autoScalingGroupName: string;
        readonly lifecycleState?: string;
        readonly protectedFromScaleIn?: boolean;
      }
    | { readonly kind: 'protect-scale-in'; readonly instanceId: string; readonly autoScalingGroupName: string; readonly protect: boolean }
    | { readonly kind: 'deregister-target-group'; readonly targetGroupArn: string; readonly targets: ObservedTargetGroup['targets'] }
    | { readonly kind: 'deregister-classic-elb'; readonly instanceId: string; readonly loadBalancerName: string }
    | { readonly kind: 'create-security-group'; readonly vpcId: string; readonly role: IsolationRole; readonly groupName: string }
    | {
        readonly kind: 'authorize-allow-all';
        readonly group: GroupRef;
        readonly direction: 'ingress' | 'egress';
        readonly ipv4: boolean;
        readonly ipv6: boolean;
      }
    | { readonly kind: 'revoke-rules'; readonly group: GroupRef; readonly direction: 'ingress' | 'egress'; readonly rules: readonly ObservedRule[] }
    | {
        readonly kind: 'verify-groups';
        readonly vpcId: string;
        readonly allowAll: GroupRef;
        readonly isolation: GroupRef;
      }
    | { readonly kind: 'capture-console-output'; readonly instanceId: string }
    | { readonly kind: 'capture-console-screenshot'; readonly instanceId: string }
    | { readonly kind: 'eni-allow-all'; readonly eniId: string; readonly group: GroupRef; readonly before: readonly string[] }
    | { readonly kind: 'eni-isolate'; readonly eniId: string; readonly group: GroupRef; readonly before: readonly string[] }
    | { readonly kind: 'disassociate-address'; readonly address: ObservedAddress }
    | { readonly kind: 'replace-profile'; readonly associationId: string; readonly before: string; readonly profileArn: string }
    | { readonly kind: 'disassociate-profile'; readonly associationId: string; readonly before: string }
    | ({ readonly kind: 'revoke-instance-sessions' } & InstanceSessionsRequest)
    | { readonly kind: 'snapshot-volumes'; readonly instanceId: string; readonly volumeIds: readonly string[]; readonly incidentId: string }
    | { readonly kind: 'tag-instance'; readonly instanceId: string; readonly tags: Readonly<Record<string, string>> }
    | { readonly kind: 'restore-eni-groups'; readonly eniId: string; readonly groupIds: readonly string[]; readonly before: readonly string[] }
    | { readonly kind: 'attach-asg'; readonly instanceId: string; readonly autoScalingGroupName: string }
    | { readonly kind: 'untag-instance'; readonly instanceId: string; readonly keys: readonly string[] }
  );

export type StepKind = Step['kind'];

export type StepStatus = 'succeeded' | 'failed' | 'not-run';

export interface StepResult {
  readonly step: Step;
  readonly status: StepStatus;
  readonly requestIds: readonly string[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly error?: string;
  /** The security group a `create-security-group` step created (or found, after a race). */
  readonly groupId?: string;
  /** Bytes a capture step read (console output, screenshot): stored in the vault, hashed in the record. */
  readonly artifact?: Artifact;
}

/** Volatile evidence read from AWS, to be stored as an object beside the records. */
export interface Artifact {
  readonly name: string;
  readonly contentType: string;
  readonly body: Buffer;
}
