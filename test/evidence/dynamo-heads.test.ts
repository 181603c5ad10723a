import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoChainHeads,
  EvidenceChain,
  GENESIS_HASH,
  LocalSigner,
  MemoryEvidenceStore,
  verifyObjects,
} from '../../lambdas/evidence';
import { startLocalTable, type LocalTable } from '../support/dynalite';
import { asObjects, input, parseBody, verifyKeyOf } from './helpers';

describe('DynamoDB chain heads (real dynalite server)', () => {
  let local: LocalTable;
  let ddb: DynamoDBClient;
  const tableName = 'cordon-heads';

  beforeAll(async () => {
    local = await startLocalTable(tableName);
    ddb = local.ddb;
  });

  afterAll(() => local.stop());

  it('gives 30 concurrent writers on one incident seq 0..29 with no fork, no gap and an intact hash chain', async () => {
    const signer = LocalSigner.generate();
    const store = new MemoryEvidenceStore();
    // 30 writers = 30 independent processes: each its own chain object (own head cache), one table, one bucket.
    const writers = Array.from(
      { length: 30 },
      () => new EvidenceChain({ signer, store, heads: new DynamoChainHeads(ddb, { tableName }), maxAttempts: 200 }),
    );

    const stored = await Promise.all(writers.map((w, i) => w.append('inc-race', input({ action: `writer-${i}` }))));

    expect(stored.map((s) => s.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const bySeq = new Map(stored.map((s) => [s.seq, s]));
    for (let seq = 0; seq < 30; seq += 1) {
      const body = store.objects.get(`records/inc-race/${String(seq).padStart(8, '0')}.json`);
      expect(body).toBeDefined();
      const { payload } = parseBody(body ?? Buffer.alloc(0));
      expect(payload.seq).toBe(seq);
      expect(payload.prevHash).toBe(seq === 0 ? GENESIS_HASH : bySeq.get(seq - 1)?.hash);
    }
    const head = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'inc-race' } }, ConsistentRead: true }));
    expect(head.Item?.seq).toEqual({ N: '29' });
    expect(head.Item?.headHash).toEqual({ S: bySeq.get(29)?.hash });

    const report = verifyObjects(asObjects(store.objects), { publicKeys: [await verifyKeyOf(signer)] });
    expect(report).toMatchObject({ ok: true, records: 30 });
  });

  it('continues an existing chain from a writer that has never seen it', async () => {
    const signer = LocalSigner.generate();
    const store = new MemoryEvidenceStore();
    const heads = new DynamoChainHeads(ddb, { tableName });
    await new EvidenceChain({ signer, store, heads }).append('inc-cold', input());
    const cold = await new EvidenceChain({ signer, store, heads }).append('inc-cold', input());
    expect(cold.seq).toBe(1);
    expect(verifyObjects(asObjects(store.objects), { publicKeys: [await verifyKeyOf(signer)] }).problems).toEqual([]);
  });

  it('lists the heads changed in a window', async () => {
    const heads = new DynamoChainHeads(ddb, { tableName, clock: () => new Date(5_000) });
    await heads.advance('inc-window', undefined, { seq: 0, hash: 'a'.repeat(64), time: '2026-01-01T00:00:00.000Z' });
    const inside = await heads.changedBetween(4_999, 5_000);
    const outside = await heads.changedBetween(5_000, 9_000);
    expect(inside).toContainEqual({ chainId: 'inc-window', seq: 0, hash: 'a'.repeat(64), time: '2026-01-01T00:00:00.000Z', updatedAt: 5_000 });
    expect(outside.map((h) => h.chainId)).not.toContain('inc-window');
  });

  it('rejects a stale expected head without changing the item', async () => {
    const heads = new DynamoChainHeads(ddb, { tableName });
    const first = { seq: 0, hash: 'b'.repeat(64), time: '2026-01-01T00:00:00.000Z' };
    expect(await heads.advance('inc-stale', undefined, first)).toEqual({ ok: true });
    const again = await heads.advance('inc-stale', undefined, { ...first, hash: 'c'.repeat(64) });
    expect(again).toEqual({ ok: false, current: first });
    expect(await heads.read('inc-stale')).toEqual(first);
  });
});
