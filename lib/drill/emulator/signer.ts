import { SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { KmsSigner, type Signer, type SignerIdentity } from '../../../lambdas/evidence/signer';
import { SIGNATURE_ALG } from '../../../lambdas/evidence/schema';

/**
 * The evidence signer for the emulator drill: the emulator's KMS ECC_NIST_P256 key, asked the way
 * moto 5.2.1 answers correctly.
 *
 * Why not `KmsSigner` as deployed: it sends the SHA-256 digest with `MessageType: DIGEST`, and
 * moto hashes that digest again before signing, so its signature is over SHA-256(SHA-256(bytes))
 * and no verifier (node:crypto, KMS Verify in AWS) accepts it. This adapter sends the canonical
 * bytes themselves with `MessageType: RAW`: KMS (real or moto) then computes SHA-256 once and
 * signs it, which is exactly the signature `KmsSigner` gets from AWS with DIGEST — same key, same
 * algorithm (ECDSA_SHA_256, DER), same bytes signed. Identity (GetPublicKey, fingerprint, key ARN)
 * is `KmsSigner`'s own code. Lambdas keep DIGEST: it sends 32 bytes instead of the whole record
 * (RAW is limited to 4 KB messages, which evidence records can exceed in AWS).
 */
export class MotoRawKmsSigner implements Signer {
  readonly alg = SIGNATURE_ALG;
  private readonly deployed: KmsSigner;
  /** Sign calls made (the drill reports them). */
  signed = 0;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {
    this.deployed = new KmsSigner(kms, keyId);
  }

  identity(): Promise<SignerIdentity> {
    return this.deployed.identity();
  }

  async sign(message: Uint8Array, _digest: Uint8Array): Promise<Buffer> {
    const out = await this.kms.send(
      new SignCommand({ KeyId: this.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    if (!out.Signature) throw new Error(`kms Sign returned no signature for ${this.keyId}`);
    this.signed += 1;
    return Buffer.from(out.Signature);
  }
}
