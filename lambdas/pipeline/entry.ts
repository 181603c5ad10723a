import type { Actor, EvidenceWriter, ManualCaller } from '../evidence/types';
import { isHeartbeat, runGuarded, runHeartbeat } from '../guardrails/handle';
import type { IdempotentResponder } from '../guardrails/idempotency';
import { redriveBatchFromEnv } from '../guardrails/idempotency-from-env';
import type { ParkedEvent, Parking } from '../guardrails/park';
import type { Guardrails } from '../guardrails/types';
import { manualEntry, type Privileged, type Refused } from '../manual/entry';
import type { FunctionUrlEvent, UrlResponse } from '../manual/url';
import type { Notifier } from '../notify/notifier';
import type { PipelineLogger } from './run';
import type { Summary } from './types';

/**
 * The Lambda entry every responder function shares (lambdas/handlers/*): the heartbeat (mode log,
 * re-drive of parked events, storm digests), the manual front door (function URL, authenticated
 * caller, refusals), then the guardrails around the responder (mode read once, idempotency,
 * parking). A handler file only builds its clients and says how to call its responder.
 */

/** The subset of the Lambda context used here. */
export interface LambdaContextLike {
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
  /** Bounds an idempotency record's INPROGRESS state to this invocation. */
  getRemainingTimeInMillis?(): number;
}

export interface ResponderEntry<R extends Summary> {
  /** `isolate-instance` | `revoke-credentials`: idempotency keys, parking, breaker items. */
  readonly responder: string;
  readonly guardrails: Guardrails;
  readonly evidence: EvidenceWriter;
  readonly logger: PipelineLogger & { appendKeys(keys: Record<string, unknown>): void };
  readonly notifier?: Notifier;
  /** Absent: duplicates are not suppressed (logged). */
  readonly idempotency?: IdempotentResponder<R>;
  readonly parking?: Parking;
  /** Which manual requests need a caller AWS authenticated. */
  readonly privileged: Privileged;
  /** The responder's domain entry, with the guardrails as read for this invocation and the function as actor. */
  readonly respond: (event: unknown, guardrails: Guardrails, actor: Actor, context: LambdaContextLike) => Promise<R>;
  /** After a guarded response (not the heartbeat, not a refusal): e.g. one log line. */
  readonly done?: (result: R) => void;
}

/**
 * A function URL request (the manual request URL, auth type AWS_IAM) is answered as HTTP; any other
 * event with the responder's result (or the refusal of a privileged request without a caller).
 */
export interface ResponderHandler<R> {
  (event: FunctionUrlEvent, context: LambdaContextLike): Promise<UrlResponse>;
  (event: unknown, context: LambdaContextLike): Promise<R | Refused>;
}

export const responderHandler = <R extends Summary>(entry: ResponderEntry<R>): ResponderHandler<R> => {
  const { responder, guardrails, evidence, logger, notifier, idempotency, parking } = entry;
  const actorOf = (context: LambdaContextLike, caller?: ManualCaller): Actor => ({
    arn: context.invokedFunctionArn,
    requestId: context.awsRequestId,
    ...(caller ? { caller } : {}),
  });
  const guarded = (event: unknown, context: LambdaContextLike, redriveOf?: ParkedEvent, caller?: ManualCaller): Promise<R> =>
    runGuarded({
      event,
      context,
      responder,
      guardrails,
      ...(idempotency ? { idempotency } : {}),
      ...(parking ? { parking } : {}),
      ...(redriveOf ? { redriveOf } : {}),
      evidence,
      logger,
      respond: (checked) => entry.respond(event, checked, actorOf(context, caller), context),
    });
  const handler = async (event: unknown, context: LambdaContextLike): Promise<R | Refused | UrlResponse> => {
    logger.appendKeys({ requestId: context.awsRequestId });
    if (isHeartbeat(event)) {
      return runHeartbeat({
        guardrails,
        logger,
        responder,
        ...(parking ? { parking } : {}),
        redriveLimit: redriveBatchFromEnv(),
        rerun: (p) => guarded(p.event, context, p),
        ...(notifier ? { notifier } : {}),
        evidence,
        actor: actorOf(context),
      });
    }
    // Manual requests carry their caller into every record (lambdas/manual/entry.ts); force,
    // release, restore and patterns need an authenticated one.
    return manualEntry<R>(event, {
      privileged: entry.privileged,
      evidence,
      mode: () => guardrails.mode(),
      context,
      logger,
      run: async (e, caller) => {
        const result = await guarded(e, context, undefined, caller);
        entry.done?.(result);
        return result;
      },
    });
  };
  return handler as ResponderHandler<R>;
};
