import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient, UpdateAccessKeyCommand, DeleteUserPolicyCommand } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { respond as respondCredentials } from '../../lambdas/credentials/respond';
import { EvidenceChain, LocalSigner, MemoryChainHeads, MemoryEvidenceStore, type VerifyKey } from '../../lambdas/evidence';
import { StoreEvidenceReader } from '../../lambdas/evidence/reader';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { respond as respondIsolation } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig, type ClientsFor } from '../../lambdas/isolation/types';
import { busyWorld, INSTANCE_ID, installWorld } from '../support/aws-world';
import { copyOf, fixture } from '../support/fixtures';
import { derivedGuardDuty, givenUser, makeDeps } from '../credentials/support';
import { forge } from './adversarial-support';
import { verifyKeyOf } from './helpers';
import { authorizeAs } from '../support/authz';

/**
 * Release and restore read their incident through the verifying reader, pinned to the signing
 * key: a forged, swapped or foreign-key record makes them refuse, escalate and say why — with no
 * mutating call.
 */

const iam = mockClient(IAMClient);
const REGION = 'eu-west-1';
const HOME = '111111111111';

/** Real signed evidence in memory, a reader pinned to its key. */
const vault = async () => {
  const signer = LocalSigner.generate('arn:aws:kms:eu-west-1:111111111111:key/cordon');
  const store = new MemoryEvidenceStore();
  const chain = new EvidenceChain({ signer, store, heads: new MemoryChainHeads() });
  const pinned: VerifyKey = await verifyKeyOf(signer);
  return { signer, store, chain, reader: new StoreEvidenceReader(store, () => Promise.resolve([pinned])) };
};
type Vault = Awaited<ReturnType<typeof vault>>;

const body = (v: Vault, key: string): Buffer => {
  const b = v.store.objects.get(key);
  if (!b) throw new Error(`no ${key}`);
  return b;
};
const rec = (incident: string, seq: number): string => `records/${incident}/${String(seq).padStart(8, '0')}.json`;

/** The three attacks, each on a chain of at least 3 records. */
const ATTACKS: [string, string, (v: Vault, incident: string) => Promise<void>][] = [
  [
    'a record re-signed by a foreign key (and the key file in the bucket replaced)',
    'UNKNOWN_KEY',
    async (v, incident) => {
      const attacker = LocalSigner.generate('attacker');
      const keyFingerprint = (await attacker.identity()).keyFingerprint;
      v.store.objects.set(rec(incident, 1), forge(body(v, rec(incident, 1)), attacker, (p) => ({ ...p, reason: 'attacker' }), { keyId: 'attacker', keyFingerprint }));
      v.store.objects.set(`keys/${keyFingerprint}.pem`, Buffer.from('attacker key'));
    },
  ],
  [
    'a forged payload under the genuine signature',
    'BAD_SIGNATURE',
    async (v, incident) => {
      v.store.objects.set(rec(incident, 1), Buffer.from(body(v, rec(incident, 1)).toString().replace('"time":"20', '"time":"21')));
    },
  ],
  [
    'two records swapped',
    'MOVED',
    async (v, incident) => {
      const [a, b] = [body(v, rec(incident, 1)), body(v, rec(incident, 2))];
      v.store.objects.set(rec(incident, 1), b);
      v.store.objects.set(rec(incident, 2), a);
    },
  ],
];

