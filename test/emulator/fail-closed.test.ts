import { resolve } from 'node:path';
import { ISOLATION_TAG } from '../../lambdas/isolation/types';
import { emulatorAws, type EmulatorAws } from '../../lib/drill/emulator/clients';
import { invokeResponder, type Invocation } from '../../lib/drill/emulator/invoke';
import { MOTO_INSTALL, motoInstalled, startMoto, type MotoServer } from '../../lib/drill/emulator/moto';
import type { RecordedCall } from '../../lib/drill/emulator/record';
import { EMULATOR_HOME_ACCOUNT as HOME, EMULATOR_MEMBER_ACCOUNT, EMULATOR_REGION as REGION } from '../../lib/drill/emulator/run';
import { isolationEventFor, type ScenarioContext } from '../../lib/drill/emulator/scenarios';
import { seedCompromisedInstance, seedNetwork, type Ec2World } from '../../lib/drill/emulator/seed-ec2';
import { readEc2, type State } from '../../lib/drill/emulator/state';
import { checkpointAndVerify, createVault, type Vault } from '../../lib/drill/emulator/vault';

/**
 * Issue 12, fail closed, on the emulator: the real isolation responder runs in enforce mode against
 * moto over HTTP while the harness's SDK middleware (lib/drill/emulator/record.ts) fails one of its
 * mutating calls — each in turn, once, then every time it is sent — before it reaches moto. Read
 * back from moto, no ENI is ever left on the allow-all group: each ends on its original groups or
 * on the isolation group alone; when any did not end on the isolation group the response escalates
 * `network-not-cut` and its outcome says `networkCut: false`; and the evidence of every run
 * verifies from the emulator's bucket. Runs where moto is installed; elsewhere one line says so.
 */

const HAS_MOTO = motoInstalled();
if (!HAS_MOTO) console.log(`emulator fault injection skipped: moto is not installed here (${MOTO_INSTALL} to run it)`);

const EC2_FAMILY = new Set(['ec2', 'autoscaling', 'elbv2', 'elb']);
const isMutation = (c: RecordedCall): boolean => EC2_FAMILY.has(c.service) && !/^(Describe|Get|List)/.test(c.command);
/** Cordon's group set-up in a VPC, and the calls that cut an ENI. */
const GROUP_SETUP = /^ec2:(CreateSecurityGroup|AuthorizeSecurityGroup|RevokeSecurityGroup)/;
const CUT_CALLS = /^ec2:(CreateSecurityGroup|AuthorizeSecurityGroup|RevokeSecurityGroup|ModifyNetworkInterfaceAttribute) /;
const awsError = (name: string, message: string, status: number): Error => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

interface Run {
  readonly w: Ec2World;
  readonly before: State;
  readonly after: State;
  readonly r: Invocation;
  readonly mutations: readonly RecordedCall[];
  /** Each mutation with the run's ids replaced by their roles (`instance`, `eni1`, `group:isolation`...): the same call in every run. */
  readonly signatures: readonly string[];
}

const groupsByRole = (state: State): Map<string, string> => {
  const out = new Map<string, string>();
  for (const [path, v] of state) {
    const role = path.startsWith('sg/') ? (v as { tags?: Record<string, string> }).tags?.[ISOLATION_TAG] : undefined;
    if (role) out.set(path.slice(3), `group:${role}`);
  }
  return out;
};

/** Cordon's groups created by earlier calls of the run, by role. */
const createdGroups = (calls: readonly RecordedCall[]): Map<string, string> => {
  const out = new Map<string, string>();
  for (const c of calls) {
    const id = c.command === 'CreateSecurityGroup' ? (c.output as { GroupId?: string } | undefined)?.GroupId : undefined;
    const tags = ((c.input.TagSpecifications as { Tags?: { Key?: string; Value?: string }[] }[] | undefined) ?? []).flatMap((t) => t.Tags ?? []);
    const role = tags.find((t) => t.Key === ISOLATION_TAG)?.Value;
    if (id && role) out.set(id, `group:${role}`);
  }
  return out;
};

