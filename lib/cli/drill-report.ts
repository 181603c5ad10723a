import type { DrillDecision, DrillReport, EventOutcome } from '../drill/run';

/**
 * The drill's text report: one block per event (unless --quiet), then a summary table — events by
 * decision and by finding type, steps, evidence records, time — and the verdict. Colour (ANSI)
 * only when asked, i.e. when stdout is a terminal and NO_COLOR is unset.
 */

/** Plans of more than this many steps are shortened in the text output (use --json for all). */
const MAX_STEPS = 40;

const COLOURS: Partial<Record<DrillDecision | 'passed' | 'failed', number>> = {
  act: 32,
  'dry-run': 36,
  escalate: 33,
  crash: 31,
  unrecognised: 31,
  'not-delivered': 90,
  skip: 90,
  passed: 32,
  failed: 31,
};

export type Paint = (text: string, kind: keyof typeof COLOURS | DrillDecision) => string;

export const painter = (colour: boolean): Paint => (text, kind) => {
  const code = COLOURS[kind];
  return colour && code !== undefined ? `\u001b[${code}m${text}\u001b[0m` : text;
};

const DECISION_ORDER: readonly DrillDecision[] = ['act', 'dry-run', 'preview', 'escalate', 'skip', 'refused', 'not-delivered', 'unrecognised', 'crash'];

export const formatEvent = (e: EventOutcome, paint: Paint = painter(false)): string => {
  const lines = [`${e.file}`, `  decision  ${paint(e.decision.toUpperCase(), e.decision)}${e.reason ? ` — ${e.reason}` : ''}`];
  if (e.note) lines.push(`  input     ${e.note}`);
  if (e.deliveredBy.length > 0) lines.push(`  delivered ${e.deliveredBy.join(', ')}`);
  for (const r of e.responders) {
    lines.push(`  ${r.responder.padEnd(11)} ${r.decision}${r.incidentId ? `  ${r.incidentId}` : ''}${r.reason || r.error ? `  (${r.error ?? r.reason})` : ''}`);
    for (const s of r.steps.slice(0, MAX_STEPS)) lines.push(`      plan  ${s.action.padEnd(48)} ${s.id}`);
    if (r.steps.length > MAX_STEPS) lines.push(`      plan  ... ${r.steps.length - MAX_STEPS} more`);
    for (const k of r.evidenceKeys) lines.push(`      evidence  ${k}`);
  }
  if (e.assumed.length > 0) {
    lines.push('  assumed   no world file (docs/drill.md), so the world takes for granted:');
    for (const a of e.assumed) lines.push(`            ${a}`);
  }
  for (const m of e.mutations) lines.push(`  MUTATING CALL ATTEMPTED (refused): ${m.service}:${m.command}`);
  for (const d of e.denied) lines.push(`  UNAUTHORIZED: ${d}`);
  return `${lines.join('\n')}\n\n`;
};

const decisionsText = (counts: Partial<Record<DrillDecision, number>>): string =>
  DECISION_ORDER.filter((d) => counts[d]).map((d) => `${d} ${counts[d]}`).join(', ');

/** The summary table and the verdict. */
export const formatSummary = (r: DrillReport, paint: Paint = painter(false)): string => {
  const seconds = (r.elapsedMs / 1000).toFixed(1);
  const perSecond = r.elapsedMs > 0 ? Math.round((r.events.length * 1000) / r.elapsedMs) : r.events.length;
  const lines = ['SUMMARY', `  config             ${r.configSource}`, '', '  decision           events'];
  for (const d of DECISION_ORDER) if (r.counts[d]) lines.push(`  ${paint(d.padEnd(18), d)} ${String(r.counts[d]).padStart(6)}`);
  lines.push(`  ${'total'.padEnd(18)} ${String(r.events.length).padStart(6)}`, '');
  const types = Object.entries(r.byType).sort(([a, x], [b, y]) => total(y) - total(x) || a.localeCompare(b, 'en'));
  const width = Math.min(60, Math.max(18, ...types.map(([t]) => t.length)));
  lines.push(`  ${'finding type'.padEnd(width)} events  decisions`);
  for (const [type, counts] of types) lines.push(`  ${type.padEnd(width)} ${String(total(counts)).padStart(6)}  ${decisionsText(counts)}`);
  lines.push(
    '',
    `  steps planned      ${r.steps}`,
    `  evidence records   ${r.verify.records} in ${r.verify.incidents} incidents, ${r.verify.checkpoints} checkpoint(s), ${r.verify.ok ? 'verified' : 'NOT VERIFIED'}`,
    `  time               ${seconds} s (${perSecond} events/s)`,
    r.authorization.unavailable
      ? `  authorization      ${r.authorization.unavailable}`
      : `  authorization      ${r.authorization.evaluated} IAM requests evaluated against the synthesized policies, ${r.denied} refused${assumedDeployment(r)}`,
    '',
  );
  const failures = [
    ...(r.crashed ? [`${r.crashed} crashed`] : []),
    ...(r.mutations ? [`${r.mutations} mutating call(s) attempted`] : []),
    ...(r.denied ? [`${r.denied} call(s) the synthesized policies refuse (UNAUTHORIZED above)`] : []),
    ...(!r.verify.ok ? ['the evidence does not verify'] : []),
    ...(r.anchor.status === 'failed' || !r.anchor.evidenced ? [`the checkpoint's anchor copy failed (${r.anchor.error ?? r.anchor.status})`] : []),
    ...(r.unrecognised && !r.allowUnknown ? [`${r.unrecognised} unrecognised input(s) (--allow-unknown to accept them)`] : []),
  ];
  lines.push(
    r.passed ? paint('DRILL PASSED', 'passed') : `${paint('DRILL FAILED', 'failed')}: ${failures.join(', ')}`,
    `  crashed ${r.crashed}, mutating calls attempted ${r.mutations}, unauthorized calls ${r.denied}, unrecognised ${r.unrecognised}${r.allowUnknown ? ' (allowed)' : ''}, checkpoint ${r.checkpointKey}`,
    `  evidence ${r.outDir}`,
    `  anchor ${r.anchorDir} (${r.anchor.key} ${r.anchor.status})`,
    `  verify with: cordon verify ${r.outDir} --public-key ${r.publicKeyPath} --anchor ${r.anchorDir}`,
    '',
  );
  return lines.join('\n');
};

/** What the authorization check took for granted about the deployment (accounts and regions the config does not list). */
const assumedDeployment = (r: DrillReport): string => {
  const { assumedMembers: accounts, assumedRegions: regions } = r.authorization;
  const parts = [
    ...(accounts.length > 0 ? [`an organization with member account(s) ${accounts.join(', ')}`] : []),
    ...(regions.length > 0 ? [`region(s) ${regions.join(', ')}`] : []),
  ];
  return parts.length > 0 ? `; assumed in the config: ${parts.join(' and ')} (the events come from there)` : '';
};

const total = (counts: Partial<Record<DrillDecision, number>>): number => Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
