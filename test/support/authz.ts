import type { MetadataBearer } from '@smithy/types';
import type { AwsStub } from 'aws-sdk-client-mock';
import { describeDenials, evaluateCalls, type CallVerdict, type SentCall } from '../../lib/authz/calls';
import { authorizer, type Authorizer } from '../../lib/authz/evaluate';
import { knownDenial } from '../../lib/authz/known';
import { isMemberRole, type RoleFacts } from '../../lib/authz/model';
import { serviceOfClient } from '../../lib/authz/sdk-clients';

/**
 * The authorization hook of the handler tests (registered by test/support/authz-setup.ts): every
 * command an `aws-sdk-client-mock` mock received during a test is evaluated, after the test, against
 * the synthesized policies of the principal that sent it — the function role a test file declares
 * with `authorizeAs(...)`, or the member role when the client signs with credentials an AssumeRole
 * of the same test returned. A call AWS would refuse fails the test, naming call, principal and
 * statement.
 */

/** The security account the harness deploys Cordon in; the member role lives in each target account. */
export const AUTHZ_HOME = '111111111111';

/**
 * The access key id of the function's own credentials. Lambda hands a function its role's
 * credentials in the environment; the setup puts this id there (a test may put its own), so a
 * client built without explicit credentials signs with it and one given an AssumeRole's does not.
 */
export const FUNCTION_KEY_ID = 'ASIACORDONFUNCTION00';

type SinonCall = { args: unknown[]; thisValue: unknown; returnValue: unknown; callId: number };
type AnyStub = AwsStub<object, MetadataBearer, object>;

interface State {
  /** Principals (friendly names) whose own credentials send the calls of this file. */
  senders?: readonly string[];
  /** Why this file's calls are not Cordon's (e.g. the CLI signs as the operator). */
  notCordon?: string;
  readonly mocks: AnyStub[];
  /** sinon call ids already harvested (getCalls() returns new objects each time). */
  readonly seen: Set<number>;
  /** Calls harvested before a mock's reset/restore wiped them. */
  readonly harvested: SinonCall[];
  /** The verdicts of the last evaluated test, for assertions on the hook itself. */
  last: CallVerdict[];
  /** Access key ids of credentialsOf(...) -> the principal they sign as. */
  readonly signers: Map<string, { readonly principal: string; readonly account?: string }>;
}

const g = globalThis as { __cordonAuthz?: State };
const state: State = (g.__cordonAuthz ??= { mocks: [], seen: new Set(), harvested: [], last: [], signers: new Map() });

/** Declares which Cordon principal(s) send this file's calls (each must be allowed). */
export const authorizeAs = (...principals: string[]): void => {
  state.senders = principals;
};

/**
 * Credentials that sign as a given Cordon principal (e.g. the session revoker state machine's role,
 * `CordonResponse/SessionRevokerRole`, or a member role in `account`): for a test that stands in for
 * a principal other than the function (a Step Functions task run by the ASL interpreter).
 */
export const credentialsOf = (principal: string, account?: string): { accessKeyId: string; secretAccessKey: string; sessionToken: string } => {
  const accessKeyId = `ASIASIGNER${String(state.signers.size).padStart(10, '0')}`;
  const known = [...state.signers].find(([, v]) => v.principal === principal && v.account === account);
  if (known) return { accessKeyId: known[0], secretAccessKey: 'not-a-secret', sessionToken: 'signer' };
  state.signers.set(accessKeyId, { principal, ...(account ? { account } : {}) });
  return { accessKeyId, secretAccessKey: 'not-a-secret', sessionToken: 'signer' };
};

/** Declares this file's calls are not made by a Cordon principal, with the reason. */
export const notCordonCalls = (reason: string): void => {
  state.notCordon = reason;
};

/** Verdicts of the calls of the last test the hook evaluated. */
export const lastVerdicts = (): readonly CallVerdict[] => state.last;

const calls = (m: AnyStub): SinonCall[] => (m.send as unknown as { getCalls: () => SinonCall[] }).getCalls();

/** Keeps a mock's calls before `reset()` / `restore()` clear them, then registers it. */
export const track = (mock: AnyStub): AnyStub => {
  for (const method of ['reset', 'restore', 'resetHistory'] as const) {
    const original = (mock as unknown as Record<string, (() => unknown) | undefined>)[method];
    if (!original) continue;
    (mock as unknown as Record<string, () => unknown>)[method] = function (this: unknown) {
      harvest(mock);
      return original.call(mock);
    };
  }
  state.mocks.push(mock);
  return mock;
};

const harvest = (mock: AnyStub): void => {
  for (const c of calls(mock)) {
    if (state.seen.has(c.callId)) continue;
    state.seen.add(c.callId);
    state.harvested.push(c);
  }
};

interface ClientLike {
  readonly constructor: { readonly name: string };
  readonly config: { region: () => Promise<string>; credentials: () => Promise<{ accessKeyId: string; sessionToken?: string }> };
}

/** The answer of a call that settled; undefined for a failed one or one still pending (a hung call the test abandoned). */
const settle = async (v: unknown): Promise<unknown> => {
  const pending = new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)));
  try {
    return await Promise.race([v, pending]);
  } catch {
    return undefined;
  }
};

