import { EvidenceChain, LocalSigner, MemoryChainHeads, MemoryEvidenceStore, canonicalJson, envelopeBytes, type VerifyKey } from '../../lambdas/evidence';
import { EvidenceIntegrityError, StoreEvidenceReader } from '../../lambdas/evidence/reader';
import { input, resign, verifyKeyOf } from './helpers';

const rec = (incident: string, seq: number): string => `records/${incident}/${String(seq).padStart(8, '0')}.json`;

const chainWith = async (incidentId: string, count: number, signer = LocalSigner.generate('local:reader')) => {
  const store = new MemoryEvidenceStore();
  const chain = new EvidenceChain({ signer, store, heads: new MemoryChainHeads() });
  for (let i = 0; i < count; i++) await chain.append(incidentId, input({ action: `step-${i}` }));
  return { store, chain, signer, pinned: await verifyKeyOf(signer) };
};

const body = (store: MemoryEvidenceStore, key: string): Buffer => {
  const b = store.objects.get(key);
  if (!b) throw new Error(`no ${key}`);
  return b;
};

const readerOf = (store: MemoryEvidenceStore, pinned: VerifyKey) => new StoreEvidenceReader(store, () => Promise.resolve([pinned]));

/** What a failed read says: the error's class, key, code and message. */
const failure = async (reader: StoreEvidenceReader, incidentId: string) =>
  reader.read(incidentId).then(
    () => undefined,
    (error: unknown) =>
      error instanceof EvidenceIntegrityError ? { key: error.key, code: error.code, message: error.message } : { unexpected: String(error) },
  );

describe('verifying evidence reader', () => {
  it('reads every record of an incident in seq order, across more than one batch', async () => {
    const { store, pinned } = await chainWith('inc-reader', 20);
    const records = await readerOf(store, pinned).read('inc-reader');
    expect(records.map((r) => [r.seq, r.action])).toEqual(Array.from({ length: 20 }, (_, i) => [i, `step-${i}`]));
  });

  it('returns nothing for an incident without records', async () => {
    const { store, pinned } = await chainWith('inc-other', 2);
    await expect(readerOf(store, pinned).read('inc-none')).resolves.toEqual([]);
  });

  it('rejects an object under records/ that is not the writer\'s bytes (MODIFIED)', async () => {
    const { store, pinned } = await chainWith('inc-bad', 1);
    store.objects.set(rec('inc-bad', 1), Buffer.from(JSON.stringify({ payload: { seq: 1 } })));
    expect(await failure(readerOf(store, pinned), 'inc-bad')).toEqual({
      key: rec('inc-bad', 1),
      code: 'MODIFIED',
      message: `evidence ${rec('inc-bad', 1)} fails verification (MODIFIED): not in the writer's canonical form: the signature block is not the exact bytes the writer produces`,
    });
  });

  it('rejects a record forged with an attacker\'s key, even when the key file in the bucket is swapped (UNKNOWN_KEY)', async () => {
    const { store, pinned } = await chainWith('inc-forged', 3);
    const attacker = LocalSigner.generate('attacker');
    const fp = (await attacker.identity()).keyFingerprint;
    const { payload } = JSON.parse(body(store, rec('inc-forged', 1)).toString()) as { payload: Record<string, unknown> };
    const canonical = canonicalJson({ ...payload, action: 'iam:UpdateAccessKey', signer: { keyId: 'attacker', keyFingerprint: fp } });
    store.objects.set(
      rec('inc-forged', 1),
      envelopeBytes(canonical, { alg: 'ECDSA_SHA_256', keyId: 'attacker', keyFingerprint: fp, value: attacker.signSync(Buffer.from(canonical)).toString('base64') }),
    );
    store.objects.set(`keys/${fp}.pem`, Buffer.from('attacker public key'));
    expect(await failure(readerOf(store, pinned), 'inc-forged')).toEqual({
      key: rec('inc-forged', 1),
      code: 'UNKNOWN_KEY',
      message: `evidence ${rec('inc-forged', 1)} fails verification (UNKNOWN_KEY): signed by key ${fp}, not the pinned signing key ${pinned.fingerprint}`,
    });
  });

  it('rejects a record whose payload was edited (BAD_SIGNATURE)', async () => {
    const { store, pinned } = await chainWith('inc-edit', 2);
    store.objects.set(rec('inc-edit', 1), Buffer.from(body(store, rec('inc-edit', 1)).toString().replace('"step-1"', '"step-X"')));
    expect(await failure(readerOf(store, pinned), 'inc-edit')).toMatchObject({ key: rec('inc-edit', 1), code: 'BAD_SIGNATURE' });
  });

  it('rejects two swapped records (MOVED)', async () => {
    const { store, pinned } = await chainWith('inc-swap', 3);
    const [a, b] = [body(store, rec('inc-swap', 1)), body(store, rec('inc-swap', 2))];
    store.objects.set(rec('inc-swap', 1), b);
    store.objects.set(rec('inc-swap', 2), a);
    expect(await failure(readerOf(store, pinned), 'inc-swap')).toEqual({
      key: rec('inc-swap', 1),
      code: 'MOVED',
      message: `evidence ${rec('inc-swap', 1)} fails verification (MOVED): holds incident inc-swap seq 2, which belongs at ${rec('inc-swap', 2)}`,
    });
  });

  it('rejects a validly signed record of another incident copied in (MOVED)', async () => {
    const signer = LocalSigner.generate('local:shared');
    const mine = await chainWith('inc-mine', 2, signer);
    const other = await chainWith('inc-theirs', 2, signer);
    mine.store.objects.set(rec('inc-mine', 1), body(other.store, rec('inc-theirs', 1)));
    expect(await failure(readerOf(mine.store, mine.pinned), 'inc-mine')).toMatchObject({ key: rec('inc-mine', 1), code: 'MOVED' });
  });

  it('rejects a validly signed record that does not link to its predecessor (MISSING)', async () => {
    const { store, pinned, signer } = await chainWith('inc-link', 3);
    store.objects.set(rec('inc-link', 2), resign(signer, body(store, rec('inc-link', 2)), (p) => ({ ...p, prevHash: 'a'.repeat(64) })));
    expect(await failure(readerOf(store, pinned), 'inc-link')).toMatchObject({ key: rec('inc-link', 2), code: 'MISSING' });
  });
});
