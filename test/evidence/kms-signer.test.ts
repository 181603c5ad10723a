import { createHash, createPublicKey, verify } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  EvidenceChain,
  KmsSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  fingerprintOf,
  publicKeyFrom,
  verifyObjects,
} from '../../lambdas/evidence';
import { asObjects, input, newP256, parseBody, signRawDigest } from './helpers';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation', 'credentials', 'checkpoint', 'tamper');

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('KMS signer', () => {
  const kms = mockClient(KMSClient);
  const { privateKey, publicKey } = newP256();
  const spki = publicKey.export({ format: 'der', type: 'spki' });

  beforeEach(() => {
    kms.reset();
    kms.on(GetPublicKeyCommand).resolves({ KeyId: KEY_ARN, KeySpec: 'ECC_NIST_P256', PublicKey: new Uint8Array(spki) });
    // KMS with MessageType DIGEST signs the 32 bytes it is given, without hashing them again.
    kms.on(SignCommand).callsFake((cmd: { Message: Uint8Array }) => ({
      KeyId: KEY_ARN,
      SigningAlgorithm: 'ECDSA_SHA_256',
      Signature: new Uint8Array(signRawDigest(privateKey, cmd.Message)),
    }));
  });

  it('signs the digest with ECDSA_SHA_256 / DIGEST, and the records verify with the published public key', async () => {
    const store = new MemoryEvidenceStore();
    const signer = new KmsSigner(new KMSClient({ region: 'eu-west-1' }), 'alias/cordon-evidence');
    const chain = new EvidenceChain({ signer, store, heads: new MemoryChainHeads() });

    const stored = await chain.append('inc-kms', input());

    expect(kms).toHaveReceivedCommandTimes(SignCommand, 1);
    expect(kms).toHaveReceivedCommandWith(SignCommand, {
      KeyId: 'alias/cordon-evidence',
      Message: new Uint8Array(Buffer.from(stored.hash, 'hex')),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(kms).toHaveReceivedCommandWith(GetPublicKeyCommand, { KeyId: 'alias/cordon-evidence' });
    const body = store.objects.get(stored.key);
    expect(body).toBeDefined();
    const { payload, signature } = parseBody(body ?? Buffer.alloc(0));
    expect(signature).toMatchObject({ alg: 'ECDSA_SHA_256', keyId: KEY_ARN, keyFingerprint: fingerprintOf(spki) });
    expect(payload.signer).toEqual({ keyId: KEY_ARN, keyFingerprint: fingerprintOf(spki) });

    const report = verifyObjects(asObjects(store.objects), { publicKeys: [publicKeyFrom(spki, 'kms public key')] });
    expect(report).toMatchObject({ ok: true, records: 1 });
  });

  it('fetches the public key once per signer instance', async () => {
    const signer = new KmsSigner(new KMSClient({ region: 'eu-west-1' }), KEY_ARN);
    const chain = new EvidenceChain({ signer, store: new MemoryEvidenceStore(), heads: new MemoryChainHeads() });
    await chain.append('inc-kms', input());
    await chain.append('inc-kms', input());
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 1);
    expect(kms).toHaveReceivedCommandTimes(SignCommand, 2);
  });

  it('a signature over the raw digest (KMS DIGEST) verifies as ECDSA-SHA256 over the canonical bytes', () => {
    const message = Buffer.from('{"a":1}');
    const digest = createHash('sha256').update(message).digest();
    const signature = signRawDigest(privateKey, digest);
    expect(verify('sha256', message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature)).toBe(true);
    expect(verify('sha256', digest, publicKey, signature)).toBe(false);
  });

  it('rejects a key that is not ECC_NIST_P256', async () => {
    kms.on(GetPublicKeyCommand).resolves({ KeyId: KEY_ARN, KeySpec: 'RSA_2048', PublicKey: new Uint8Array(spki) });
    await expect(new KmsSigner(new KMSClient({ region: 'eu-west-1' }), KEY_ARN).identity()).rejects.toThrow(
      'expected signing key',
    );
  });
});
