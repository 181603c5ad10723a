import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EvidenceChain,
  LocalEvidenceStore,
  LocalSigner,
  MemoryChainHeads,
  canonicalJson,
  envelopeBytes,
  publishPublicKey,
  spkiPem,
  writeCheckpoint,
} from '../../lambdas/evidence';
import { runCli } from '../../lib/cli/program';
import { input, steppingClock } from './helpers';

/**
 * A real evidence folder written by the real chain (2 incidents x 4 records, a checkpoint after
 * seq 1 and one at the end), the auditor's pinned public key outside it, and helpers to tamper
 * with a fresh copy the way an attacker with write access to the folder would.
 */
export interface Vault {
  readonly root: string;
  /** The untouched evidence folder. */
  readonly evidence: string;
  /** The pinned public key (PEM), outside the evidence folder. */
  readonly pem: string;
  readonly signer: LocalSigner;
  readonly fingerprint: string;
  /** The anchor folder: every checkpoint also copied there, as the checkpoint function does. */
  readonly anchor: string;
}

export const rec = (incident: string, seq: number): string => `records/${incident}/${String(seq).padStart(8, '0')}.json`;
export const cp = (seq: number): string => `checkpoints/${String(seq).padStart(8, '0')}.json`;

export const buildVault = async (): Promise<Vault> => {
  const root = mkdtempSync(join(tmpdir(), 'cordon-adversarial-'));
  const evidence = join(root, 'evidence');
  const anchor = join(root, 'anchor');
  const signer = LocalSigner.fromFile(join(root, 'signing-key.pem'), { create: true });
  const store = new LocalEvidenceStore(evidence);
  const anchorStore = new LocalEvidenceStore(anchor);
  const clock = steppingClock();
  const heads = new MemoryChainHeads({ clock });
  const chain = new EvidenceChain({ signer, store, heads, clock });
  for (let i = 0; i < 4; i += 1) {
    if (i === 2) {
      const c = await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
      await anchorStore.put(c.key, c.body);
    }
    for (const incident of ['inc-a', 'inc-b']) await chain.append(incident, input({ action: `step-${i}` }));
  }
  const last = await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
  await anchorStore.put(last.key, last.body);
  await publishPublicKey(signer, store);
  const identity = await signer.identity();
  const pem = join(root, 'pinned-public-key.pem');
  writeFileSync(pem, spkiPem(identity.publicKeyDer));
  return { root, evidence, pem, signer, fingerprint: identity.keyFingerprint, anchor };
};

let copies = 0;

/** A writable copy of the vault's evidence folder. */
export const copyOf = (vault: Vault): string => {
  copies += 1;
  const dir = join(vault.root, `copy-${copies}`);
  cpSync(vault.evidence, dir, { recursive: true });
  const unlock = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) unlock(p);
      else if (e.isFile()) chmodSync(p, 0o644);
    }
  };
  unlock(dir);
  return dir;
};

export const read = (dir: string, key: string): Buffer => readFileSync(join(dir, key));
export const write = (dir: string, key: string, body: Buffer | string): void => writeFileSync(join(dir, key), body);

/** Swaps the files at two keys (each keeps its own content, now at the other's name). */
export const swap = (dir: string, a: string, b: string): void => {
  renameSync(join(dir, a), join(dir, `${a}.tmp`));
  renameSync(join(dir, b), join(dir, a));
  renameSync(join(dir, `${a}.tmp`), join(dir, b));
};

/** The record's payload changed by `change`, re-signed with `signer` (an attacker's key unless it is the vault's). */
export const forge = (
  body: Buffer,
  signer: LocalSigner,
  change: (payload: Record<string, unknown>) => Record<string, unknown>,
  signerRef?: { keyId: string; keyFingerprint: string },
): Buffer => {
  const { payload, signature } = JSON.parse(body.toString()) as { payload: Record<string, unknown>; signature: { keyId: string; keyFingerprint: string } };
  const ref = signerRef ?? { keyId: signature.keyId, keyFingerprint: signature.keyFingerprint };
  const canonical = canonicalJson(change({ ...payload, signer: ref }));
  return envelopeBytes(canonical, { alg: 'ECDSA_SHA_256', ...ref, value: signer.signSync(Buffer.from(canonical)).toString('base64') });
};

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly report?: { ok: boolean; counts: Record<string, number>; problems: { code: string; key?: string; message: string }[] };
}

/** `cordon verify ... --json` in-process, and the report it printed. */
export const verifyCli = async (...argv: string[]): Promise<CliRun> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['verify', ...argv], { stdout: (t) => out.push(t), stderr: (t) => err.push(t), interactive: false });
  const stdout = out.join('');
  const json = argv.includes('--json') && stdout.startsWith('{') ? (JSON.parse(stdout) as CliRun['report']) : undefined;
  return { code, stdout, stderr: err.join(''), ...(json ? { report: json } : {}) };
};

/** A stack trace line, as Node prints them. */
export const STACK_LINE = /^\s+at .+[(:]\d+/m;
