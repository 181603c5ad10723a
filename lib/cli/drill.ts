import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DrillInputError, runDrill, type DrillReport, type EventOutcome } from '../drill/run';
import { EXIT, type CliIo } from './io';
import { summary as verifySummary } from './verify';

interface DrillFlags {
  readonly events?: string;
  readonly out?: string;
  readonly json?: boolean;
}

/** Plans of more than this many steps are shortened in the text output (use --json for all). */
const MAX_STEPS = 40;

export const formatEvent = (e: EventOutcome): string => {
  const why = e.responders.length === 0 && e.decision === 'skip' ? 'no responder takes this event' : e.reason;
  const lines = [`${e.file}`, `  decision  ${e.decision.toUpperCase()}${why ? ` — ${why}` : ''}`];
  for (const r of e.responders) {
    lines.push(`  ${r.responder.padEnd(11)} ${r.decision}${r.incidentId ? `  ${r.incidentId}` : ''}${r.reason || r.error ? `  (${r.error ?? r.reason})` : ''}`);
    for (const s of r.steps.slice(0, MAX_STEPS)) lines.push(`      plan  ${s.action.padEnd(48)} ${s.id}`);
    if (r.steps.length > MAX_STEPS) lines.push(`      plan  ... ${r.steps.length - MAX_STEPS} more`);
    for (const k of r.evidenceKeys) lines.push(`      evidence  ${k}`);
  }
  const reasons = new Set(e.declined.map((d) => d.reason));
  if (e.responders.length === 0 && e.declined.length > 1 && reasons.size === 1) lines.push(`  routing     ${[...reasons][0] ?? ''}`);
  else for (const d of e.declined) lines.push(`  ${d.responder.padEnd(11)} declined: ${d.reason}`);
  for (const m of e.mutations) lines.push(`  MUTATING CALL ATTEMPTED (refused): ${m.service}:${m.command}`);
  return `${lines.join('\n')}\n\n`;
};

export const formatTotals = (r: DrillReport): string => {
  const counts = Object.entries(r.counts)
    .map(([d, n]) => `${d} ${n}`)
    .join(', ');
  const perSecond = r.elapsedMs > 0 ? Math.round((r.events.length * 1000) / r.elapsedMs) : r.events.length;
  return [
    `${r.ok ? 'DRILL PASSED' : 'DRILL FAILED'}  ${r.events.length} events (${counts}) in ${r.elapsedMs} ms (${perSecond}/s)`,
    `  crashed ${r.crashed}, mutating calls attempted ${r.mutations}, checkpoint ${r.checkpointKey}`,
    `  evidence ${r.outDir}`,
    `  verify with: cordon verify ${r.outDir} --public-key ${r.publicKeyPath}`,
    '',
  ].join('\n');
};

export const registerDrill = (program: Command, io: CliIo, exit: { code: number }): void => {
  program
    .command('drill')
    .description(
      'replay events through the real responders in dry-run against a fake AWS that refuses every write, then verify the evidence (exit 0 ok, 1 a crash, a mutating call or bad evidence, 2 unusable input)',
    )
    .option('--events <dir>', 'folder of event files (*.json; *.world.json are optional facts beside them) (default: drill/scenarios)')
    .option('--out <dir>', 'evidence folder (default: a fresh temporary folder)')
    .option('--json', 'print the full report as JSON')
    .action(async (flags: DrillFlags) => {
      try {
        const outDir = flags.out ?? mkdtempSync(join(tmpdir(), 'cordon-drill-'));
        if (!flags.json) io.stdout(`cordon drill: dry-run, evidence in ${outDir}\n\n`);
        const report = await runDrill({
          ...(flags.events ? { eventsDir: flags.events } : {}),
          outDir,
          ...(flags.json ? {} : { onEvent: (e: EventOutcome) => io.stdout(formatEvent(e)) }),
        });
        if (flags.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        else {
          io.stdout(verifySummary(report.outDir, report.verify));
          io.stdout(formatTotals(report));
        }
        exit.code = report.ok ? EXIT.ok : EXIT.tampered;
      } catch (error) {
        if (!(error instanceof DrillInputError)) throw error;
        io.stderr(`cordon drill: ${error.message}\n`);
        exit.code = EXIT.unusable;
      }
    });
};
