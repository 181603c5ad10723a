import fc from 'fast-check';
import {
  EvidenceChain,
  LocalSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  canonicalJson,
  checkPayload,
  checkpointKey,
  examine,
  parseEnvelope,
  recordKey,
  sha256Hex,
  signatureState,
  type Examined,
  type VerifyKey,
} from '../../lambdas/evidence';
import { MAX_DEPTH, NOT_PLAIN, memberName, plainJsonMember } from '../../lambdas/evidence/plain-json';
import { input, steppingClock, verifyKeyOf } from './helpers';

/**
 * Chain mode reads a record whose payload is JSON in the plain form without JSON.parse
 * (lambdas/evidence/plain-json.ts, then verify-signed.ts): the check must accept only what
 * JSON.parse accepts, and the examination must conclude exactly what the full parse concludes,
 * however hostile the bytes.
 */

const INCIDENT = memberName('incidentId');
const scan = (text: string): number => {
  const bytes = Buffer.from(text, 'latin1');
  return plainJsonMember(bytes, 0, bytes.length, INCIDENT);
};
const parses = (text: string): boolean => {
  try {
    JSON.parse(Buffer.from(text, 'latin1').toString('utf8'));
    return true;
  } catch {
    return false;
  }
};

/** Pieces of JSON and of almost-JSON: tokens, escapes, whitespace, controls, non-ASCII. */
const piece = fc.constantFrom(
  '{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '9', '-', '+', '.', 'e', 'E', 'a', 'f', 'true', 'false', 'null', 'nul', ' ', '\n', '\t',
  '\u0001', '\u00e9', '\u007f', '"a"', '"a":', '{"a":', '\\u00', '\\u0041', '\\"', '\\x', '/', '"incidentId":', ',"incidentId":"x"', '01', '1e', '-0.5E+3',
);

