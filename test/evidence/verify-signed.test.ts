import fc from 'fast-check';
import {
  EvidenceChain,
  LocalSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  canonicalJson,
  envelopeBytes,
  examine,
  examineAll,
  type Entry,
  type Examined,
  type VerifyKey,
} from '../../lambdas/evidence';
import { checkPayload, examineByFullParse } from '../../lambdas/evidence/envelope';
import { decodeSignatureDer, signatureBlock } from '../../lambdas/evidence/verify-block';
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
          expect(fieldsOf(o.body)).toEqual(checkPayload(payload));
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
    for (const change of [{ recordId: 'inc-a/00000009' }, { seq: 2 ** 53 }, { incidentId: 'inc b' }, { incidentId: 'i'.repeat(129), recordId: `${'i'.repeat(129)}/00000000` }, { prevHash: 'A'.repeat(64) }, { prevHash: 'a'.repeat(65) }, { prevHash: 'a'.repeat(63) }, { schemaVersion: 2 }, { kind: 'checkpoint' }]) {
      const body = await signedText(canonicalJson({ ...payload, ...change }));
      const fast = examine(o!.key, body, keys(), true);
      expect(fast.kind).toBe('corrupt');
      expect(fast).toEqual(examineByFullParse(o!.key, body, keys(), false));
    }
  });

  it('reports, as the full parse does, a signed record that names another signer than its signature block', async () => {
    const [o] = await written({});
    const payload = parseBody(o!.body).payload;
    const signerNamed = payload.signer as { keyFingerprint: string; keyId: string };
    for (const signerChange of [{ keyFingerprint: 'cd'.repeat(32) }, { keyId: `${signerNamed.keyId}-other` }]) {
      const body = await signedText(canonicalJson({ ...payload, signer: { ...signerNamed, ...signerChange } }));
      const fast = examine(o!.key, body, keys(), true);
      expect(fast.kind === 'entry' && fast.entry.sig).toBe('mismatch');
      expect(fast).toEqual(examineByFullParse(o!.key, body, keys(), true));
    }
  });

  it('reads a record whose tail is far longer or shorter than the last one read, or holds a nested incidentId after the writer\'s', async () => {
    // The reading starts where the last record's did (verify-signed.ts): each of these starts it elsewhere.
    const [short] = await written({ reason: 'r' });
    const [long] = await written({ reason: 'r'.repeat(3000) });
    // Signed as the key signs anything: the writer's schema has no incidentId in a target.
    const payload = parseBody(short!.body).payload;
    const nested = { key: short!.key, body: await signedText(canonicalJson({ ...payload, reason: 'r'.repeat(500), target: { type: 'ec2-instance', incidentId: 'inc-evil', id: 'i-1' } })) };
    for (const o of [short, long, short, nested, short, nested, long]) {
      const { payload } = parseBody(o!.body);
      expect(fieldsOf(o!.body)).toEqual(checkPayload(payload));
      expectSameAsFullParse(o!.key, o!.body);
    }
  });

  it('reads exactly what the full parse reads after any one-byte change to the text it reads, that leaves the payload JSON', async () => {
    // The reading walks the bytes from the incidentId member to the end (verify-signed.ts): each
    // change is at a byte it reads, into a byte that matters to one of its tokens.
    const [o] = await written({ reason: 'r', target: { type: 'ec2-instance', id: 'i-1', region: 'eu-west-1' } });
    const text = canonicalJson(parseBody(o!.body).payload);
    const from = text.indexOf(',"incidentId"');
    const significant = fc.constantFrom(...'"\\{}[],:0123456789.-+eEZT/_ aA\n'.split(''), '');
    let read = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: from, max: text.length - 1 }), significant, fc.boolean(), async (at, byte, insert) => {
        const changed = `${text.slice(0, at)}${byte}${text.slice(insert ? at : at + 1)}`;
        try {
          JSON.parse(changed);
        } catch {
          return; // the key signs only JSON
        }
        const body = await signedText(changed);
        const fields = fieldsOf(body);
        const full = checkPayload(parseBody(body).payload);
        if (fields !== undefined) read += 1;
        // Either the full parse decides, or the reading is exactly what it would conclude.
        expect([undefined, full]).toContainEqual(fields);
        // The change may name another signer (mismatch), or break a check (corrupt): as the full parse says.
        expect(examine(o!.key, body, keys(), true)).toEqual(examineByFullParse(o!.key, body, keys(), true));
      }),
      { numRuns: 400 },
    );
    // Not a test that never reads: many changes (inside a string, a digit of a hash) leave a record the reading takes.
    expect(read).toBeGreaterThan(20);
  });

  it('reads a changed time, or a member after the trigger, as the full parse does', async () => {
    const [o] = await written({ reason: 'r', target: { type: 'ec2-instance', id: 'i-1' } });
    const text = canonicalJson(parseBody(o!.body).payload);
    const time = /"time":"([^"]*)"/.exec(text)?.[1] ?? '';
    expect(time).toMatch(/Z$/);
    const changes = [
      text.replace(`"${time}"`, `"${time.slice(0, -1)}A"`),
      text.replace(`"${time}"`, `"${time.slice(0, 19)}.1234567890Z"`),
      text.replace(`"${time}"`, `"${time.slice(0, 19)}.Z"`),
      text.replace(`"${time}"`, `"${time.slice(0, 19)}.123456789Z"`),
      text.replace(`"${time}"`, `"${time.slice(0, 19)}Z"`),
      text.replace(`"${time}"`, `"${time.slice(0, 10)} ${time.slice(11)}"`),
      `${text.slice(0, -1)},"time":"2031-01-01T00:00:00Z"}`,
      `${text.slice(0, -1)},"zz":1}`,
    ];
    for (const changed of changes) {
      const body = await signedText(changed);
      const full = checkPayload(parseBody(body).payload);
      const fields = fieldsOf(body);
      expect([undefined, full]).toContainEqual(fields);
      expect(examine(o!.key, body, keys(), true)).toEqual(examineByFullParse(o!.key, body, keys(), true));
    }
    // The two valid fractions and the time without one are read; the member after the trigger is left to the full parse.
    const read = await Promise.all(changes.map(async (changed) => fieldsOf(await signedText(changed)) !== undefined));
    expect(read).toEqual([false, false, false, true, true, false, false, false]);
  });

  it('never reads text that is not JSON where it reads (the writer signs none; the full parse reports it)', async () => {
    const [o] = await written({ target: { type: 'ec2-instance', id: 'i-1' } });
    const text = canonicalJson(parseBody(o!.body).payload);
    for (const changed of [text.replace('"seq":0', '"seq":00'), text.replace('"id":"i-1"', '"id";"i-1"'), text.replace(',"type":"ec2-instance"', ';"type":"ec2-instance"'), `${text.slice(0, -1)}}}`]) {
      expect(() => JSON.parse(changed)).toThrow(SyntaxError);
      expect(fieldsOf(await signedText(changed))).toBeUndefined();
    }
  });

  it('reads each prevHash right in a batch, whatever order the objects come in (each hash is handed to the next object)', async () => {
    const a = await written({}, 'inc-a');
    const b = await written({}, 'inc-b');
    const objects = [...a, ...b];
    await fc.assert(
      fc.property(fc.shuffledSubarray(objects, { minLength: objects.length }), (order) => {
        const batch = examineAll(order, keys(), true);
        const chain = examineAll(order, keys(), false);
        order.forEach((o, i) => {
          const full = kept(examineByFullParse(o.key, o.body, keys(), false));
          expect(kept(batch[i] as Examined)).toEqual(full);
          expect(kept(chain[i] as Examined)).toEqual(full);
        });
      }),
      { numRuns: 30 },
    );
  });
});

