import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { sha256Hex } from './canonical';
import { SIGNATURE_ALG } from './schema';

/** Which key signs: `keyId` is the KMS key ARN (or the key file path), `keyFingerprint` the hex SHA-256 of its SPKI DER. */
export interface SignerIdentity {
  readonly keyId: string;
  readonly keyFingerprint: string;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeyDer: Buffer;
}

/**
 * Signs one record: ECDSA P-256 over `digest` = SHA-256(`message`), DER-encoded. KMS signs the
 * digest (MessageType DIGEST), node:crypto signs the message with SHA-256: the signatures are the
 * same kind, so one verify path (`crypto.verify('sha256', message, key, sig)`) serves both.
 */
export interface Signer {
  readonly alg: typeof SIGNATURE_ALG;
  identity(): Promise<SignerIdentity>;
  /** `digest` must be SHA-256 of `message`. Returns the DER signature. */
  sign(message: Uint8Array, digest: Uint8Array): Promise<Buffer>;
}

export const fingerprintOf = (spkiDer: Uint8Array): string => sha256Hex(spkiDer);

export const spkiPem = (spkiDer: Buffer): string =>
  createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();

const P256_OIDS = new Set(['prime256v1', 'P-256']);

const assertP256 = (key: KeyObject, where: string): void => {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || !curve || !P256_OIDS.has(curve)) {
    throw new Error(`expected an EC P-256 key in ${where}, received ${key.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}`.trim());
  }
};

/** AWS KMS asymmetric key, key spec ECC_NIST_P256, usage SIGN_VERIFY. */
export class KmsSigner implements Signer {
  readonly alg = SIGNATURE_ALG;
  private identityPromise?: Promise<SignerIdentity>;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  /** GetPublicKey once per instance (start it at module scope so a cold start overlaps it). */
  identity(): Promise<SignerIdentity> {
    this.identityPromise ??= this.fetchIdentity().catch((error: unknown) => {
      this.identityPromise = undefined;
      throw error;
    });
    return this.identityPromise;
  }

  private async fetchIdentity(): Promise<SignerIdentity> {
    const out = await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (!out.PublicKey) throw new Error(`kms GetPublicKey returned no public key for ${this.keyId}`);
    if (out.KeySpec !== undefined && out.KeySpec !== 'ECC_NIST_P256') {
      throw new Error(`expected signing key ${this.keyId} to be ECC_NIST_P256, received ${out.KeySpec}`);
    }
    const publicKeyDer = Buffer.from(out.PublicKey);
    return { keyId: out.KeyId ?? this.keyId, keyFingerprint: fingerprintOf(publicKeyDer), publicKeyDer };
  }

  async sign(_message: Uint8Array, digest: Uint8Array): Promise<Buffer> {
    const out = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!out.Signature) throw new Error(`kms Sign returned no signature for ${this.keyId}`);
    return Buffer.from(out.Signature);
  }
}

/** A P-256 private key in a PEM file (PKCS#8 or SEC1): the drill's signer. */
export class LocalSigner implements Signer {
  readonly alg = SIGNATURE_ALG;
  private readonly ident: SignerIdentity;

  constructor(
    private readonly privateKey: KeyObject,
    keyId: string,
  ) {
    assertP256(privateKey, keyId);
    const publicKeyDer = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.ident = { keyId, keyFingerprint: fingerprintOf(publicKeyDer), publicKeyDer };
  }

  /** Reads the PEM key at `path`; with `create`, writes a new P-256 key (mode 0600) when absent. */
  static fromFile(path: string, options: { readonly create?: boolean } = {}): LocalSigner {
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing || !options.create) throw error;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    }
    return new LocalSigner(createPrivateKey(pem), `file:${path}`);
  }

  static generate(keyId = 'local:ephemeral'): LocalSigner {
    return new LocalSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, keyId);
  }

  identity(): Promise<SignerIdentity> {
    return Promise.resolve(this.ident);
  }

  /** Synchronous signing for bulk generation (drills, benchmarks). */
  signSync(message: Uint8Array): Buffer {
    return cryptoSign('sha256', message, this.privateKey);
  }

  sign(message: Uint8Array, _digest: Uint8Array): Promise<Buffer> {
    return Promise.resolve(this.signSync(message));
  }
}

/** A verifier's public key: PEM (SPKI) or DER file contents. */
export const publicKeyFrom = (bytes: Buffer, where: string): { key: KeyObject; fingerprint: string } => {
  const text = bytes.toString('utf8');
  const key = text.includes('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  assertP256(key, where);
  return { key, fingerprint: fingerprintOf(key.export({ format: 'der', type: 'spki' })) };
};
