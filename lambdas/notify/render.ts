import type { TargetRef } from '../evidence/types';
import type { IncidentDecision } from './decision';

/** How a decision reads: the Security Hub note, the SNS subject, e-mail, chat and JSON messages (pure). */

export const NOTE_MAX = 512;
const SUBJECT_MAX = 100;

/**
 * The workflow status written back: `NOTIFIED` (a person still has to investigate), and
 * `RESOLVED` only for a fully successful containment when the deployment asks for it
 * (`notifications.resolveContainedFindings`): containment is not investigation.
 */
export const workflowStatusOf = (d: IncidentDecision, resolveContained = false): 'RESOLVED' | 'NOTIFIED' =>
  resolveContained && d.decision === 'act' && d.steps.length > 0 && d.steps.every((s) => s.status === 'succeeded') ? 'RESOLVED' : 'NOTIFIED';

const count = (d: IncidentDecision, status: string): number => d.steps.filter((s) => s.status === status).length;

const stepLine = (d: IncidentDecision): string => {
  if (d.steps.length === 0) return 'no step run';
  const failed = d.steps.filter((s) => s.status === 'failed').length;
  const parts = [`${count(d, 'succeeded')} of ${d.steps.length} steps succeeded`];
  if (failed) parts.push(`${failed} failed`);
  const other = d.steps.length - count(d, 'succeeded') - failed;
  if (other) parts.push(`${other} ${d.decision === 'dry-run' ? 'planned' : 'not run'}`);
  return parts.join(', ');
};

const targetText = (t: TargetRef | undefined): string =>
  t ? `${t.type} ${t.id}${t.account ? ` in ${t.account}` : ''}${t.region ? `/${t.region}` : ''}` : 'no target';

const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

/** The Security Hub note: decision and evidence keys, at most 512 characters. */
export const noteText = (d: IncidentDecision): string => {
  const head = `cordon ${d.responder}: ${d.decision}${d.reason ? ` (${d.reason})` : ''}; ${stepLine(d)}; incident ${d.incidentId}; evidence:`;
  let text = head;
  for (const [i, key] of d.evidenceKeys.entries()) {
    const more = d.evidenceKeys.length - i - 1;
    const next = `${text} ${key}${more ? ',' : ''}`;
    const tail = more ? ` +${more} more` : '';
    if (next.length + tail.length > NOTE_MAX) {
      return truncate(`${text} +${d.evidenceKeys.length - i} more`, NOTE_MAX);
    }
    text = next;
  }
  if (d.evidenceKeys.length === 0) text = `${text} none`;
  return truncate(text, NOTE_MAX);
};

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
export const subjectOf = (d: IncidentDecision): string =>
  truncate(`Cordon ${d.decision}: ${d.responder} ${d.target?.id ?? d.incidentId}`.replace(/[^\x20-\x7e]/g, '?'), SUBJECT_MAX);

/** The e-mail body: readable without any tool. */
export const emailText = (d: IncidentDecision): string =>
  [
    `Decision: ${d.decision}${d.reason ? ` (${d.reason})` : ''}`,
    `Responder: ${d.responder} (mode ${d.mode})`,
    `Target: ${targetText(d.target)}`,
    `Trigger: ${d.trigger.source}${d.trigger.findingType ? ` ${d.trigger.findingType}` : ''}${d.trigger.findingId ? ` finding ${d.trigger.findingId}` : ''}${d.trigger.severity !== undefined ? ` severity ${d.trigger.severity}` : ''}`,
    ...(d.requestedBy ? [`Requested by: ${d.requestedBy}`] : []),
    `Incident: ${d.incidentId}`,
    `Steps: ${stepLine(d)}`,
    ...d.steps.map((s) => `  ${s.status.padEnd(9)} ${s.action} ${s.id}${s.error ? `: ${s.error}` : ''}`),
    `Evidence (${d.evidenceKeys.length} records):`,
    ...d.evidenceKeys.map((k) => `  ${k}`),
  ].join('\n');

/** AWS Chatbot custom notification (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). */
export const chatbotMessage = (d: IncidentDecision): Record<string, unknown> => ({
  version: '1.0',
  source: 'custom',
  id: d.incidentId,
  content: {
    textType: 'client-markdown',
    title: subjectOf(d),
    description: truncate(
      [
        `*${d.decision}*${d.reason ? ` (${d.reason})` : ''} on ${targetText(d.target)}, mode ${d.mode}`,
        `${stepLine(d)}${d.steps.some((s) => s.status === 'failed') ? `; failed: ${d.steps.filter((s) => s.status === 'failed').map((s) => s.id).join(', ')}` : ''}`,
        `incident \`${d.incidentId}\`, ${d.evidenceKeys.length} evidence records`,
      ].join('\n'),
      8000,
    ),
    keywords: [d.responder, d.decision],
  },
  metadata: { threadId: d.incidentId, summary: subjectOf(d), eventType: 'cordon-decision' },
});

/** The machine-readable message other subscribers (SQS, Lambda) receive. */
export const decisionJson = (d: IncidentDecision): Record<string, unknown> => ({
  kind: 'cordon-decision',
  responder: d.responder,
  incidentId: d.incidentId,
  decision: d.decision,
  ...(d.reason ? { reason: d.reason } : {}),
  mode: d.mode,
  trigger: d.trigger,
  ...(d.target ? { target: d.target } : {}),
  ...(d.requestedBy ? { requestedBy: d.requestedBy } : {}),
  steps: d.steps,
  evidenceKeys: d.evidenceKeys,
  workflowStatus: workflowStatusOf(d),
});

/** The exact SNS Publish input for a decision: one message, rendered per protocol. */
export const publishInput = (topicArn: string, d: IncidentDecision) => ({
  TopicArn: topicArn,
  Subject: subjectOf(d),
  MessageStructure: 'json',
  Message: JSON.stringify({
    default: JSON.stringify(decisionJson(d)),
    email: emailText(d),
    https: JSON.stringify(chatbotMessage(d)),
  }),
  MessageAttributes: {
    decision: { DataType: 'String', StringValue: d.decision },
    responder: { DataType: 'String', StringValue: d.responder },
    incidentId: { DataType: 'String', StringValue: d.incidentId },
  },
});
