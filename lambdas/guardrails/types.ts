import type { Mode } from '../evidence/types';

/**
 * Checks every responder applies before any mutating call. Responders receive an implementation;
 * the SSM-backed one (kill switch) and the DynamoDB-backed breaker live beside this file.
 */
export interface Guardrails {
  /** The kill switch. Throws when the mode cannot be read or is unknown: the caller must then act
   * on nothing and write an `escalation` record. */
  mode(): Promise<Mode>;
}

/** Guardrails fixed to one mode: for tests and the offline drill. */
export const fixedGuardrails = (mode: Mode): Guardrails => ({ mode: async () => mode });