describe('the signature value is decoded as canonical base64 only', () => {
  const blockOf = (value: string): Buffer =>
    Buffer.from(`{"payload":{},"signature":{"alg":"ECDSA_SHA_256","keyFingerprint":"${'ab'.repeat(32)}","keyId":"k","value":"${value}"}}`, 'latin1');

  const decode = (value: string, into: Buffer, at: number): number => {
    const body = blockOf(value);
    const block = signatureBlock(body);
    if (block === undefined) throw new Error(`no signature block for ${value}`);
    return decodeSignatureDer(body, block, into, at);
  };

  it('decodes any 1-72 bytes from their base64, at any place', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 72 }), fc.nat(80), (bytes, at) => {
        const into = Buffer.alloc(at + 72);
        const length = decode(Buffer.from(bytes).toString('base64'), into, at);
        expect(into.subarray(at, at + length)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a padded value whose last character has stray bits (Buffer would decode it, and it is not the one canonical text)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 71 }).filter((b) => b.length % 3 !== 0), (bytes) => {
        const value = Buffer.from(bytes).toString('base64');
        // The lowest bit of the last character before the padding: a bit the bytes do not use.
        const last = value.length - (value.endsWith('==') ? 2 : 1) - 1;
        const stray = value.slice(0, last) + (alphabet[alphabet.indexOf(value[last] as string) ^ 1] as string) + value.slice(last + 1);
        expect(Buffer.from(stray, 'base64').toString('base64')).not.toBe(stray);
        expect(decode(stray, Buffer.alloc(72), 0)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a value that is not whole quanta, or does not fit', () => {
    const into = Buffer.alloc(72);
    expect(decode('QUJD', into, 70)).toBe(-1);
    expect(decode('QUI', into, 0)).toBe(-1);
    expect(decode('A'.repeat(100), into, 0)).toBe(-1);
  });
});