const signatureOf = (w: Ec2World, name: string, groups: Map<string, string>, c: RecordedCall): string => {
  const roles: [string, string][] = [
    [w.vpcId, 'vpc'],
    ...w.subnetIds.map((s, i): [string, string] => [s, `subnet${i}`]),
    [w.instanceId, 'instance'],
    ...w.eniIds.map((e, i): [string, string] => [e, `eni${i}`]),
    ...w.volumeIds.map((v, i): [string, string] => [v, `volume${i}`]),
    ...w.targetGroupArns.map((t, i): [string, string] => [t, `target-group${i}`]),
    [w.allocationId, 'address'],
    [w.asgInstanceId, 'asg-instance'],
    ...Object.entries(w.groups).map(([n, id]): [string, string] => [id, `group:${n}`]),
    ...groups,
  ];
  let text = `${c.service}:${c.command} ${JSON.stringify(c.input)}`;
  for (const [id, role] of roles.sort((a, b) => b[0].length - a[0].length)) text = text.split(id).join(role);
  return text
    .split(`${name}-`)
    .join('')
    .replace(/\binc-[0-9a-f]{24}\b/g, 'incident')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'time')
    .replace(/\b(eipassoc|iip-assoc|sg)-[0-9a-f]{8,}\b/g, '$1-new');
};

