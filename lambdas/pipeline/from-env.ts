import { evidenceFromEnv } from '../evidence/from-env';
import { guardrailsFromEnv } from '../guardrails/from-env';
import { idempotencyFromEnv, parkingFromEnv } from '../guardrails/idempotency-from-env';
import { isFinalResult } from '../guardrails/park';
import { notifierFromEnv } from '../notify/from-env';
import type { ResponderEntry } from './entry';
import type { Summary } from './types';

/**
 * What every deployed responder builds from its environment, once per container: the evidence
 * chain, the guardrails, the notifier, idempotency (a decision that depended on passing state is not
 * remembered: it is parked and re-driven) and parking.
 */
export const entryFromEnv = <R extends Summary>(responder: string): Pick<ResponderEntry<R>, 'responder' | 'evidence' | 'guardrails' | 'notifier' | 'idempotency' | 'parking'> => {
  const evidence = evidenceFromEnv();
  const guardrails = guardrailsFromEnv();
  const notifier = notifierFromEnv();
  const idempotency = idempotencyFromEnv<R>(responder, { isFinal: isFinalResult });
  const parking = parkingFromEnv();
  return {
    responder,
    evidence,
    guardrails,
    ...(notifier ? { notifier } : {}),
    ...(idempotency ? { idempotency } : {}),
    ...(parking ? { parking } : {}),
  };
};