describe('release refuses unverifiable isolation evidence', () => {
  beforeAll(() => authorizeAs('isolation'));
  const clientsFor: ClientsFor = (access) => {
    const options = { region: access.region, ...(access.credentials ? { credentials: access.credentials } : {}) };
    return { ec2: new EC2Client(options), autoScaling: new AutoScalingClient(options), elbv2: new ElasticLoadBalancingV2Client(options), elb: new ElasticLoadBalancingClient(options) };
  };
  const event = () => {
    const e = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
      detail: { accountId: string; region: string; arn: string; resource: { instanceDetails: { instanceId: string } }; service: { additionalInfo: Record<string, unknown> } };
    };
    e.detail.accountId = HOME;
    e.detail.region = REGION;
    e.detail.arn = '';
    e.detail.resource.instanceDetails.instanceId = INSTANCE_ID;
    e.detail.service.additionalInfo.sample = false;
    return e;
  };

  it.each(ATTACKS)('%s: escalates with the reason, restores nothing', async (_what, code, attack) => {
    const harness = installWorld(busyWorld(), {});
    const v = await vault();
    const deps = {
      evidence: v.chain,
      reader: v.reader,
      guardrails: fixedGuardrails('enforce'),
      clientsFor,
      sts: new STSClient({ region: REGION }),
      homeAccount: HOME,
      homeRegion: REGION,
      memberRoleName: 'CordonMemberResponder',
      config: defaultIsolationConfig,
      actor: { arn: `arn:aws:lambda:${REGION}:${HOME}:function:cordon-isolate`, requestId: 'req-1' },
      guardDutyFor: (region: string) => new GuardDutyClient({ region }),
    };
    const isolated = await respondIsolation(event(), deps);
    expect(isolated.decision).toBe('act');
    const groupsAfterIsolation = harness.world.enis.map((e) => e.groups);
    await attack(v, isolated.incidentId);

    const summary = await respondIsolation({ action: 'release', instanceId: INSTANCE_ID, reason: 'false positive', requestedBy: 'alice@example.com' }, deps);

    expect(summary).toMatchObject({ decision: 'escalate', reason: 'evidence-unverified' });
    expect(harness.world.enis.map((e) => e.groups)).toEqual(groupsAfterIsolation);
    const records = [...v.store.objects].filter(([k]) => k.startsWith(`records/${isolated.incidentId}/`)).sort(([a], [b]) => (a < b ? -1 : 1));
    const last = JSON.parse(records.at(-1)?.[1].toString() ?? '{}') as { payload: { kind: string; action: string; reason: string; detail: unknown } };
    expect(last.payload).toMatchObject({
      kind: 'escalation',
      action: 'escalate:evidence-unverified',
      reason: expect.stringMatching(new RegExp(`^refusing to release ${INSTANCE_ID}: evidence records/${isolated.incidentId}/0000000[12]\\.json fails verification \\(${code}\\): `)),
      detail: { key: expect.stringMatching(/^records\//), code },
    });
  });
});

describe('restore refuses unverifiable revocation evidence', () => {
  beforeAll(() => authorizeAs('credentials'));
  beforeEach(() => iam.reset());

  it.each(ATTACKS)('%s: escalates with the reason, re-enables nothing', async (_what, code, attack) => {
    givenUser(iam, { userName: 'alice', keys: [{ id: 'AKIALEAKED0000000001' }] });
    const v = await vault();
    const deps = { ...makeDeps(), evidence: v.chain, reader: v.reader };
    const revoked = await respondCredentials(
      derivedGuardDuty({ accessKeyId: 'AKIALEAKED0000000001', principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' }),
      deps,
    );
    expect(revoked.decision).toBe('act');
    await attack(v, revoked.incidentId);
    iam.resetHistory();

    const restored = await respondCredentials({ action: 'restore', incidentId: revoked.incidentId, reason: 'pentest', requestedBy: 'bob@example.com' }, deps);

    expect(restored.decision).toBe('escalate');
    expect(restored.reason).toMatch(new RegExp(`^refusing to restore ${revoked.incidentId}: evidence records/${revoked.incidentId}/0000000[12]\\.json fails verification \\(${code}\\): `));
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
    const keys = restored.evidenceKeys;
    const last = JSON.parse(body(v, keys.at(-1) ?? '').toString()) as { payload: { kind: string; action: string } };
    expect(last.payload).toMatchObject({ kind: 'escalation', action: 'escalate:evidence-unverified' });
  });
});
