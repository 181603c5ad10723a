import { EVIDENCE_WRITERS, IN_A_YEAR, type MustDeny } from './corpus-context';

/**
 * Must-deny entries about the evidence vault: nobody (Cordon roles, the security account's
 * administrator) deletes, overwrites, weakens or shortens evidence, replaces the bucket policy or
 * the lock, signs with the signing key but the evidence writers, or disables a vault key.
 */
export const VAULT_ENTRIES: readonly MustDeny[] = [
  {
    id: 'delete-evidence',
    what: 'delete an evidence record',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:DeleteObject', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json` }),
  },
  {
    id: 'delete-evidence-version',
    what: 'delete a version of an evidence record',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:DeleteObjectVersion', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json` }),
  },
  {
    id: 'overwrite-evidence',
    what: 'overwrite an evidence record (a put without If-None-Match makes a new current version)',
    audience: 'cordon+admin',
    request: (c) => ({
      action: 's3:PutObject',
      resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json`,
      context: { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-retain-until-date': IN_A_YEAR(), 's3:object-lock-remaining-retention-days': '365' },
    }),
  },
  {
    id: 'weak-evidence-object',
    what: 'write an evidence record without Object Lock (deletable once written)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutObject', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000009.json`, context: { 's3:if-none-match': '*' } }),
  },
  {
    id: 'shorten-evidence-retention',
    what: 'shorten the retention of an evidence record (to one day)',
    audience: 'cordon+admin',
    request: (c) => ({
      action: 's3:PutObjectRetention',
      resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json`,
      context: { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': '1' },
    }),
  },
  {
    id: 'bypass-governance',
    what: 'bypass Object Lock governance on an evidence record',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:BypassGovernanceRetention', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json` }),
  },
  {
    id: 'expire-evidence',
    what: 'put a lifecycle rule that expires the evidence',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutLifecycleConfiguration', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'replace-vault-policy',
    what: 'replace the vault’s bucket policy (and with it every deny above)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutBucketPolicy', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'delete-vault-policy',
    what: 'delete the vault’s bucket policy (every deny above with it)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:DeleteBucketPolicy', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'weaken-vault-lock',
    what: 'change the vault’s Object Lock configuration (default mode and retention)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutBucketObjectLockConfiguration', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'governance-evidence-object',
    what: 'lock an evidence record in GOVERNANCE mode (removable by whoever may bypass governance)',
    audience: 'cordon+admin',
    request: (c) => ({
      action: 's3:PutObjectRetention',
      resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json`,
      context: { 's3:object-lock-mode': 'GOVERNANCE', 's3:object-lock-remaining-retention-days': '3650' },
    }),
  },
  {
    id: 'sign-with-vault-key',
    what: 'sign a forged record with the evidence signing key',
    audience: 'cordon+admin',
    except: EVIDENCE_WRITERS,
    request: (c) => ({ action: 'kms:Sign', resource: c.signingKey, context: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } }),
  },
  {
    id: 'disable-signing-key',
    what: 'disable the signing key (no record can be signed, new evidence stops)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:DisableKey', resource: c.signingKey }),
  },
  {
    id: 'delete-signing-key',
    what: 'schedule deletion of the signing key',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:ScheduleKeyDeletion', resource: c.signingKey }),
  },
  {
    id: 'disable-data-key',
    what: 'disable the vault’s data key (the evidence becomes unreadable)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:DisableKey', resource: c.dataKey }),
  },
  {
    id: 'delete-data-key',
    what: 'schedule deletion of the vault’s data key (the evidence becomes unreadable for good)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:ScheduleKeyDeletion', resource: c.dataKey }),
  },
  {
    id: 'replace-signing-key-policy',
    what: 'replace the signing key’s key policy',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:PutKeyPolicy', resource: c.signingKey }),
  },
];
