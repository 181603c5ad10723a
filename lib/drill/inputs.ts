import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUARDDUTY_FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE, looksLikeGuardDutyFinding } from '../../lambdas/findings/guardduty';
import { SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE, SECURITYHUB_SOURCE } from '../../lambdas/findings/securityhub';
import { sidecarSchema, type Sidecar } from './facts';

/**
 * What the drill replays, read from a folder: each `*.json` holds one event, a JSON array of them,
 * or a `get-findings` export (`{"Findings": [...]}`, GuardDuty's PascalCase or Security Hub's
 * ASFF). Each item becomes what EventBridge would deliver: an envelope as it is; a GuardDuty
 * finding (bare, `{region, detail}`, or PascalCase from the API) wrapped as a `GuardDuty Finding`
 * event; an ASFF finding wrapped as `Security Hub Findings - Imported`; a manual payload
 * (`{action, ...}`) as it is, since it is sent to the function directly. Anything else is
 * unrecognised and counted apart. Malformed JSON is bad input: the drill stops before it starts.
 */

/** Bad input: no events folder, malformed JSON, an invalid world file (exit 2). */
export class DrillInputError extends Error {
  override readonly name = 'DrillInputError';
}

export type InputKind = 'event' | 'manual' | 'unrecognised';

export interface DrillInput {
  /** `file.json`, or `file.json[3]` for the fourth item of an array or export. */
  readonly name: string;
  readonly file: string;
  readonly kind: InputKind;
  /** The event as EventBridge (or the caller of a manual request) would deliver it. */
  readonly event: unknown;
  /** The finding type or event kind, for the summary: `Backdoor:EC2/C&CActivity.B`, `AWS_RISK_CREDENTIALS_EXPOSED`, ... */
  readonly label: string;
  /** What was done to the item to make it an event (`wrapped a GuardDuty API finding`), if anything. */
  readonly note?: string;
  /** The facts of `<file>.world.json`; undefined when there is none (facts are then assumed). */
  readonly sidecar?: Sidecar;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** GuardDuty's API (and `aws guardduty get-findings`) spells fields in PascalCase; EventBridge in camelCase. */
const camelize = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(camelize);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camelize(v)]));
};

const isPascalGuardDuty = (v: Record<string, unknown>): boolean =>
  typeof v.Type === 'string' && typeof v.Id === 'string' && typeof v.Arn === 'string' && v.Arn.includes(':guardduty:');

const isAsff = (v: Record<string, unknown>): boolean => typeof v.ProductArn === 'string' && typeof v.AwsAccountId === 'string';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const guardDutyEvent = (finding: Record<string, unknown>, region?: string) => ({
  version: '0',
  id: str(finding.id) ?? 'drill',
  'detail-type': GUARDDUTY_FINDING_DETAIL_TYPE,
  source: GUARDDUTY_SOURCE,
  account: str(finding.accountId) ?? '',
  time: str(finding.updatedAt) ?? str(finding.createdAt) ?? '',
  region: region ?? str(finding.region) ?? '',
  resources: [],
  detail: finding,
});

const labelOf = (event: Record<string, unknown>): string => {
  const detail = isRecord(event.detail) ? event.detail : {};
  if (event.source === GUARDDUTY_SOURCE && typeof detail.type === 'string') return detail.type;
  if (event.source === 'aws.health' && typeof detail.eventTypeCode === 'string') return detail.eventTypeCode;
  if (event.source === SECURITYHUB_SOURCE && event['detail-type'] === SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE) {
    return `Security Hub custom action ${str(detail.actionName) ?? ''}`.trim();
  }
  return `${String(event.source)} / ${String(event['detail-type'])}`;
};

/** One item of a file, as the deployment would receive it. */
export const normalize = (item: unknown): Pick<DrillInput, 'kind' | 'event' | 'label' | 'note'> => {
  if (isRecord(item) && typeof item.source === 'string' && typeof item['detail-type'] === 'string' && 'detail' in item) {
    return { kind: 'event', event: item, label: labelOf(item) };
  }
  if (isRecord(item) && typeof item.action === 'string' && !('source' in item) && !('detail' in item)) {
    return { kind: 'manual', event: item, label: `manual ${item.action}` };
  }
  if (isRecord(item) && isPascalGuardDuty(item)) {
    const event = guardDutyEvent(camelize(item) as Record<string, unknown>);
    return { kind: 'event', event, label: labelOf(event), note: 'a GuardDuty API finding (PascalCase), sent as the GuardDuty Finding event EventBridge delivers' };
  }
  if (isRecord(item) && !('source' in item) && isRecord(item.detail) && looksLikeGuardDutyFinding(item.detail)) {
    const event = guardDutyEvent(item.detail, str(item.region));
    return { kind: 'event', event, label: labelOf(event), note: 'a partial envelope, sent as the GuardDuty Finding event EventBridge delivers' };
  }
  if (looksLikeGuardDutyFinding(item)) {
    const event = guardDutyEvent(item as Record<string, unknown>);
    return { kind: 'event', event, label: labelOf(event), note: 'a bare GuardDuty finding, sent as the GuardDuty Finding event EventBridge delivers' };
  }
  if (isRecord(item) && isAsff(item)) {
    const event = {
      version: '0',
      id: str(item.Id) ?? 'drill',
      'detail-type': 'Security Hub Findings - Imported',
      source: SECURITYHUB_SOURCE,
      account: item.AwsAccountId,
      time: str(item.UpdatedAt) ?? '',
      region: str(item.Region) ?? '',
      resources: [],
      detail: { findings: [item] },
    };
    return { kind: 'event', event, label: labelOf(event), note: 'a Security Hub (ASFF) finding, sent as the Security Hub Findings - Imported event' };
  }
  return { kind: 'unrecognised', event: item, label: '(unrecognised)' };
};

const parseJson = (path: string): unknown => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DrillInputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DrillInputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
};

const readSidecar = (dir: string, file: string): Sidecar | undefined => {
  const path = join(dir, file.replace(/\.json$/, '.world.json'));
  if (!existsSync(path)) return undefined;
  const parsed = sidecarSchema.safeParse(parseJson(path));
  if (!parsed.success) throw new DrillInputError(`invalid world file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
};

/** Every input of `files` in `dir`, all read and checked before the drill writes anything. */
export const readInputs = (dir: string, files: readonly string[]): DrillInput[] =>
  files.flatMap((file) => {
    const content = parseJson(join(dir, file));
    const sidecar = readSidecar(dir, file);
    const items = Array.isArray(content) ? content : isRecord(content) && Array.isArray(content.Findings) ? content.Findings : undefined;
    const base = { file, ...(sidecar ? { sidecar } : {}) };
    if (items === undefined) return [{ ...base, name: file, ...normalize(content) }];
    if (items.length === 0) throw new DrillInputError(`${join(dir, file)} holds no events (an empty list)`);
    return items.map((item, i) => ({ ...base, name: `${file}[${i}]`, ...normalize(item) }));
  });
