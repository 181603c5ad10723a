import type { Step } from '../../lambdas/isolation/types';
import { emulatorAuthorizer, type EmulatorAuthorizer } from '../../lib/drill/emulator/authorize';
import { emulatorAws, type EmulatorAws } from '../../lib/drill/emulator/clients';
import { DEPLOYED } from '../../lib/drill/emulator/invoke';
import { MOTO_INSTALL, motoInstalled, startMoto, type MotoServer } from '../../lib/drill/emulator/moto';
import { checkpointAndVerify, createVault, vaultOn, type Vault } from '../../lib/drill/emulator/vault';
import { actionOf, HOME, isMutation, isolateWithFault, REGION, type FaultRun, type Injector, type Lane } from './fault-runs';

/**
 * Issue 12, fail closed, on the emulator: the real isolation responder, as deployed, in enforce
 * mode against moto over HTTP, while the harness's SDK middleware (lib/drill/emulator/record.ts)
 * fails one of its mutating calls before it reaches moto. The calls injected are exactly the
 * mutating calls a clean run on the same world makes, each in turn, failing once and then every
 * time it is sent. For every run, read back from moto and from the vault:
 * 1. no ENI is on the allow-all group; each is on exactly its original groups or exactly the
 *    isolation group;
 * 2. the outcome's `networkCut` is true exactly when every ENI ended on the isolation group;
 * 3. when the cut is incomplete the response escalates `network-not-cut`, naming each ENI;
 * 4. the injected failure is in the evidence (call, error code, request id) after the intent
 *    record, and the intent record was stored before the first mutating call was sent;
 * 5. the steps that did not succeed are exactly the failed one and the steps that need it;
 * 6. the injection fired (the hook's count); every call was authorized by the synthesized policies;
 * and the evidence of every run verifies from the bucket. Runs where moto is installed.
 */

const HAS_MOTO = motoInstalled();
if (!HAS_MOTO) console.log(`emulator fault injection skipped: moto is not installed here (${MOTO_INSTALL} to run it)`);

/**
 * moto 5.2.1 does not implement GetConsoleScreenshot (it answers an HTML 404 page): that capture
 * fails in every run, injected or not. It is a read, so no injection is lost; the cut does not wait
 * for it (execute.ts bounds the wait).
 */
const MOTO_GAPS: Readonly<Record<string, RegExp>> = { 'capture-console-screenshot': /XML parse error/ };

/** Runs at once, each on its own clients and call log (moto serves them; DynamoDB one at a time). */
const LANES = 3;

type Mode = 'once' | 'always';
interface Injection {
  readonly signature: string;
  readonly mode: Mode;
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
}

/** Fails the call with `signature` as AWS does: a 500 InternalError once, or a 403 UnauthorizedOperation every time. */
const injectorOf = (inj: Injection): Injector => {
  let fired = 0;
  return (signature) => {
    if (signature !== inj.signature || (inj.mode === 'once' && fired > 0)) return undefined;
    fired += 1;
    const status = inj.mode === 'once' ? 500 : 403;
    return Object.assign(new Error(inj.message), { name: inj.code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId: inj.requestId } });
  };
};

type Planned = Step & { readonly needs?: readonly string[]; readonly eniId?: string; readonly before?: readonly string[] };

/** The step records of the run, the intent, its plan, the outcome and the last record. */
const evidenceOf = (run: FaultRun) => {
  const intent = run.records.find((x) => x.kind === 'intent');
  const plan = ((intent?.detail as { plan?: Planned[] } | undefined)?.plan ?? []) as readonly Planned[];
  const steps = run.records.filter((x) => x.kind === 'step');
  const outcome = run.records.find((x) => x.kind === 'outcome');
  return { intent, plan, steps, outcome, last: run.records.at(-1) };
};

/** The statuses the plan implies when `failed` fail: each step that needs a failed or not-run step is not run. */
const expectedStatuses = (plan: readonly Planned[], failed: ReadonlySet<string>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const s of plan) out[s.id] = failed.has(s.id) ? 'failed' : (s.needs ?? []).some((n) => out[n] !== 'succeeded') ? 'not-run' : 'succeeded';
  return out;
};

/** The group steps execute.ts retries like an ENI's isolation. */
const GROUP_SETUP: ReadonlySet<string> = new Set(['create-security-group', 'authorize-allow-all', 'revoke-rules', 'verify-groups']);

