import { EvidenceChain, LocalSigner, MemoryChainHeads, MemoryEvidenceStore } from '../../lambdas/evidence';
import { StoreEvidenceReader } from '../../lambdas/evidence/reader';
import { input } from './helpers';

const chainWith = async (incidentId: string, count: number) => {
  const store = new MemoryEvidenceStore();
  const chain = new EvidenceChain({ signer: LocalSigner.generate(), store, heads: new MemoryChainHeads() });
  for (let i = 0; i < count; i++) await chain.append(incidentId, input({ action: `step-${i}` }));
  return store;
};

describe('evidence reader', () => {
  it('reads every record of an incident in seq order, across more than one batch', async () => {
    const store = await chainWith('inc-reader', 20);
    const records = await new StoreEvidenceReader(store).read('inc-reader');
    expect(records.map((r) => [r.seq, r.action])).toEqual(Array.from({ length: 20 }, (_, i) => [i, `step-${i}`]));
  });

  it('returns nothing for an incident without records', async () => {
    const store = await chainWith('inc-other', 2);
    await expect(new StoreEvidenceReader(store).read('inc-none')).resolves.toEqual([]);
  });

  it('rejects an object under records/ that is not a record', async () => {
    const store = await chainWith('inc-bad', 1);
    store.objects.set('records/inc-bad/00000001.json', Buffer.from(JSON.stringify({ payload: { seq: 1 } })));
    await expect(new StoreEvidenceReader(store).read('inc-bad')).rejects.toThrow(
      /^evidence object records\/inc-bad\/00000001\.json is not a record: /,
    );
  });
});
