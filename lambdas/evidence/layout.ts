/**
 * The constants and key names of the evidence layout, apart from the zod schemas (schema.ts
 * re-exports them): verification's worker threads load these without zod (measured: zod alone
 * took ~200 of the ~450 ms a worker thread needed before its first object, under tsx).
 */

export const SCHEMA_VERSION = 1;
export const SIGNATURE_ALG = 'ECDSA_SHA_256';

/** Incident ids become S3 key segments. */
export const INCIDENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** Chain id of the checkpoint chain in the heads table; cannot collide with an incident id. */
export const CHECKPOINT_CHAIN = '#checkpoints';

export const pad8 = (seq: number): string => String(seq).padStart(8, '0');
export const recordKey = (incidentId: string, seq: number): string => `records/${incidentId}/${pad8(seq)}.json`;
export const checkpointKey = (seq: number): string => `checkpoints/${pad8(seq)}.json`;
export const recordIdFor = (incidentId: string, seq: number): string => `${incidentId}/${pad8(seq)}`;
