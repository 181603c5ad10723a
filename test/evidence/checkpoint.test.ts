import {
  CHECKPOINT_CHAIN,
  CheckpointEnvelopeSchema,
  EvidenceChain,
  LocalSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  headsRoot,
  merkleRoot,
  publishPublicKey,
  publicKeyFrom,
  verifyObjects,
  writeCheckpoint,
} from '../../lambdas/evidence';
import { asObjects, input, parseBody, steppingClock } from './helpers';

describe('Merkle tree (RFC 6962)', () => {
  // Test vectors from certificate-transparency's merkle tree tests.
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) =>
    Buffer.from(h, 'hex'),
  );
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];

  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(merkleRoot([]).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it.each(roots.map((root, i) => [i + 1, root] as const))('matches the reference root for %i leaves', (n, root) => {
    expect(merkleRoot(leaves.slice(0, n)).toString('hex')).toBe(root);
  });
});

describe('checkpoints', () => {
  const setup = () => {
    const clock = steppingClock();
    const signer = LocalSigner.generate('local:cp');
    const store = new MemoryEvidenceStore();
    const heads = new MemoryChainHeads({ clock });
    const chain = new EvidenceChain({ signer, store, heads, clock });
    return { clock, signer, store, heads, chain };
  };

  it('covers exactly the heads that changed since the previous checkpoint, chained to it', async () => {
    const { clock, store, heads, chain } = setup();
    const a0 = await chain.append('inc-a', input());
    const b0 = await chain.append('inc-b', input());
    const first = await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
    const a1 = await chain.append('inc-a', input());
    const second = await writeCheckpoint({ chain, heads, clock, settleMs: 0 });

    const cp0 = CheckpointEnvelopeSchema.parse(parseBody(store.objects.get(first.key) ?? Buffer.alloc(0))).payload;
    const cp1 = CheckpointEnvelopeSchema.parse(parseBody(store.objects.get(second.key) ?? Buffer.alloc(0))).payload;
    expect(first.key).toBe('checkpoints/00000000.json');
    expect(second.key).toBe('checkpoints/00000001.json');
    expect(cp0.heads).toEqual([
      { incidentId: 'inc-a', seq: 0, hash: a0.hash },
      { incidentId: 'inc-b', seq: 0, hash: b0.hash },
    ]);
    expect(cp1.heads).toEqual([{ incidentId: 'inc-a', seq: 1, hash: a1.hash }]);
    expect(cp1.prevHash).toBe(first.hash);
    expect(cp1.window.from).toBe(cp0.window.to);
    expect(cp0.merkleRoot).toBe(headsRoot(cp0.heads));
    expect(await heads.read(CHECKPOINT_CHAIN)).toMatchObject({ seq: 1, hash: second.hash });
  });

  it('writes a signed checkpoint for an empty interval too', async () => {
    const { clock, signer, store, heads, chain } = setup();
    await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
    const empty = await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
    const payload = parseBody(store.objects.get(empty.key) ?? Buffer.alloc(0)).payload;
    expect(payload).toMatchObject({ kind: 'checkpoint', seq: 1, heads: [], merkleRoot: merkleRoot([]).toString('hex') });
    const key = publicKeyFrom((await signer.identity()).publicKeyDer, 'cp key');
    expect(verifyObjects(asObjects(store.objects), { publicKeys: [key] }).problems).toEqual([]);
  });

  it('skips heads updated within the settle time; the next checkpoint covers them', async () => {
    let now = Date.parse('2026-01-01T00:10:00.000Z');
    const clock = () => new Date(now);
    const heads = new MemoryChainHeads({ clock });
    const chain = new EvidenceChain({ signer: LocalSigner.generate(), store: new MemoryEvidenceStore(), heads, clock });
    await chain.append('inc-late', input());
    const early = await writeCheckpoint({ chain, heads, clock, settleMs: 60_000 });
    now += 5 * 60_000;
    const later = await writeCheckpoint({ chain, heads, clock, settleMs: 60_000 });
    expect(early.heads).toBe(0);
    expect(later.heads).toBe(1);
  });

  it('publishes the public key as PEM and DER once (idempotent)', async () => {
    const { signer, store } = setup();
    const first = await publishPublicKey(signer, store);
    await publishPublicKey(signer, store);
    const identity = await signer.identity();
    expect(first.keys).toEqual([`keys/${identity.keyFingerprint}.der`, `keys/${identity.keyFingerprint}.pem`]);
    expect(store.objects.get(first.keys[0] ?? '')).toEqual(identity.publicKeyDer);
    expect(publicKeyFrom(store.objects.get(first.keys[1] ?? '') ?? Buffer.alloc(0), 'pem').fingerprint).toBe(identity.keyFingerprint);
  });
});
