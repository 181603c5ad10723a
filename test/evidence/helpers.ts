import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  EvidenceChain,
  LocalSigner,
  canonicalJson,
  envelopeBytes,
  sha256Hex,
  MemoryChainHeads,
  MemoryEvidenceStore,
  publicKeyFrom,
  writeCheckpoint,
  type EvidenceInput,
  type VerifyKey,
} from '../../lambdas/evidence';

export const input = (overrides: Partial<EvidenceInput> = {}): EvidenceInput => ({
  kind: 'step',
  mode: 'enforce',
  trigger: { source: 'aws.guardduty', findingId: 'f-1', findingType: 'Backdoor:EC2/C&CActivity.B', severity: 8, eventId: 'ev-1' },
  target: { type: 'ec2-instance', id: 'i-0123456789abcdef0', account: '111122223333', region: 'eu-west-1' },
  action: 'ec2:ModifyNetworkInterfaceAttribute',
  reason: 'isolate',
  before: { groups: ['sg-1'] },
  after: { groups: ['sg-isolation'] },
  awsRequestIds: ['req-1'],
  actor: { arn: 'arn:aws:lambda:eu-west-1:111122223333:function:cordon-isolate', requestId: 'lambda-req-1' },
  detail: { eni: 'eni-1' },
  ...overrides,
});

/** A fixed clock that advances one second per call, so record times are distinct and ordered. */
export const steppingClock = (start = Date.parse('2026-01-01T00:00:00.000Z')): (() => Date) => {
  let now = start;
  return () => new Date((now += 1000));
};

export interface EvidenceSet {
  readonly signer: LocalSigner;
  readonly key: VerifyKey;
  readonly store: MemoryEvidenceStore;
  readonly heads: MemoryChainHeads;
  readonly chain: EvidenceChain;
  /** Copy of the stored objects, for tampering. */
  readonly objects: () => Map<string, Buffer>;
}

export const verifyKeyOf = async (signer: LocalSigner): Promise<VerifyKey> =>
  publicKeyFrom((await signer.identity()).publicKeyDer, 'test key');

/**
 * A valid evidence set: `incidents` x `perIncident` records, a checkpoint after `checkpointAfter`
 * records per incident (covering them), then the rest and a final checkpoint.
 */
export const buildSet = async (
  options: { incidents?: number; perIncident?: number; checkpointAfter?: number; signer?: LocalSigner } = {},
): Promise<EvidenceSet> => {
  const incidents = options.incidents ?? 2;
  const perIncident = options.perIncident ?? 4;
  const checkpointAfter = options.checkpointAfter ?? Math.floor(perIncident / 2);
  const signer = options.signer ?? LocalSigner.generate('local:test');
  const clock = steppingClock();
  const store = new MemoryEvidenceStore();
  const heads = new MemoryChainHeads({ clock });
  const chain = new EvidenceChain({ signer, store, heads, clock });
  for (let i = 0; i < perIncident; i += 1) {
    if (i === checkpointAfter) await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
    for (let n = 0; n < incidents; n += 1) await chain.append(`inc-${n}`, input({ action: `step-${i}` }));
  }
  await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
  return { signer, key: await verifyKeyOf(signer), store, heads, chain, objects: () => new Map(store.objects) };
};

export const asObjects = (map: Map<string, Buffer>): { key: string; body: Buffer }[] => [...map].map(([key, body]) => ({ key, body }));

export const parseBody = (body: Buffer): { payload: Record<string, unknown>; signature: Record<string, string> } =>
  JSON.parse(body.toString('utf8')) as { payload: Record<string, unknown>; signature: Record<string, string> };

// ---- ECDSA P-256 over a raw 32-byte digest, as KMS does with MessageType DIGEST ----------------

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
const inv = (a: bigint, m: bigint): bigint => {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
};
const add = (p1: Point, p2: Point): Point => {
  if (!p1) return p2;
  if (!p2) return p1;
  if (p1.x === p2.x && mod(p1.y + p2.y, P) === 0n) return null;
  const l =
    p1.x === p2.x && p1.y === p2.y ? mod((3n * p1.x * p1.x + A) * inv(2n * p1.y, P), P) : mod((p2.y - p1.y) * inv(p2.x - p1.x, P), P);
  const x = mod(l * l - p1.x - p2.x, P);
  return { x, y: mod(l * (p1.x - x) - p1.y, P) };
};
const mul = (k: bigint, point: Point): Point => {
  let result: Point = null;
  let addend = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
};
const derInt = (v: bigint): Buffer => {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
};

/** DER ECDSA signature over `digest` itself (no hashing), with the private scalar of `privateKey`. */
export const signRawDigest = (privateKey: KeyObject, digest: Uint8Array): Buffer => {
  const jwk = privateKey.export({ format: 'jwk' });
  const d = BigInt(`0x${Buffer.from(jwk.d ?? '', 'base64url').toString('hex')}`);
  const z = BigInt(`0x${Buffer.from(digest).toString('hex')}`);
  for (;;) {
    const k = mod(BigInt(`0x${randomBytes(32).toString('hex')}`), N);
    if (k === 0n) continue;
    const R = mul(k, G);
    if (!R) continue;
    const r = mod(R.x, N);
    const s = mod(inv(k, N) * (z + r * d), N);
    if (r === 0n || s === 0n) continue;
    const body = Buffer.concat([derInt(r), derInt(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
};

export const newP256 = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A different, validly signed record or checkpoint: `body`'s payload changed by `change`, re-signed by `signer`. */
export const resign = (signer: LocalSigner, body: Buffer, change: (payload: Record<string, unknown>) => Record<string, unknown>): Buffer => {
  const { payload, signature } = parseBody(body);
  const canonical = canonicalJson(change({ ...payload }));
  return envelopeBytes(canonical, {
    alg: 'ECDSA_SHA_256',
    keyId: signature.keyId ?? '',
    keyFingerprint: signature.keyFingerprint ?? '',
    value: signer.signSync(Buffer.from(canonical)).toString('base64'),
  });
};

export const hashOf = (body: Buffer): string => sha256Hex(canonicalJson(parseBody(body).payload));
