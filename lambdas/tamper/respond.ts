import * as z from 'zod';
import type { Actor, EvidenceWriter, Mode, StoredRecord } from '../evidence/types';
import { errorMessage } from '../shared/errors';

/**
 * A change to Cordon itself (lib/tamper.ts decides which CloudTrail calls reach this): written as
 * a signed escalation record of its own incident, then told to the incident topic. The rule also
 * sends the raw event to the topic, so a tampered or broken handler cannot silence the alarm.
 */

const cloudTrailApiCall = z.object({
  id: z.string().min(1),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.string().min(1),
  account: z.string().min(1),
  region: z.string().min(1),
  detail: z.looseObject({
    eventName: z.string().min(1),
    eventSource: z.string().min(1),
    eventID: z.string().optional(),
    eventTime: z.string().optional(),
    sourceIPAddress: z.string().optional(),
    userAgent: z.string().optional(),
    userIdentity: z.looseObject({ type: z.string().optional(), arn: z.string().optional(), principalId: z.string().optional() }).optional(),
    requestParameters: z.record(z.string(), z.unknown()).nullable().optional(),
    resources: z.array(z.looseObject({ ARN: z.string().optional() })).optional(),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
  }),
});

/** What was changed, by whom, from where: the part of a CloudTrail call the record and message keep. */
export interface TamperEvent {
  readonly eventId: string;
  readonly source: string;
  readonly eventName: string;
  readonly account: string;
  readonly region: string;
  /** The thing changed: a parameter, function, rule, role, policy, key, bucket, trail or detector. */
  readonly target: string;
  /** The caller as CloudTrail names it (`userIdentity.arn`), or its type when it has no ARN. */
  readonly principal: string;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  readonly eventTime?: string;
  /** Set when AWS refused the call: an attempt, still an alarm. */
  readonly errorCode?: string;
  readonly requestParameters: Readonly<Record<string, unknown>>;
}

/** Request parameters that name the thing changed, in the order they are looked for. */
const TARGET_KEYS = ['name', 'names', 'functionName', 'roleName', 'policyArn', 'keyId', 'bucketName', 'detectorId', 'trailName'];

/** Parses an EventBridge CloudTrail event; throws naming what was expected. */
export const parseTamperEvent = (event: unknown): TamperEvent => {
  const parsed = cloudTrailApiCall.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`expected an "AWS API Call via CloudTrail" event, ${issue ? `${issue.path.join('.') || 'event'}: ${issue.message}` : 'received something else'}`);
  }
  const { detail } = parsed.data;
  const parameters = detail.requestParameters ?? {};
  const named = TARGET_KEYS.map((k) => parameters[k]).find((v) => v !== undefined && v !== null);
  const target = named !== undefined ? (typeof named === 'string' ? named : JSON.stringify(named)) : (detail.resources?.[0]?.ARN ?? detail.eventSource);
  return {
    eventId: parsed.data.id,
    source: parsed.data.source,
    eventName: detail.eventName,
    account: parsed.data.account,
    region: parsed.data.region,
    target,
    principal: detail.userIdentity?.arn ?? detail.userIdentity?.type ?? 'unknown',
    ...(detail.sourceIPAddress ? { sourceIPAddress: detail.sourceIPAddress } : {}),
    ...(detail.userAgent ? { userAgent: detail.userAgent } : {}),
    ...(detail.eventTime ? { eventTime: detail.eventTime } : {}),
    ...(detail.errorCode ? { errorCode: detail.errorCode } : {}),
    requestParameters: parameters,
  };
};