const same = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/** Every check of one run; `inj` absent for the clean run. */
const expectFailClosed = (run: FaultRun, label: string, inj?: Injection): void => {
  const { intent, plan, steps, outcome, last } = evidenceOf(run);
  const where = { label, incident: run.r.incidentId };
  // 6. Every call authorized by the synthesized policies.
  expect({ ...where, refused: run.authorization.refused, unavailable: run.authorization.unavailable }).toEqual({ ...where, refused: [], unavailable: undefined });
  // 6. The injection fired, into the chosen call only.
  const fired = run.injectedSignatures.length;
  // One line per run in the diff, so a run whose injection did not fire names its label and the calls it made.
  expect(`${label}: fired ${fired > 0}${fired > 0 || !inj ? '' : `; mutating calls made: ${run.signatures.join(' | ')}`}`).toBe(`${label}: fired ${inj !== undefined}`);
  expect({ ...where, injected: run.injectedSignatures.filter((s) => s !== inj?.signature) }).toEqual({ ...where, injected: [] });
  // 4. Intent first: recorded before every step record, and stored before the first mutating call was sent.
  const intentKey = `${run.r.incidentId}/${String(intent?.seq ?? -1).padStart(8, '0')}.json`;
  const intentPut = run.calls.findIndex((c) => c.command === 'PutObject' && String(c.input.Key).endsWith(intentKey));
  const firstMutation = run.calls.findIndex(isMutation);
  expect({ ...where, intent: intent?.seq, stepsAfter: steps.every((x) => x.seq > (intent?.seq ?? Infinity)), storedFirst: intentPut >= 0 && intentPut < firstMutation }).toEqual({
    ...where,
    intent: 0,
    stepsAfter: true,
    storedFirst: true,
  });

  // The step that made the injected call, found by the injected error in its record.
  const text = inj && `${inj.code}: ${inj.message}`;
  const attemptsOf = (x: (typeof steps)[number]) => {
    const after = x.after as { attempts?: { error?: string }[]; failedAttempts?: { error?: string }[] } | undefined;
    return [...(after?.attempts ?? []), ...(after?.failedAttempts ?? [])];
  };
  const hit = inj ? steps.filter((x) => x.reason === text || attemptsOf(x).some((a) => a.error === text)) : [];
  expect({ ...where, injectedInSteps: hit.length }).toEqual({ ...where, injectedInSteps: inj ? 1 : 0 });
  const failedRecord = hit[0];
  const failedStep = plan.find((s) => s.id === (failedRecord?.detail as { stepId?: string } | undefined)?.stepId);
  const groupRetry = failedStep !== undefined && GROUP_SETUP.has(failedStep.kind);
  const retried = failedStep?.kind === 'eni-isolate' || groupRetry;
  if (inj && failedStep && failedRecord) {
    expect({ ...where, action: failedRecord.action }).toEqual({ ...where, action: actionOf(run.injected[0]!) });
    const status = (failedRecord.detail as { status?: string }).status;
    if (groupRetry) {
      // The steps that ready the groups are retried too (execute.ts): the failed attempts are in the
      // record; once succeeds on the retry, every time fails after 3 attempts with the last error.
      const failing = { error: text, requestId: inj.requestId };
      expect({ ...where, status, after: failedRecord.after, reason: failedRecord.reason, fired }).toEqual(
        inj.mode === 'once'
          ? { ...where, status: 'succeeded', after: expect.objectContaining({ failedAttempts: [failing] }), reason: undefined, fired: 1 }
          : { ...where, status: 'failed', after: { failedAttempts: [failing, failing, failing] }, reason: text, fired: 3 },
      );
    } else if (!retried) {
      // Sent once (execute.ts retries an ENI's isolation and the group steps only): one failure, recorded with its request id.
      expect({ ...where, status, ids: failedRecord.awsRequestIds, fired }).toEqual({ ...where, status: 'failed', ids: [inj.requestId], fired: 1 });
    } else {
      // 5. The isolation of an ENI is retried: every attempt is in the record; a lasting failure puts the ENI back.
      const isolation = run.groups.isolation[0];
      const failing = { groups: [isolation], error: text, requestId: inj.requestId };
      const attempts = (failedRecord.after as { attempts?: unknown[] }).attempts;
      const back = failedStep.before ?? [];
      expect({ ...where, after: failedRecord.after, reason: failedRecord.reason, fired }).toEqual(
        inj.mode === 'once'
          ? { ...where, after: { groups: [isolation], attempts: [failing, expect.objectContaining({ groups: [isolation] })] }, reason: undefined, fired: 1 }
          : {
              ...where,
              after: { groups: back, reverted: true, attempts: [failing, failing, failing, expect.objectContaining({ groups: back })] },
              reason: `Error: isolating ${failedStep.eniId ?? ''} failed after 3 attempts (${text ?? ''}); the ENI is back on its original groups ${back.join(', ')}`,
              fired: (attempts ?? []).length - 1,
            },
      );
    }
  }

  // 5. Exactly the failed step, the steps that need it, and moto's gaps did not succeed.
  const failed = new Set(Object.keys(MOTO_GAPS));
  if (failedStep && !(retried && inj?.mode === 'once')) failed.add(failedStep.id);
  const expected = expectedStatuses(plan, failed);
  expect({ ...where, statuses: Object.fromEntries(run.r.steps.map((s) => [s.id, s.status])) }).toEqual({ ...where, statuses: expected });
  for (const [id, gap] of Object.entries(MOTO_GAPS)) expect({ ...where, id, gap: gap.test(run.r.steps.find((s) => s.id === id)?.error ?? '') }).toEqual({ ...where, id, gap: true });

  // 1. Read back from moto: never on allow-all; exactly the original groups or exactly the isolation group.
  const isolation = run.groups.isolation;
  const cutBy = (eni: string) => expected[`eni-isolate:${eni}`] === 'succeeded';
  for (const eni of run.w.eniIds) {
    const after = run.after.get(eni);
    const onAllowAll = (after ?? []).some((g) => run.groups['allow-all'].includes(g));
    const state = same(after, isolation) && isolation.length === 1 ? 'isolation' : same(after, run.before.get(eni)) ? 'original' : 'other';
    expect({ ...where, eni, onAllowAll, state, groups: after }).toEqual({ ...where, eni, onAllowAll: false, state: cutBy(eni) ? 'isolation' : 'original', groups: after });
  }
  // 2. networkCut says what moto says, per ENI and for the instance.
  const cut = run.w.eniIds.every(cutBy);
  const enis = (outcome?.detail as { enis?: { eniId: string; cut: boolean; note?: string }[] } | undefined)?.enis ?? [];
  expect({ ...where, networkCut: (outcome?.after as { networkCut?: boolean } | undefined)?.networkCut, enis: enis.map((e) => [e.eniId, e.cut]) }).toEqual({
    ...where,
    networkCut: cut,
    enis: run.w.eniIds.map((e) => [e, cutBy(e)]),
  });
  // 3. An incomplete cut escalates network-not-cut, naming each ENI not cut; otherwise the response acts.
  // The command for each names the isolation group moto holds; when it could not be created, the
  // message names the runbook section that makes one by hand.
  const notCut = enis.filter((e) => !e.cut).map((e) => {
    const message = `ENI ${e.eniId} is not cut (${e.note ?? 'unknown'})`;
    return isolation[0]
      ? { reason: 'network-not-cut', message, command: `aws ec2 modify-network-interface-attribute --region ${REGION} --network-interface-id ${e.eniId} --groups ${isolation[0]}` }
      : { reason: 'network-not-cut', message: `${message}: there is no isolation group to cut it with (it could not be created); cut it by hand: docs/runbooks/compromised-ec2-instance.md, "Cut the network by hand"` };
  });
  const escalated = last?.kind === 'escalation' ? [last.reason, (last.detail as { escalations?: unknown } | undefined)?.escalations] : undefined;
  expect({ ...where, decision: run.r.decision, reason: run.r.reason, last: [last?.kind, last?.action], escalated }).toEqual(
    cut
      ? { ...where, decision: 'act', reason: 'some-steps-failed', last: ['outcome', 'isolate-instance'], escalated: undefined }
      : { ...where, decision: 'escalate', reason: 'network-not-cut', last: ['escalation', 'escalate:network-not-cut'], escalated: [notCut.map((e) => e.message).join('; '), notCut] },
  );
};

