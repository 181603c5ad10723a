import {
  EvidenceChain,
  LocalSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  Verifier,
  writeCheckpoint,
  type EvidenceInput,
  type EvidenceStore,
  type EvidenceWriter,
} from '../../lambdas/evidence';
import { anchorCheckpoint, anchorIncidentId } from '../../lambdas/evidence/anchor';
import { input, parseBody, steppingClock, verifyKeyOf } from './helpers';

const ACTOR = { arn: 'arn:aws:lambda:eu-west-1:111122223333:function:cordon-checkpoint', requestId: 'req-1' };
const AT = () => new Date('2026-12-01T13:05:00.000Z');

/** The vault, one incident and its checkpoint, and an anchor that records the order of events. */
const setup = async () => {
  const clock = steppingClock();
  const signer = LocalSigner.generate('local:anchor-test');
  const store = new MemoryEvidenceStore();
  const heads = new MemoryChainHeads({ clock });
  const chain = new EvidenceChain({ signer, store, heads, clock });
  await chain.append('inc-1', input());
  const checkpoint = await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
  const events: string[] = [];
  const written: EvidenceInput[] = [];
  const evidence: EvidenceWriter = {
    append: async (incidentId, i) => {
      events.push(`append ${incidentId} ${i.kind}`);
      written.push(i);
      return chain.append(incidentId, i);
    },
  };
  const copies = new MemoryEvidenceStore();
  const anchorStore = (put: EvidenceStore['put'] = (k, b) => copies.put(k, b)): EvidenceStore => ({
    put: (key, body) => {
      events.push(`put ${key}`);
      return put(key, body);
    },
    exists: (key) => copies.exists(key),
    read: (key) => copies.read(key),
  });
  return { signer, store, chain, checkpoint, events, written, evidence, copies, anchorStore };
};