/** The incident of one tamper event: deterministic, so a redelivery lands in the same chain. */
export const tamperIncidentId = (eventId: string): string => `tamper-${eventId.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 128);

/** The message for the incident topic (pure). */
export const tamperMessage = (t: TamperEvent, evidence: { key?: string; error?: string }): { subject: string; message: string } => {
  const attempted = t.errorCode ? ` (refused: ${t.errorCode})` : '';
  const subject = `Cordon tamper: ${t.eventName}${attempted} on ${t.target}`.slice(0, 100);
  const lines = [
    `${t.principal} called ${t.source.replace(/^aws\./, '')}:${t.eventName} on ${t.target}${attempted}`,
    `account ${t.account}, region ${t.region}${t.eventTime ? `, at ${t.eventTime}` : ''}${t.sourceIPAddress ? `, from ${t.sourceIPAddress}` : ''}`,
    `CloudTrail event ${t.eventId}`,
    evidence.key ? `evidence ${evidence.key}` : `evidence NOT written: ${evidence.error ?? 'unknown error'}`,
    'If this change was not planned, treat Cordon as compromised: see the README, "Security model".',
  ];
  return { subject, message: lines.join('\n') };
};

export interface TamperDeps {
  readonly evidence: EvidenceWriter;
  /** The kill switch's value, recorded as the record's mode (tamper records are written in every mode). */
  readonly mode: () => Promise<Mode>;
  readonly publish: (subject: string, message: string) => Promise<void>;
  readonly actor: Actor;
}

export interface TamperResult {
  readonly decision: 'escalate' | 'skip';
  readonly incidentId: string;
  readonly reason?: string;
  readonly evidenceKey?: string;
}

/**
 * Records and announces one tamper event. An event that is not a CloudTrail API call is recorded
 * as a skip. The message goes out even when the record could not be written; the error is then
 * thrown so the invocation is retried and the function's error alarm fires.
 */
export const respondTamper = async (event: unknown, deps: TamperDeps, requestId: string): Promise<TamperResult> => {
  let tamper: TamperEvent;
  try {
    tamper = parseTamperEvent(event);
  } catch (error) {
    const incidentId = tamperIncidentId(`invalid-${requestId}`);
    const reason = error instanceof Error ? error.message : String(error);
    const mode = await deps.mode().catch(() => 'off' as const);
    const stored = await deps.evidence.append(incidentId, {
      kind: 'skip',
      mode,
      trigger: { source: 'tamper', eventId: requestId },
      action: 'skip:invalid-event',
      reason,
      actor: deps.actor,
    });
    return { decision: 'skip', incidentId, reason, evidenceKey: stored.key };
  }
  const incidentId = tamperIncidentId(tamper.eventId);
  let modeNote: string | undefined;
  const mode = await deps.mode().catch((error: unknown) => {
    modeNote = `kill switch unreadable: ${errorMessage(error)}`;
    return 'off' as const;
  });
  let stored: StoredRecord | undefined;
  let failure: unknown;
  try {
    stored = await deps.evidence.append(incidentId, {
      kind: 'escalation',
      mode,
      trigger: { source: tamper.source, eventId: tamper.eventId },
      target: { type: 'cordon-resource', id: tamper.target, account: tamper.account, region: tamper.region },
      action: `tamper:${tamper.source.replace(/^aws\./, '')}:${tamper.eventName}`,
      reason: `${tamper.principal} changed Cordon: ${tamper.eventName} on ${tamper.target}${tamper.errorCode ? ` (refused: ${tamper.errorCode})` : ''}`,
      actor: deps.actor,
      detail: {
        principal: tamper.principal,
        ...(tamper.sourceIPAddress ? { sourceIPAddress: tamper.sourceIPAddress } : {}),
        ...(tamper.userAgent ? { userAgent: tamper.userAgent } : {}),
        ...(tamper.eventTime ? { eventTime: tamper.eventTime } : {}),
        ...(tamper.errorCode ? { errorCode: tamper.errorCode } : {}),
        ...(modeNote ? { mode: modeNote } : {}),
        requestParameters: tamper.requestParameters,
      },
    });
  } catch (error) {
    failure = error;
  }
  const { subject, message } = tamperMessage(tamper, stored ? { key: stored.key } : { error: errorMessage(failure) });
  await deps.publish(subject, message);
  if (failure !== undefined) throw failure;
  return { decision: 'escalate', incidentId, reason: subject, ...(stored ? { evidenceKey: stored.key } : {}) };
};
