import fc from 'fast-check';
import {
  EvidenceChain,
  LocalSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  canonicalJson,
  envelopeBytes,
  examine,
  type Entry,
  type Examined,
  type VerifyKey,
} from '../../lambdas/evidence';
import { examineByFullParse } from '../../lambdas/evidence/envelope';
import { signatureBlock } from '../../lambdas/evidence/verify-block';
import { signedRecordFields } from '../../lambdas/evidence/verify-signed';
import { input, parseBody, steppingClock, verifyKeyOf } from './helpers';

/**
 * Signature mode reads a validly signed record's chain fields from its bytes instead of a full
 * JSON.parse (lambdas/evidence/verify-signed.ts): it must conclude exactly what the full parse
 * concludes (examineByFullParse: no fast path, not even chain mode's plain-JSON one), for anything
 * the key signs that is JSON, however hostile its content.
 */

const PAYLOAD_AT = '{"payload":'.length;
const signer = LocalSigner.generate('local:signed-test');
let key: VerifyKey;
beforeAll(async () => {
  key = await verifyKeyOf(signer);
});

const keys = (): Map<string, VerifyKey['key']> => new Map([[key.fingerprint, key.key]]);

/** What verification keeps, without the signature state (chain mode never checks it). */
const kept = (examined: Examined): Omit<Entry, 'sig'> | Examined =>
  examined.kind === 'entry' ? Object.fromEntries(Object.entries(examined.entry).filter(([name]) => name !== 'sig')) as Omit<Entry, 'sig'> : examined;

/** The entry with signatures (the fast path when it applies) equals the full parse's, with sig 'ok'. */
const expectSameAsFullParse = (objectKey: string, body: Buffer): void => {
  const fast = examine(objectKey, body, keys(), true);
  const full = examineByFullParse(objectKey, body, keys(), false);
  expect(kept(fast)).toEqual(kept(full));
  if (fast.kind === 'entry') expect(fast.entry.sig).toBe('ok');
};

/** `payload` (any text) signed as the writer signs, in the writer's envelope. */
const signedText = async (payload: string): Promise<Buffer> => {
  const identity = await signer.identity();
  return envelopeBytes(payload, { alg: 'ECDSA_SHA_256', keyId: identity.keyId, keyFingerprint: identity.keyFingerprint, value: signer.signSync(Buffer.from(payload)).toString('base64') });
};

const written = async (overrides: Parameters<typeof input>[0], incident = 'inc-a'): Promise<{ key: string; body: Buffer }[]> => {
  const clock = steppingClock();
  const store = new MemoryEvidenceStore();
  const chain = new EvidenceChain({ signer, store, heads: new MemoryChainHeads({ clock }), clock });
  await chain.append(incident, input(overrides));
  await chain.append(incident, input(overrides));
  return [...store.objects].map(([k, body]) => ({ key: k, body }));
};

const fieldsOf = (body: Buffer) => {
  const block = signatureBlock(body);
  if (!block) throw new Error('no signature block');
  return signedRecordFields(body, PAYLOAD_AT, block);
};

/** Hostile text: quotes, backslashes, braces, the writer's own member names, non-ASCII. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '}', '{', '","seq":7,"signer":{', ',"incidentId":"evil","kind":"step"', '"},"time":"2030-01-01T00:00:00Z', 'é€😀', '\u0000\u001f'),
);
const keyed = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('incidentId', 'seq', 'prevHash', 'time', 'signer', 'recordId', 'trigger', 'target')), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });

describe('signature mode reads a signed record from its bytes', () => {
  it('reads every record the writer writes, whatever its content, as the full parse does', async () => {
    await fc.assert(
      fc.asyncProperty(keyed, keyed, keyed, nasty, nasty, fc.double({ noNaN: true, noDefaultInfinity: true }), async (before, after, detail, reason, id, severity) => {
        const objects = await written({
          before,
          after,
          detail,
          reason,
          target: { type: 'ec2-instance', id: `i-${id}`, region: reason },
          trigger: { source: 'aws.guardduty', findingId: id, severity, eventId: reason },
        });
        for (const o of objects) {
          const { payload } = parseBody(o.body);
          expect(fieldsOf(o.body)).toEqual({ incidentId: payload.incidentId, seq: payload.seq, prevHash: payload.prevHash, recordId: payload.recordId, time: payload.time });
          expectSameAsFullParse(o.key, o.body);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('takes the last member when a signed payload repeats one before the writer\'s members', async () => {
    const [o] = await written({});
    const payload = parseBody(o!.body).payload;
    const text = canonicalJson(payload);
    const body = await signedText(`{"incidentId":"inc-evil","seq":99,"time":"2031-01-01T00:00:00Z",${text.slice(1)}`);
    expect(fieldsOf(body)).toMatchObject({ incidentId: 'inc-a', seq: 0, time: payload.time });
    expectSameAsFullParse(o!.key, body);
  });

  it('is not fooled by a nested copy of the writer\'s members, in any field', async () => {
    const [o] = await written({});
    const payload = parseBody(o!.body).payload;
    const tail = canonicalJson(payload).slice(canonicalJson(payload).indexOf(',"incidentId"'));
    const fake = JSON.parse(`{"x":1${tail.replace('"inc-a"', '"inc-evil"').replace('"seq":0', '"seq":5')}`) as Record<string, unknown>;
    for (const field of ['before', 'after', 'detail']) {
      const body = await signedText(canonicalJson({ ...payload, [field]: fake }));
      expect(fieldsOf(body)).toMatchObject({ incidentId: 'inc-a', seq: 0 });
      expectSameAsFullParse(o!.key, body);
    }
  });

  it('leaves to the full parse what it does not read exactly: a nested target, an escaped time', async () => {
    const [o] = await written({});
    const payload = parseBody(o!.body).payload;
    const nestedTarget = await signedText(canonicalJson({ ...payload, target: { type: 'x', id: 'y', tags: { a: 'b' } } }));
    const escapedTime = await signedText(canonicalJson(payload).replace(/"time":"2/, '"time":"\\u0032'));
    for (const body of [nestedTarget, escapedTime]) {
      expect(fieldsOf(body)).toBeUndefined();
      expectSameAsFullParse(o!.key, body);
    }
  });

  it('rejects, as the full parse does, a signed record the checks refuse', async () => {
    const [o] = await written({});
    const payload = parseBody(o!.body).payload;
    for (const change of [{ recordId: 'inc-a/00000009' }, { seq: 2 ** 53 }, { incidentId: 'inc b' }, { prevHash: 'A'.repeat(64) }, { schemaVersion: 2 }, { kind: 'checkpoint' }]) {
      const body = await signedText(canonicalJson({ ...payload, ...change }));
      const fast = examine(o!.key, body, keys(), true);
      expect(fast.kind).toBe('corrupt');
      expect(fast).toEqual(examineByFullParse(o!.key, body, keys(), false));
    }
  });
});
