import { describeDenials, evaluateCalls, type SentCall } from '../authz/calls';
import { authorizer, type Authorizer } from '../authz/evaluate';
import { knownDenial } from '../authz/known';
import { canSynthesize } from '../authz/synth';
import type { CordonConfig } from '../config';
import type { WorldCall } from './world';

/**
 * The drill's authorization check: every call the responders sent to the fake world (reads, and the
 * writes it refused) is evaluated with iam-simulate (lib/authz) against the synthesized policies of
 * the drilled config, as the principal whose credentials the client signed with (the function's
 * role, or its member role after AssumeRole). A call AWS would refuse fails the drill, named with
 * its principal and the deciding statement (or the missing allow). The templates are synthesized
 * once per change of lib/ and config (cached, lib/authz/synth.ts). The fake world's names are
 * the deployed resources' own (no configured names to translate).
 */

export interface DrillAuthorizationOptions {
  readonly config: CordonConfig;
  /** The security account and region the drill imitates. */
  readonly account: string;
  readonly region: string;
}

export interface DrillAuthorization {
  /** One line per refused request, e.g. `call #3 ec2:CreateTags by isolation (arn:...): ... would be refused: ...`. */
  readonly denied: readonly string[];
  /** Requests evaluated. */
  readonly evaluated: number;
  /**
   * Accounts the events come from although the config gives Cordon no member access at all (no
   * organization, member OU or member account): evaluated as members of an assumed organization.
   */
  readonly assumedMembers: readonly string[];
  /**
   * Regions the events come from that the config does not list: evaluated as the home region (the
   * policies repeat the same statements for every listed region, so this is what listing it gives).
   */
  readonly assumedRegions: readonly string[];
  /** Why nothing was evaluated: the bundled command has no CDK sources to synthesize. */
  readonly unavailable?: string;
}

/** The organization the drill assumes when the config names none and the events come from other accounts. */
const ASSUMED_ORGANIZATION = { organizationId: 'o-cordondrill0', memberOrganizationalUnits: ['ou-cord-0drill00'] };

const authorizers = new Map<string, Promise<Authorizer>>();

const authorizerFor = (config: CordonConfig, o: DrillAuthorizationOptions): Promise<Authorizer> => {
  const key = JSON.stringify([config, o.account, o.region]);
  let hit = authorizers.get(key);
  if (!hit) {
    hit = authorizer({ account: o.account, region: o.region, config });
    authorizers.set(key, hit);
  }
  return hit;
};

const hasMemberAccess = (c: CordonConfig): boolean => c.organizationId !== undefined || c.memberAccounts.length > 0 || c.memberOrganizationalUnits.length > 0;

/**
 * The config the drill's calls are evaluated against: `config` itself, plus an assumed organization
 * when it gives no member access (one synthesis per drilled config, whatever the events).
 */
export const authorizationConfig = (config: CordonConfig): CordonConfig => (hasMemberAccess(config) ? config : { ...config, ...ASSUMED_ORGANIZATION });

/** Every call with a sender (those without are not Cordon's), evaluated as its sender. */
export const authorizeDrillCalls = async (calls: readonly WorldCall[], options: DrillAuthorizationOptions): Promise<DrillAuthorization> => {
  const { config } = options;
  if (!canSynthesize()) {
    return { denied: [], evaluated: 0, assumedMembers: [], assumedRegions: [], unavailable: 'not evaluated: this build of cordon has no CDK sources to synthesize (npm run drill in the repository evaluates every call)' };
  }
  const authz = await authorizerFor(authorizationConfig(config), options);
  const listed = new Set([options.region, ...config.regions]);
  const assumedMembers = new Set<string>();
  const assumedRegions = new Set<string>();
  const sent: SentCall[] = [];
  for (const call of calls) {
    if (!call.sender) continue;
    const { principal, account, region } = call.sender;
    if (account !== options.account && !hasMemberAccess(config)) assumedMembers.add(account);
    if (!listed.has(region)) assumedRegions.add(region);
    sent.push({
      service: call.service,
      command: call.command,
      input: (call.input ?? {}) as Record<string, unknown>,
      ...(call.output !== undefined ? { output: call.output } : {}),
      principal: authz.role(principal, principal.startsWith('member-') ? account : undefined),
      region: listed.has(region) ? region : options.region,
    });
  }
  const verdicts = await evaluateCalls(authz, sent, { configured: {} });
  return {
    denied: describeDenials(verdicts.filter((v) => !knownDenial(v))),
    evaluated: verdicts.length,
    assumedMembers: [...assumedMembers].sort(),
    assumedRegions: [...assumedRegions].sort(),
  };
};
