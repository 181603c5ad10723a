import { EXIT, type CliIo } from './io';

export const NO_CREDENTIALS = 'no AWS credentials found: set AWS_PROFILE or run aws sso login';

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** Tells the user why an AWS call could not be made (credentials, region, network); exit 2. */
export const reportAwsFailure = (io: CliIo, exit: { code: number }, what: string, error: unknown): void => {
  const e = error instanceof Error ? error : new Error(String(error));
  if (CREDENTIAL_ERRORS.has(e.name)) io.stderr(`cordon: ${NO_CREDENTIALS} (${e.message})\n`);
  else if (/region is missing/i.test(e.message)) io.stderr('cordon: no AWS region: set AWS_REGION, a profile region, or --region\n');
  else io.stderr(`cordon: ${what} failed: ${e.name}: ${e.message}\n`);
  exit.code = EXIT.unusable;
};

/** What the responders return (isolation ResponseSummary / credentials RespondResult), loosely. */
export interface ResponderAnswer {
  readonly decision?: string;
  readonly reason?: string;
  readonly incidentId?: string;
  readonly instanceId?: string;
  readonly steps?: readonly { id?: string; action?: string; status?: string; error?: string; target?: { type?: string; id?: string } }[];
  readonly evidenceKeys?: readonly string[];
  readonly digest?: string;
  readonly matches?: readonly Record<string, unknown>[];
  readonly results?: readonly ResponderAnswer[];
}

const describeAnswer = (a: ResponderAnswer, indent = ''): string[] => {
  const lines = [
    `${indent}decision  ${(a.decision ?? '(none)').toUpperCase()}${a.reason ? ` — ${a.reason}` : ''}`,
    ...(a.incidentId ? [`${indent}incident  ${a.incidentId}${a.instanceId ? `  (${a.instanceId})` : ''}`] : []),
  ];
  for (const s of a.steps ?? []) {
    const target = s.target ? ` ${s.target.type ?? ''}/${s.target.id ?? ''}` : '';
    lines.push(`${indent}  step  ${(s.status ?? '').padEnd(9)} ${s.action ?? ''}${target}  ${s.id ?? ''}${s.error ? `  (${s.error})` : ''}`);
  }
  if (a.digest) {
    lines.push(`${indent}digest    ${a.digest}`);
    lines.push(`${indent}          to revoke these keys, send the same request with --confirm ${a.digest}`);
  }
  for (const m of a.matches ?? []) lines.push(`${indent}  match ${JSON.stringify(m)}`);
  for (const k of a.evidenceKeys ?? []) lines.push(`${indent}  evidence  ${k}`);
  return lines;
};

/** Prints a responder's answer under `heading` (the function or URL that gave it), or as JSON. */
export const printAnswer = (io: CliIo, heading: string, answer: unknown, json: boolean | undefined): void => {
  if (json) {
    io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
    return;
  }
  const a = (answer ?? {}) as ResponderAnswer;
  const lines = [heading, ...describeAnswer(a)];
  for (const r of a.results ?? []) lines.push('', ...describeAnswer(r, '  '));
  io.stdout(`${lines.join('\n')}\n`);
};