if (HAS_MOTO) {
  describe('isolation fails closed on moto: faults injected at the SDK middleware', () => {
    let moto: MotoServer;
    let aws: EmulatorAws;
    let vault: Vault;
    let ctx: ScenarioContext;
    let seq = 0;

    beforeAll(async () => {
      moto = await startMoto();
      aws = emulatorAws(moto.endpoint, HOME, REGION);
      vault = await createVault(aws);
      const network = (account: string) => seedNetwork(aws.seeder(account, REGION).ec2, REGION);
      ctx = { aws, homeAccount: HOME, memberAccount: EMULATOR_MEMBER_ACCOUNT, region: REGION, scenariosDir: resolve(__dirname, '../../drill/scenarios'), network };
    }, 120_000);

    afterAll(async () => {
      aws?.destroy();
      await moto?.stop();
    });

    /**
     * Seeds a fresh account (a member account Cordon reaches by AssumeRole, as deployed), its
     * network and the instance, isolates it with `fault` injected, reads moto back. One account per
     * run keeps runs apart (moto lists every load balancer and group of an account); each run is
     * the first isolation in its VPC, so Cordon's groups are created too: every mutating call.
     */
    const isolate = async (fault?: (c: RecordedCall, signature: string) => Error | undefined): Promise<Run> => {
      seq += 1;
      const name = `f${seq}`;
      const account = `3${String(seq).padStart(11, '0')}`;
      const seeder = aws.seeder(account, REGION);
      const net = await seedNetwork(seeder.ec2, REGION);
      const w = await seedCompromisedInstance(seeder.ec2, seeder.iam, net, { name, interfaceSpec: true });
      const before = await readEc2(seeder.ec2);
      const groups = groupsByRole(before);
      aws.log.take();
      const known = () => new Map([...groups, ...createdGroups(aws.log.recorded)]);
      aws.log.fault = fault && ((c) => (isMutation(c) ? fault(c, signatureOf(w, name, known(), c)) : undefined));
      let r: Invocation;
      try {
        r = await invokeResponder(aws, vault, 'isolation', isolationEventFor(ctx, account, w, net, seq.toString(16).padStart(6, '0')), `fault-${name}`);
      } finally {
        aws.log.fault = undefined;
      }
      const after = await readEc2(seeder.ec2);
      const calls = aws.log.take();
      const roles = new Map([...groups, ...createdGroups(calls)]);
      const mutations = calls.filter(isMutation);
      return { w, before, after, r, mutations, signatures: mutations.map((c) => signatureOf(w, name, roles, c)) };
    };

    /** No ENI on allow-all; each on its original groups or the isolation group alone; escalated when not all cut. */
    const expectFailClosed = async (run: Run, what: string): Promise<boolean> => {
      const roles = groupsByRole(run.after);
      const allowAll = [...roles].filter(([, r]) => r === 'group:allow-all').map(([id]) => id);
      const isolation = [...roles].filter(([, r]) => r === 'group:isolation').map(([id]) => id);
      const enis = run.w.eniIds.map((e) => ({ eni: e, before: run.before.get(`eni/${e}/groups`) as string[], after: run.after.get(`eni/${e}/groups`) as string[] }));
      for (const e of enis) {
        expect({ what, eni: e.eni, onAllowAll: e.after.some((g) => allowAll.includes(g)) }).toEqual({ what, eni: e.eni, onAllowAll: false });
        const cutOrOriginal = (e.after.length === 1 && isolation.includes(e.after[0] ?? '')) || JSON.stringify(e.after) === JSON.stringify(e.before);
        expect({ what, eni: e.eni, groups: e.after, cutOrOriginal }).toEqual({ what, eni: e.eni, groups: e.after, cutOrOriginal: true });
      }
      const cut = enis.every((e) => e.after.length === 1 && isolation.includes(e.after[0] ?? ''));
      const records = await vault.reader.read(run.r.incidentId);
      const outcome = records.find((x) => x.kind === 'outcome');
      const touched = run.mutations.some((c) => c.command === 'ModifyNetworkInterfaceAttribute');
      // Once an ENI was touched, the outcome says whether the network is cut; before that, a
      // response that stopped says why, and every ENI is as it was.
      if (outcome || touched) expect({ what, networkCut: (outcome?.after as { networkCut?: boolean } | undefined)?.networkCut }).toEqual({ what, networkCut: cut });
      if (!cut) {
        const expected = touched ? { decision: 'escalate', reason: 'network-not-cut', last: 'escalate:network-not-cut' } : { decision: 'escalate', reason: run.r.reason, last: records.at(-1)?.action };
        expect({ what, decision: run.r.decision, reason: run.r.reason, last: records.at(-1)?.action }).toEqual({ what, ...expected });
        expect({ what, last: records.at(-1)?.kind }).toEqual({ what, last: 'escalation' });
      }
      return cut;
    };

    let clean: Run;

    it('isolates cleanly on moto first: the mutating calls the faults are injected into', async () => {
      clean = await isolate();
      expect(await expectFailClosed(clean, 'clean')).toBe(true);
      expect(clean.r.decision).toBe('act');
      expect(new Set(clean.signatures).size).toBe(clean.signatures.length);
      expect(clean.mutations.map((c) => c.command)).toEqual(
        expect.arrayContaining(['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'ModifyNetworkInterfaceAttribute', 'DetachInstances', 'DeregisterTargets', 'DisassociateAddress', 'CreateSnapshots']),
      );
    }, 120_000);

    it('leaves no ENI on allow-all when each mutating call, in turn, fails once', async () => {
      const notCut: string[] = [];
      for (const [k, signature] of clean.signatures.entries()) {
        let failed = false;
        const run = await isolate((_c, s) => (!failed && s === signature ? ((failed = true), awsError('InternalError', `injected failure of call ${k}`, 500)) : undefined));
        // The call was failed, unless this run did not plan it at all (then nothing was sent to fail).
        const command = signature.split(' ')[0]?.split(':')[1] ?? '';
        const planned = run.r.steps.some((x) => x.action.endsWith(`:${command}`));
        expect({ signature, injected: failed || !planned }).toEqual({ signature, injected: true });
        if (CUT_CALLS.test(signature)) expect({ signature, injected: failed }).toEqual({ signature, injected: true });
        if (!(await expectFailClosed(run, `once: ${signature}`))) notCut.push(signature);
      }
      // A single failure of an ENI step is retried; only a failed group set-up leaves the ENIs as they were.
      expect(notCut.filter((s) => !GROUP_SETUP.test(s))).toEqual([]);
    }, 900_000);

    it('leaves no ENI on allow-all when each mutating call fails every time it is sent, and escalates network-not-cut where an ENI is not cut', async () => {
      const notCut: string[] = [];
      for (const signature of clean.signatures) {
        const run = await isolate((_c, s) => (s === signature ? awsError('UnauthorizedOperation', `${signature} denied`, 403) : undefined));
        if (!(await expectFailClosed(run, `always: ${signature}`))) notCut.push(signature);
      }
      // The network stays uncut only when a group set-up call or an ENI's own cut keeps failing, and then it does.
      expect(notCut.filter((s) => !CUT_CALLS.test(s))).toEqual([]);
      expect(clean.signatures.filter((s) => CUT_CALLS.test(s) && !notCut.includes(s) && !s.includes('"group:allow-all"'))).toEqual([]);
    }, 900_000);

    it('verifies the evidence of every run from the emulator’s Object Lock bucket', async () => {
      const { verify } = await checkpointAndVerify(aws, vault);
      expect(verify).toMatchObject({ ok: true, problems: [] });
      expect(verify.records).toBeGreaterThan(seq * 3);
    }, 120_000);
  });
}
