import * as z from 'zod';
import { INCIDENT_ID_PATTERN, SCHEMA_VERSION, SIGNATURE_ALG } from './layout';

/**
 * Record and checkpoint formats. A stored object is the RFC 8785 canonical form of
 * `{ payload, signature }`; `hash` = SHA-256 of the canonical payload bytes, `signature.value` =
 * base64 DER ECDSA P-256 over that digest.
 */

export { CHECKPOINT_CHAIN, INCIDENT_ID_PATTERN, SCHEMA_VERSION, SIGNATURE_ALG, checkpointKey, pad8, recordIdFor, recordKey } from './layout';

/** NIST SP 800-53 controls every record supports. */
export const CONTROLS = ['IR-4(2)', 'IR-5', 'AU-9(3)', 'AU-10(3)', 'AU-11'] as const;


const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');
const isoTime = z.iso.datetime();

export const EvidenceKindSchema = z.enum(['intent', 'step', 'outcome', 'skip', 'error', 'escalation', 'redrive', 'checkpoint']);
export const ModeSchema = z.enum(['enforce', 'dry-run', 'off']);

export const TriggerSchema = z.strictObject({
  source: z.string().min(1),
  findingId: z.string().optional(),
  findingType: z.string().optional(),
  severity: z.number().finite().optional(),
  eventId: z.string().optional(),
});

export const TargetSchema = z.strictObject({
  type: z.string().min(1),
  id: z.string().min(1),
  account: z.string().optional(),
  region: z.string().optional(),
});

/** How a manual request arrived (lambdas/evidence/types.ts `ManualCaller`). */
export const ManualCallerSchema = z.discriminatedUnion('via', [
  z.strictObject({
    via: z.literal('function-url'),
    arn: z.string().min(1),
    accountId: z.string().min(1),
    callerId: z.string().optional(),
    principalOrgId: z.string().optional(),
    sourceIp: z.string().optional(),
    userAgent: z.string().optional(),
    urlRequestId: z.string().optional(),
  }),
  z.strictObject({ via: z.literal('direct-invoke') }),
]);

export const ActorSchema = z.strictObject({
  arn: z.string().min(1),
  requestId: z.string().optional(),
  requestedBy: z.string().optional(),
  assumedRoleArn: z.string().optional(),
  caller: ManualCallerSchema.optional(),
});

export const SignerRefSchema = z.strictObject({ keyId: z.string().min(1), keyFingerprint: hex64 });
export type SignerRef = z.infer<typeof SignerRefSchema>;

/** What a responder says in a record: the same fields in its input and in the stored payload. */
const recordContent = {
  mode: ModeSchema,
  trigger: TriggerSchema,
  target: TargetSchema.optional(),
  action: z.string().min(1),
  reason: z.string().optional(),
  before: z.json().optional(),
  after: z.json().optional(),
  actor: ActorSchema,
  detail: z.record(z.string(), z.json()).optional(),
};

export const RecordPayloadSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** `{incidentId}/{seq:08}`: deterministic, so a record is named by its place in the chain. */
  recordId: z.string(),
  incidentId: z.string().regex(INCIDENT_ID_PATTERN),
  seq: z.number().int().nonnegative(),
  prevHash: hex64,
  time: isoTime,
  kind: EvidenceKindSchema.exclude(['checkpoint']),
  ...recordContent,
  awsRequestIds: z.array(z.string()),
  controls: z.array(z.string()),
  /** The key that signs this record; binds the envelope's signature metadata to the payload. */
  signer: SignerRefSchema,
});
export type RecordPayload = z.infer<typeof RecordPayloadSchema>;

export const CheckpointHeadSchema = z.strictObject({
  incidentId: z.string().regex(INCIDENT_ID_PATTERN),
  seq: z.number().int().nonnegative(),
  hash: hex64,
});
export type CheckpointHead = z.infer<typeof CheckpointHeadSchema>;

export const CheckpointPayloadSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  kind: z.literal('checkpoint'),
  /** `checkpoints/{seq:08}`. */
  checkpointId: z.string(),
  seq: z.number().int().nonnegative(),
  prevHash: hex64,
  time: isoTime,
  /** Heads whose `updatedAt` falls in (from, to]. */
  window: z.strictObject({ from: isoTime, to: isoTime }),
  /** Every chain head that changed in the window, sorted by incidentId. */
  heads: z.array(CheckpointHeadSchema),
  /** RFC 6962 Merkle tree hash over the canonical JSON of each head, in `heads` order. */
  merkleRoot: hex64,
  controls: z.array(z.string()),
  signer: SignerRefSchema,
});
export type CheckpointPayload = z.infer<typeof CheckpointPayloadSchema>;

export const SignatureSchema = z.strictObject({
  alg: z.literal(SIGNATURE_ALG),
  keyId: z.string().min(1),
  keyFingerprint: hex64,
  value: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
});
export type Signature = z.infer<typeof SignatureSchema>;

export const RecordEnvelopeSchema = z.strictObject({ payload: RecordPayloadSchema, signature: SignatureSchema });
export const CheckpointEnvelopeSchema = z.strictObject({ payload: CheckpointPayloadSchema, signature: SignatureSchema });

export const EvidenceInputSchema = z.strictObject({
  kind: EvidenceKindSchema.exclude(['checkpoint'], { error: 'expected a record kind; checkpoint is reserved for checkpoints' }),
  ...recordContent,
  awsRequestIds: z.array(z.string()).optional(),
});