/** The calls of the test just finished, with their sender, or undefined when there were none. */
const sentCalls = async (authz: Authorizer): Promise<SentCall[]> => {
  for (const m of state.mocks) harvest(m);
  // In the order they were sent, across every mock (sinon numbers calls globally).
  const raw = state.harvested.splice(0).sort((a, b) => a.callId - b.callId);
  const resolved = await Promise.all(
    raw.map(async (c) => {
      const client = c.thisValue as ClientLike;
      const command = c.args[0] as { constructor: { name: string }; input?: Record<string, unknown> };
      const region = await client.config.region().catch(() => process.env.AWS_REGION ?? 'us-east-1');
      const signing = await client.config.credentials();
      const own = signing.accessKeyId === FUNCTION_KEY_ID || signing.accessKeyId === process.env.AWS_ACCESS_KEY_ID;
      const credentials = own ? undefined : signing;
      return {
        service: serviceOfClient(client.constructor.name),
        command: command.constructor.name.replace(/Command$/, ''),
        input: command.input ?? {},
        output: await settle(c.returnValue),
        region,
        credentials,
      };
    }),
  );
  // Credentials returned by an AssumeRole of this test -> the role assumed.
  const assumed = new Map<string, string>();
  for (const r of resolved) {
    if (r.service !== 'sts' || r.command !== 'AssumeRole') continue;
    const c = (r.output as { Credentials?: { AccessKeyId?: string; SessionToken?: string } } | undefined)?.Credentials;
    if (c?.AccessKeyId) assumed.set(`${c.AccessKeyId}/${c.SessionToken ?? ''}`, String(r.input.RoleArn));
  }
  const senders = state.senders ?? [];
  return resolved.flatMap((r) => {
    let principals: RoleFacts[];
    const signer = r.credentials ? state.signers.get(r.credentials.accessKeyId) : undefined;
    if (signer) {
      principals = [authz.role(signer.principal, signer.account)];
    } else if (r.credentials) {
      const roleArn = assumed.get(`${r.credentials.accessKeyId}/${r.credentials.sessionToken ?? ''}`);
      if (!roleArn) throw new Error(`authz: ${r.service}:${r.command} is signed with credentials no AssumeRole of this test returned (use credentialsOf(principal) for a stand-in signer)`);
      const account = roleArn.split(':')[4] ?? '';
      // The member role assumed, by its ARN in that account's member stack; a test naming it
      // otherwise (a fixture's role name) reaches the sending responder's own member role.
      const byArn = authz.deployment(account).roles.find((m) => m.arn === roleArn && isMemberRole(m.name));
      principals = byArn ? [byArn] : senders.map((s) => authz.role(`member-${s}`, account));
    } else {
      principals = senders.map((s) => authz.role(s));
    }
    return principals.map((principal) => ({ service: r.service, command: r.command, input: r.input, output: r.output, region: r.region, principal }));
  });
};

/** Evaluates the calls of the test just finished; throws naming every refusal. */
export const checkTestCalls = async (): Promise<void> => {
  for (const m of state.mocks) harvest(m);
  if (state.harvested.length === 0) {
    state.last = [];
    return;
  }
  if (state.notCordon) {
    state.harvested.splice(0);
    state.last = [];
    return;
  }
  if (!state.senders) {
    const names = [...new Set(state.harvested.map((c) => (c.args[0] as object).constructor.name))].join(', ');
    state.harvested.splice(0);
    throw new Error(
      `authz: this test sent ${names} but its file does not say which principal sends them: call authorizeAs('isolation' | 'credentials' | 'checkpoint' | 'tamper' | ...) ` +
        'from test/support/authz at the top of the file (or in a describe’s beforeAll), or notCordonCalls(reason) for calls made as the operator',
    );
  }
  const byRegion = new Map<string, SentCall[]>();
  const authz0 = await authorizer({ account: AUTHZ_HOME, region: process.env.AWS_REGION ?? 'eu-west-1' });
  for (const call of await sentCalls(authz0)) byRegion.set(call.region, [...(byRegion.get(call.region) ?? []), call]);
  const verdicts: CallVerdict[] = [];
  for (const [region, list] of byRegion) {
    const authz = await authorizer({ account: AUTHZ_HOME, region });
    // Principals were resolved in the first authorizer; re-resolve them in this region's deployment.
    const local = list.map((c) => ({ ...c, principal: authz.role(c.principal.name, isMemberRole(c.principal.name) ? c.principal.account : undefined) }));
    verdicts.push(...(await evaluateCalls(authz, local)));
  }
  state.last = verdicts;
  // Known denials (lib/authz/known.ts) are left to issue 11; anything else fails the test.
  const denials = describeDenials(verdicts.filter((v) => !knownDenial(v)));
  if (denials.length > 0) {
    throw new Error(
      `AWS would refuse ${denials.length} call(s) of this test (evaluated against the synthesized policies by lib/authz; fix the policy, ` +
        `or the request mapping in lib/authz/requests.ts if it does not say what AWS authorizes):\n${denials.join('\n')}`,
    );
  }
};
