/**
 * The evidence records the bench verifies and appends: one copy, imported by bench/evidence.ts
 * (round trips) and bench/verify-child.ts (verification, in the esbuild build).
 */
import { EvidenceChain, MemoryChainHeads, MemoryEvidenceStore, writeCheckpoint, type EvidenceInput, type LocalSigner } from '../lambdas/evidence';

/** The `i`th record: an isolation step (every tenth an intent), 16 per finding. */
export const sample = (i: number): EvidenceInput => ({
  kind: i % 10 === 0 ? 'intent' : 'step',
  mode: 'enforce',
  trigger: { source: 'aws.guardduty', findingId: `finding-${i >> 4}`, findingType: 'Backdoor:EC2/C&CActivity.B', severity: 8, eventId: `ev-${i}` },
  target: { type: 'ec2-instance', id: 'i-0123456789abcdef0', account: '111122223333', region: 'eu-west-1' },
  action: 'ec2:ModifyNetworkInterfaceAttribute',
  reason: 'isolate every ENI',
  before: { networkInterfaceId: 'eni-0a1b2c3d4e5f', groups: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'] },
  after: { networkInterfaceId: 'eni-0a1b2c3d4e5f', groups: ['sg-isolation0123456'] },
  awsRequestIds: [`5f3c1d2e-${i}`],
  actor: { arn: 'arn:aws:lambda:eu-west-1:111122223333:function:cordon-isolate-instance', requestId: `req-${i}` },
});

export type StoredObjects = { key: string; body: Buffer }[];

/**
 * `count` records written by the real EvidenceChain with `signer` into memory, 100 per incident,
 * a checkpoint every 10k appends and at the end: the stored objects, as a vault holds them.
 */
export const generate = async (count: number, signer: LocalSigner): Promise<StoredObjects> => {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const clock = () => new Date((now += 10));
  const store = new MemoryEvidenceStore();
  const heads = new MemoryChainHeads({ clock });
  const chain = new EvidenceChain({ signer, store, heads, clock });
  for (let i = 0; i < count; i += 1) {
    await chain.append(`inc-${String(Math.floor(i / 100)).padStart(6, '0')}`, sample(i));
    if ((i + 1) % 10_000 === 0) await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
  }
  await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
  return [...store.objects].map(([key, body]) => ({ key, body }));
};
