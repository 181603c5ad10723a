import { describeDenials, evaluateCalls, type SentCall } from '../../authz/calls';
import { Authorizer, authorizer } from '../../authz/evaluate';
import { knownDenial } from '../../authz/known';
import { isMemberRole, type RoleFacts } from '../../authz/model';
import { canSynthesize } from '../../authz/synth';
import type { CordonConfig } from '../../config';
import { authorizationConfig } from '../authorize';
import type { RecordedCall } from './record';

/**
 * The emulator drill's authorization check: every call a responder sent to moto (record.ts) is
 * evaluated by lib/authz — the evaluator of the offline drill and of the handler tests' hook —
 * against the synthesized policies of the principal it really ran as: the function's role for its
 * own credentials, the member role an AssumeRole returned credentials for (found by access key
 * id), the session revoker's role or member writer for the state machine's stand-in. The request
 * context is the emulator's world as the calls saw it: resource ids and tags from the answers moto
 * gave (lib/authz/calls.ts learns them), the emulator's bucket, key, tables and parameter standing
 * for the deployed ones (`configured`, as the functions' environment names them). A refusal fails
 * the scenario, naming the call, the principal and the deciding statement or the missing allow.
 * Known denials (lib/authz/known.ts, left to issue 11) are reported apart, as in the other checks.
 */

export interface EmulatorAuthorization {
  /** IAM requests evaluated. */
  readonly evaluated: number;
  /** Requests evaluated per principal (`isolation`, `member-isolation`...). */
  readonly byPrincipal: Readonly<Record<string, number>>;
  /** One line per refused request: `call #3 ec2:CreateTags by isolation (arn:...): ... would be refused: ...`. */
  readonly refused: readonly string[];
  /** Refusals that are known denials (id: request), tolerated as everywhere else and reported. */
  readonly known: readonly string[];
  /** Why nothing was evaluated (the bundled command has no CDK sources to synthesize). */
  readonly unavailable?: string;
}

export interface EmulatorAuthorizerOptions {
  readonly config: CordonConfig;
  readonly account: string;
  readonly region: string;
  /**
   * Replaces a principal's synthesized facts before evaluation (a test's stand-in policy, e.g.
   * without one action). With it, the authorizer is a fresh one: no decision is shared with a run
   * on the real policies.
   */
  readonly standIn?: (role: RoleFacts) => RoleFacts;
}

export const UNAVAILABLE = 'not evaluated: this build of cordon has no CDK sources to synthesize (the repository checkout evaluates every call)';

export interface EmulatorAuthorizer {
  readonly authz?: Authorizer;
  readonly standIn?: (role: RoleFacts) => RoleFacts;
}

/** The authorizer of the drilled config (synthesized once, cached), or none where synthesis is impossible. */
export const emulatorAuthorizer = async (o: EmulatorAuthorizerOptions): Promise<EmulatorAuthorizer> => {
  if (!canSynthesize()) return {};
  const options = { account: o.account, region: o.region, config: authorizationConfig(o.config) };
  const authz = o.standIn ? await Authorizer.create(options) : await authorizer(options);
  return { authz, ...(o.standIn ? { standIn: o.standIn } : {}) };
};

/** The member role whose ARN an AssumeRole named (its path may differ from the ARN the caller built). */
const assumedRole = (authz: Authorizer, roleArn: string): RoleFacts | undefined => {
  const account = roleArn.split(':')[4] ?? '';
  const name = roleArn.split('/').at(-1);
  const members = authz.deployment(account).roles.filter((r) => isMemberRole(r.name));
  return members.find((r) => r.arn === roleArn) ?? members.find((r) => r.arn.split('/').at(-1) === name);
};

/** The principal a recorded call ran as, or why it cannot be told. */
const principalOf = (authz: Authorizer, call: RecordedCall, assumed: ReadonlyMap<string, string>): RoleFacts | string => {
  const s = call.sender;
  if ('own' in s) return authz.role(s.own);
  if ('principal' in s) return authz.role(s.principal, isMemberRole(s.principal) ? s.account : undefined);
  const roleArn = assumed.get(s.accessKeyId);
  if (!roleArn) return `signed with access key ${s.accessKeyId}, which no recorded AssumeRole returned`;
  return assumedRole(authz, roleArn) ?? `signed as ${roleArn}, a role the synthesized member stack does not declare`;
};

/**
 * Evaluates one scenario's calls; `decide` may leave out calls the caller already had decided (the
 * same call in a run on an identical world): they still teach the evaluator what they answered.
 */
export const authorizeEmulatorCalls = async (
  a: EmulatorAuthorizer,
  calls: readonly RecordedCall[],
  assumed: ReadonlyMap<string, string>,
  configured: Readonly<Record<string, string>>,
  decide: (call: RecordedCall) => boolean = () => true,
): Promise<EmulatorAuthorization> => {
  const { authz } = a;
  if (!authz) return { evaluated: 0, byPrincipal: {}, refused: [], known: [], unavailable: UNAVAILABLE };
  const unknown: string[] = [];
  const sent: SentCall[] = [];
  const decided: boolean[] = [];
  for (const [index, call] of calls.entries()) {
    const found = principalOf(authz, call, assumed);
    if (typeof found === 'string') {
      unknown.push(`call #${index} ${call.service}:${call.command}: ${found}`);
      continue;
    }
    const principal = a.standIn ? a.standIn(found) : found;
    sent.push({ service: call.service, command: call.command, input: call.input, ...(call.output !== undefined ? { output: call.output } : {}), principal, region: call.region });
    decided.push(decide(call));
  }
  const verdicts = await evaluateCalls(authz, sent, { configured, decide: (i) => decided[i] !== false });
  const byPrincipal: Record<string, number> = {};
  for (const v of verdicts) byPrincipal[v.principal] = (byPrincipal[v.principal] ?? 0) + 1;
  const refusedVerdicts = verdicts.filter((v) => !v.allowed);
  const known = refusedVerdicts.flatMap((v) => {
    const k = knownDenial(v);
    return k ? [`${k.id}: ${v.action} on ${v.resource} by ${v.principal}`] : [];
  });
  return {
    evaluated: verdicts.length,
    byPrincipal,
    refused: [...unknown, ...describeDenials(refusedVerdicts.filter((v) => !knownDenial(v)))],
    known,
  };
};

/** Sums scenario authorizations for the totals line. */
export const sumAuthorizations = (list: readonly EmulatorAuthorization[]): EmulatorAuthorization => {
  const byPrincipal: Record<string, number> = {};
  for (const a of list) for (const [p, n] of Object.entries(a.byPrincipal)) byPrincipal[p] = (byPrincipal[p] ?? 0) + n;
  const unavailable = list.find((a) => a.unavailable)?.unavailable;
  return {
    evaluated: list.reduce((n, a) => n + a.evaluated, 0),
    byPrincipal,
    refused: list.flatMap((a) => a.refused),
    known: list.flatMap((a) => a.known),
    ...(unavailable ? { unavailable } : {}),
  };
};
