import type { EmulatorAuthorization } from './authorize';
import type { EmulatorDrillReport, ScenarioReport } from './run';

/** Text output of `cordon drill --emulator`: per scenario, what was asserted and what failed. */

const MAX_LISTED = 12;

/** `N IAM requests evaluated against the synthesized policies, R refused` (+ known denials). */
export const authorizationLine = (a: EmulatorAuthorization): string =>
  a.unavailable ??
  `${a.evaluated} IAM requests evaluated against the synthesized policies, ${a.refused.length} refused` +
    (a.known.length ? `; ${a.known.length} known denial(s) left to issue 11: ${[...new Set(a.known)].join('; ')}` : '');

export const formatScenario = (s: ScenarioReport): string => {
  const failed = s.judgement.checks.filter((c) => !c.ok);
  const lines = [
    `${s.ok ? 'PASS' : 'FAIL'}  ${s.name}  (${s.responder}, account ${s.account}, ${s.elapsedMs} ms)`,
    `  decision  ${s.decision.toUpperCase()}${s.reason ? ` — ${s.reason}` : ''}${s.incidentId ? `  ${s.incidentId}` : ''}`,
  ];
  if (s.error) lines.push(`  error     ${s.error}`);
  for (const n of s.notes) lines.push(`  world     ${n}`);
  lines.push(`  steps     ${s.steps.length} (${s.steps.filter((x) => x.status === 'succeeded').length} succeeded), evidence records ${s.evidenceKeys.length}`);
  lines.push(`  authz     ${authorizationLine(s.authorization)}`);
  for (const d of s.authorization.refused) lines.push(`    UNAUTHORIZED: ${d}`);
  lines.push(`  asserted  ${s.judgement.checks.length - failed.length}/${s.judgement.checks.length} outcomes; ${s.judgement.claimed.length} state changes, all expected: ${s.judgement.unexpected.length === 0 ? 'yes' : 'NO'}`);
  for (const c of s.judgement.checks) if (c.ok) lines.push(`      ok    ${c.what}`);
  for (const c of failed) lines.push(`    FAILED  ${c.what}${c.detail ? `: ${c.detail.split('\n')[0] ?? ''}` : ''}`);
  for (const u of s.judgement.unexpected.slice(0, MAX_LISTED)) lines.push(`    UNEXPECTED CHANGE  ${u.path}: ${JSON.stringify(u.before)} -> ${JSON.stringify(u.after)}`);
  if (s.judgement.unexpected.length > MAX_LISTED) lines.push(`    ... ${s.judgement.unexpected.length - MAX_LISTED} more unexpected changes (use --json)`);
  return `${lines.join('\n')}\n\n`;
};

export const formatEmulatorTotals = (r: EmulatorDrillReport): string => {
  const passed = r.scenarios.filter((s) => s.ok).length;
  const t = r.timings;
  const a = r.authorization;
  return [
    `authorization  ${authorizationLine(a)}; ${a.harnessCalls} harness calls (seeding, reading state back, vault set-up, checkpoint, verify) not evaluated: not Cordon's responders'`,
    ...Object.entries(a.byPrincipal).map(([p, n]) => `  as ${p.padEnd(22)} ${n} requests`),
    ...a.refused.slice(0, MAX_LISTED).map((d) => `  UNAUTHORIZED: ${d}`),
    `evidence  s3://${r.bucket}: ${r.verify.ok ? 'VALID' : 'TAMPERED'}, ${r.verify.records} records, ${r.verify.checkpoints} checkpoints, ${r.signatures} KMS signatures (${r.keyArn})`,
    ...r.verify.problems.slice(0, MAX_LISTED).map((p) => `  ${p.code.padEnd(14)} ${p.key ?? p.chain ?? ''}  ${p.message}`),
    `${r.ok ? 'EMULATOR DRILL PASSED' : 'EMULATOR DRILL FAILED'}  ${passed}/${r.scenarios.length} scenarios in enforce mode on moto (${r.endpoint}, pid ${r.pid}, stopped)`,
    `  ${t.totalMs} ms: moto start ${t.startMs}, seed ${t.seedMs}, scenarios ${t.scenariosMs}, checkpoint + verify ${t.verifyMs}`,
    '',
  ].join('\n');
};