describe('anchoring a checkpoint', () => {
  it('writes an intent record, then the exact checkpoint bytes to the anchor, then the outcome', async () => {
    const s = await setup();
    const result = await anchorCheckpoint(s.checkpoint, {
      anchor: { store: s.anchorStore(), location: 's3://cordon-anchor-444455556666', account: '444455556666', region: 'eu-west-1' },
      evidence: s.evidence,
      actor: ACTOR,
      clock: AT,
    });

    expect(result).toEqual({ status: 'stored', key: 'checkpoints/00000000.json', evidenced: true });
    expect(s.events).toEqual(['append anchor-2026-12-01 intent', 'put checkpoints/00000000.json', 'append anchor-2026-12-01 step']);
    expect(s.copies.objects.get('checkpoints/00000000.json')).toEqual(s.checkpoint.body);
    const target = { type: 'anchor-object', id: 's3://cordon-anchor-444455556666/checkpoints/00000000.json', account: '444455556666', region: 'eu-west-1' };
    const copy = { key: 'checkpoints/00000000.json', seq: 0, hash: s.checkpoint.hash };
    expect(s.written).toEqual([
      {
        kind: 'intent',
        mode: 'enforce',
        trigger: { source: 'cordon.checkpoint', eventId: 'checkpoints/00000000.json' },
        target,
        action: 'anchor:PutCheckpointCopy',
        actor: ACTOR,
        reason: 'copy checkpoint 0 outside the security account',
        after: copy,
      },
      {
        kind: 'step',
        mode: 'enforce',
        trigger: { source: 'cordon.checkpoint', eventId: 'checkpoints/00000000.json' },
        target,
        action: 'anchor:PutCheckpointCopy',
        actor: ACTOR,
        reason: 'checkpoint 0 copied to the anchor',
        after: { ...copy, outcome: 'stored' },
      },
    ]);
    // Both records are signed links of the day's anchor chain in the vault.
    expect(parseBody(s.store.objects.get('records/anchor-2026-12-01/00000001.json') ?? Buffer.alloc(0)).payload).toMatchObject({ kind: 'step', seq: 1 });
  });

  it('records "exists" when the anchor already holds the key (a retried invocation): write-once, not replaced', async () => {
    const s = await setup();
    await s.copies.put('checkpoints/00000000.json', Buffer.from('taken'));
    const result = await anchorCheckpoint(s.checkpoint, { anchor: { store: s.anchorStore(), location: '/anchor' }, evidence: s.evidence, actor: ACTOR, clock: AT });
    expect(result).toEqual({ status: 'exists', key: 'checkpoints/00000000.json', evidenced: true });
    expect(s.written[1]).toMatchObject({ kind: 'step', reason: 'the anchor already holds checkpoints/00000000.json (write-once: not replaced)', after: { outcome: 'exists' } });
    expect(s.written[1]?.target?.id).toBe('/anchor/checkpoints/00000000.json');
  });

  it('evidences a failed copy as an error record and reports it, without throwing', async () => {
    const s = await setup();
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    const result = await anchorCheckpoint(s.checkpoint, {
      anchor: { store: s.anchorStore(() => Promise.reject(denied)), location: 's3://cordon-anchor-444455556666' },
      evidence: s.evidence,
      actor: ACTOR,
      clock: AT,
    });
    expect(result).toEqual({ status: 'failed', key: 'checkpoints/00000000.json', error: 'AccessDenied: Access Denied', evidenced: true });
    expect(s.events).toEqual(['append anchor-2026-12-01 intent', 'put checkpoints/00000000.json', 'append anchor-2026-12-01 error']);
    expect(s.written[1]).toMatchObject({
      kind: 'error',
      reason: 'checkpoint 0 not copied to the anchor',
      before: { key: 'checkpoints/00000000.json', seq: 0, hash: s.checkpoint.hash },
      detail: { error: 'AccessDenied: Access Denied' },
    });
  });

  it('skips the copy when its intent record cannot be written (no write without one)', async () => {
    const s = await setup();
    const evidence: EvidenceWriter = { append: () => Promise.reject(new Error('kms unavailable')) };
    const result = await anchorCheckpoint(s.checkpoint, { anchor: { store: s.anchorStore(), location: '/anchor' }, evidence, actor: ACTOR, clock: AT });
    expect(result).toEqual({ status: 'failed', key: 'checkpoints/00000000.json', error: 'intent record not written, copy not attempted: Error: kms unavailable', evidenced: false });
    expect(s.events).toEqual([]);
    expect(s.copies.objects.size).toBe(0);
  });

  it('reports a copy stored but not evidenced as unevidenced', async () => {
    const s = await setup();
    let calls = 0;
    const evidence: EvidenceWriter = {
      append: (id, i) => (calls++ === 0 ? s.evidence.append(id, i) : Promise.reject(new Error('throttled'))),
    };
    const result = await anchorCheckpoint(s.checkpoint, { anchor: { store: s.anchorStore(), location: '/anchor' }, evidence, actor: ACTOR, clock: AT });
    expect(result).toEqual({ status: 'stored', key: 'checkpoints/00000000.json', error: 'outcome record not written: Error: throttled', evidenced: false });
  });

  it('names the day\'s chain by UTC date', () => {
    expect(anchorIncidentId(new Date('2026-12-31T23:59:59.999Z'))).toBe('anchor-2026-12-31');
  });

  it('gives verify an anchored copy that it compares with the evidence', async () => {
    const s = await setup();
    await anchorCheckpoint(s.checkpoint, { anchor: { store: s.anchorStore(), location: '/anchor' }, evidence: s.evidence, actor: ACTOR, clock: AT });
    const verifier = new Verifier({ publicKeys: [await verifyKeyOf(s.signer)] });
    for (const [key, body] of s.store.objects) verifier.add(key, body);
    const anchored = verifier.anchorSink();
    for (const [key, body] of s.copies.objects) anchored.add(key, body);
    expect(verifier.finish()).toMatchObject({ ok: true, anchored: { checkpoints: 1, latestSeq: 0 } });
  });
});
