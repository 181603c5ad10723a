import { createHash } from 'node:crypto';
import type { EvidenceStore } from '../evidence/store';
import type { Artifact } from './types';

/**
 * Volatile evidence: the console output and a console screenshot are read in the first mutating
 * round (plan.ts), before the isolation group goes on. Their bytes are stored in the vault as
 * objects of their own, write-once and COMPLIANCE-locked like the records (`EvidenceStore.put`),
 * under `artifacts/{incidentId}/{name}-{sha256}.{ext}`: the key names the content, and the
 * capture's step record, which is signed and chained, carries the SHA-256 and the key, so
 * `sha256sum` of the object proves it is what was captured. The object is written while the
 * network is being cut: capturing never delays the cut by more than the round it shares with the
 * allow-all step.
 */

/** Where artifacts go: the vault (S3 with Object Lock) or the drill's folder. */
export type ArtifactStore = Pick<EvidenceStore, 'put'>;

export const ARTIFACT_PREFIX = 'artifacts/';

const EXTENSIONS: Record<string, string> = { 'text/plain; charset=utf-8': 'txt', 'image/jpeg': 'jpg' };

export const artifactKey = (incidentId: string, artifact: Pick<Artifact, 'name' | 'contentType'>, sha256: string): string =>
  `${ARTIFACT_PREFIX}${incidentId}/${artifact.name}-${sha256}.${EXTENSIONS[artifact.contentType] ?? 'bin'}`;

/** What the step record says about a captured artifact. */
export interface ArtifactRef {
  readonly name: string;
  readonly contentType: string;
  readonly sha256: string;
  readonly bytes: number;
  /** The vault key, when it was stored. */
  readonly key?: string;
  /** Why it was not stored (the hash is still recorded). */
  readonly error?: string;
}

/** Stores an artifact (never throws): the reference to put in its step record. */
export const storeArtifact = async (store: ArtifactStore | undefined, incidentId: string, artifact: Artifact): Promise<ArtifactRef> => {
  const sha256 = createHash('sha256').update(artifact.body).digest('hex');
  const ref = { name: artifact.name, contentType: artifact.contentType, sha256, bytes: artifact.body.length };
  if (!store) return { ...ref, error: 'no artifact store is wired: only the hash is kept' };
  const key = artifactKey(incidentId, artifact, sha256);
  try {
    await store.put(key, artifact.body, artifact.contentType);
    return { ...ref, key };
  } catch (error) {
    return { ...ref, error: `storing ${key} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
  }
};