describe('the plain-JSON check', () => {
  it('accepts nothing JSON.parse refuses', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(scan(text) === NOT_PLAIN || parses(text)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('accepts nothing JSON.parse refuses when one byte of valid JSON is changed', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.constantFrom('delete', 'repeat', 'insert'), piece, (value, where, how, extra) => {
        const text = JSON.stringify(value);
        const at = text.length > 0 ? where % text.length : 0;
        const changed =
          how === 'delete' ? text.slice(0, at) + text.slice(at + 1) : how === 'repeat' ? text.slice(0, at + 1) + text.slice(at) : text.slice(0, at) + extra + text.slice(at);
        expect(scan(changed) === NOT_PLAIN || parses(changed)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('accepts the writer\'s canonical JSON of any ASCII value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = canonicalJson(value);
        fc.pre(/^[\x20-\x7f]*$/.test(text));
        expect(scan(text)).not.toBe(NOT_PLAIN);
      }),
      { numRuns: 5_000 },
    );
  });

  it('leaves to JSON.parse whitespace, control characters, non-ASCII text and deeper nesting', () => {
    for (const text of ['{"a": 1}', ' {"a":1}', '{"a":1}\n', '{"a":"\u0001"}', '{"a":"é"}', `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`]) {
      expect(scan(text)).toBe(NOT_PLAIN);
    }
    expect(scan(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`)).toBe(-1);
    expect(scan('{"a":"\\u00e9\\n\\"","b":[1,-0.5e+3,true,false,null,{}],"c":{}}')).toBe(-1);
  });

  it('finds the last incidentId member of the outermost object, never a nested or escaped one', () => {
    const text = '{"a":{"x":1,"incidentId":"n"},"incidentId":"one","b":[{"y":1,"incidentId":"m"}],"incidentId":"two","c":{"d":2,"incidentId":"k"},"incident\\u0049d":"three"}';
    expect(scan(text)).toBe(text.indexOf(',"incidentId":"two"'));
    expect(scan('{"incidentId":"first","b":1}')).toBe(-1);
  });
});

const signer = LocalSigner.generate('local:plain-test');
let key: VerifyKey;
beforeAll(async () => {
  key = await verifyKeyOf(signer);
});

/** The full parse, as verification concluded before chain mode had the plain-JSON path. */
const fullParse = (objectKey: string, body: Buffer, keys: Map<string, VerifyKey['key']>): Examined => {
  const envelope = parseEnvelope(body);
  if (typeof envelope === 'string') return { kind: 'corrupt', key: objectKey, why: envelope };
  const payload = checkPayload(envelope.payload);
  if (typeof payload === 'string') return { kind: 'corrupt', key: objectKey, why: payload };
  const sig = signatureState(envelope, payload, keys, false);
  const { keyId, keyFingerprint } = sig === 'mismatch' ? payload : envelope.signature;
  const common = { key: objectKey, seq: payload.seq, prevHash: payload.prevHash, hash: sha256Hex(envelope.payloadBytes), time: payload.time, sig, keyId, keyFingerprint };
  return payload.type === 'checkpoint'
    ? { kind: 'entry', entry: { ...common, type: 'checkpoint', chain: '#checkpoints', canonicalKey: checkpointKey(payload.seq), heads: payload.heads, merkleRoot: payload.merkleRoot } }
    : { kind: 'entry', entry: { ...common, type: 'record', chain: payload.incidentId, canonicalKey: recordKey(payload.incidentId, payload.seq) } };
};

const written = async (): Promise<{ key: string; body: Buffer }[]> => {
  const clock = steppingClock();
  const store = new MemoryEvidenceStore();
  const chain = new EvidenceChain({ signer, store, heads: new MemoryChainHeads({ clock }), clock });
  await chain.append('inc-a', input({ detail: { note: 'x' } }));
  await chain.append('inc-a', input({ reason: 'again' }));
  return [...store.objects].map(([k, body]) => ({ key: k, body }));
};

/** Text that looks like the writer's members, to splice into a payload. */
const hostile = fc.oneof(
  piece,
  fc.constantFrom(',"incidentId":"inc-b","kind":"step"', ',"seq":7', ',"schemaVersion":1', '"signer":{"keyFingerprint":"', ',"time":"2031-01-01T00:00:00Z"', '}}', ',"trigger":{}}'),
  fc.string({ unit: 'binary-ascii', maxLength: 8 }),
);

describe('chain mode examines a record as the full parse does', () => {
  it('for the writer\'s records changed anywhere in their payload, under their own key or another', async () => {
    const objects = await written();
    const trustedKeys = new Map([[key.fingerprint, key.key]]);
    const otherKeys = new Map([['0'.repeat(64), key.key]]);
    await fc.assert(
      fc.asyncProperty(fc.nat(objects.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(3), hostile), { maxLength: 3 }), fc.boolean(), fc.boolean(), async (which, edits, moved, known) => {
        const original = objects[which]!;
        let text = original.body.toString('latin1');
        const payloadEnd = text.lastIndexOf(',"signature":{');
        for (const [where, remove, extra] of edits) {
          const at = '{"payload":'.length + (where % (payloadEnd - '{"payload":'.length));
          text = text.slice(0, at) + extra + text.slice(at + remove);
        }
        const body = Buffer.from(text, 'latin1');
        const objectKey = moved ? 'records/inc-z/00000003.json' : original.key;
        const keys = known ? trustedKeys : otherKeys;
        expect(examine(objectKey, body, keys, false)).toEqual(fullParse(objectKey, body, keys));
      }),
      { numRuns: 3_000 },
    );
  });

  it('for records holding copies of the writer\'s members, nested or repeated', async () => {
    const [original] = await written();
    const payload = JSON.parse(original!.body.toString('utf8').slice('{"payload":'.length, original!.body.lastIndexOf(',"signature":{'))) as Record<string, unknown>;
    const tail = canonicalJson(payload).slice(canonicalJson(payload).indexOf(',"incidentId"'));
    const variants = [
      `{"incidentId":"inc-evil","seq":99,${canonicalJson(payload).slice(1)}`,
      canonicalJson({ ...payload, before: JSON.parse(`{"x":1${tail}`) as unknown }),
      canonicalJson({ ...payload, target: { a: 'b', incidentId: 'inc-evil' } }),
      canonicalJson(payload).replace('"incidentId"', '"incident\\u0049d"'),
      `${canonicalJson(payload).slice(0, -1)},"incidentId":"inc-b"}`,
      `${canonicalJson(payload).slice(0, -1)},"seq":3}`,
    ];
    const keys = new Map([[key.fingerprint, key.key]]);
    for (const text of variants) {
      const body = Buffer.concat([Buffer.from(`{"payload":${text}`), original!.body.subarray(original!.body.lastIndexOf(',"signature":{'))]);
      expect(examine(original!.key, body, keys, false)).toEqual(fullParse(original!.key, body, keys));
    }
  });
});