if (HAS_MOTO) {
  describe('isolation fails closed on moto: each mutating call failed at the SDK middleware', () => {
    let moto: MotoServer;
    const clients: EmulatorAws[] = [];
    let lanes: Lane[] = [];
    let vault: Vault;
    let clean: FaultRun;
    let seq = 0;
    const evidenced: string[] = [];

    beforeAll(async () => {
      const authzP = emulatorAuthorizer({ config: DEPLOYED, account: HOME, region: REGION });
      moto = await startMoto();
      for (let i = 0; i < LANES; i += 1) clients.push(emulatorAws(moto.endpoint, HOME, REGION));
      // Every run is an automatic containment: the breaker's window must hold them all.
      const limit = { maxContainments: 200 };
      vault = await createVault(clients[0]!, limit);
      const authz: EmulatorAuthorizer = await authzP;
      const authorized = new Set<string>();
      lanes = clients.map((aws, i) => ({ aws, authz, authorized, vault: i === 0 ? vault : vaultOn(aws, vault.keyArn, limit) }));
    }, 120_000);

    afterAll(async () => {
      for (const c of clients) c.destroy();
      await moto?.stop();
    });

    /** Each injection on a fresh world, LANES at a time; the runs in injection order. */
    const runAll = async (injections: readonly Injection[]): Promise<FaultRun[]> => {
      const runs: FaultRun[] = [];
      let next = 0;
      await Promise.all(
        lanes.map(async (lane) => {
          while (next < injections.length) {
            const k = next++;
            const inj = injections[k]!;
            runs[k] = await isolateWithFault(lane, ++seq, injectorOf(inj));
          }
        }),
      );
      for (const r of runs) evidenced.push(...r.r.evidenceKeys);
      return runs;
    };

    const injections = (mode: Mode): Injection[] =>
      clean.signatures.map((signature, k) => ({
        signature,
        mode,
        code: mode === 'once' ? 'InternalError' : 'UnauthorizedOperation',
        message: `injected ${mode}: call ${k} of the clean run (${signature.split(' ')[0] ?? ''})`,
        requestId: `injected-${mode}-${k}`,
      }));

    it('isolates cleanly first: the mutating calls a run on this world makes, every one distinct', async () => {
      clean = await isolateWithFault(lanes[0]!, ++seq);
      evidenced.push(...clean.r.evidenceKeys);
      expectFailClosed(clean, 'clean');
      // Every call of the clean run decided by the synthesized policies (later runs decide the calls it did not make).
      expect(clean.authorization.evaluated).toBeGreaterThan(clean.calls.length);
      expect(new Set(clean.signatures).size).toBe(clean.signatures.length);
      // Per call: the instance's three ENIs moved twice each, its two target groups, both groups created.
      const perCall: Record<string, number> = {};
      for (const s of clean.signatures) perCall[s.split(' ')[0] ?? ''] = (perCall[s.split(' ')[0] ?? ''] ?? 0) + 1;
      expect(perCall).toEqual({
        'autoscaling:DetachInstances': 1,
        'ec2:AuthorizeSecurityGroupEgress': 1,
        'ec2:AuthorizeSecurityGroupIngress': 1,
        'ec2:CreateSecurityGroup': 2,
        'ec2:CreateSnapshots': 1,
        'ec2:CreateTags': 1,
        'ec2:DisassociateAddress': 1,
        'ec2:DisassociateIamInstanceProfile': 1,
        'ec2:ModifyInstanceAttribute': 4,
        'ec2:ModifyNetworkInterfaceAttribute': 6,
        'ec2:RevokeSecurityGroupEgress': 2,
        'elb:DeregisterInstancesFromLoadBalancer': 1,
        'elbv2:DeregisterTargets': 2,
      });
    }, 60_000);

    it.each<[Mode]>([['once'], ['always']])('leaves no ENI on allow-all when each mutating call, in turn, fails %s', async (mode) => {
      const list = injections(mode);
      const runs = await runAll(list);
      for (const [k, run] of runs.entries()) expectFailClosed(run, `${mode} #${k}: ${list[k]?.signature ?? ''}`, list[k]);
    }, 300_000);

    it('verifies the evidence of every run from the emulator’s Object Lock bucket', async () => {
      const { verify } = await checkpointAndVerify(clients[0]!, vault);
      expect(verify).toMatchObject({ ok: true, problems: [] });
      expect(verify.records).toBeGreaterThanOrEqual(evidenced.length);
    }, 120_000);
  });
}
