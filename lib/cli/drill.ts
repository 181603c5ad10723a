import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { deploymentOf, loadDrillConfig } from '../drill/deployment';
import { DRILL_ACCOUNT, DRILL_REGION, DrillInputError, runDrill, type EventOutcome } from '../drill/run';
import { formatEvent, formatSummary, painter } from './drill-report';
import { EmulatorUnavailableError } from '../drill/emulator/moto';
import { formatEmulatorTotals, formatScenario } from '../drill/emulator/report';
import { runEmulatorDrill } from '../drill/emulator/run';
import { EXIT, type CliIo } from './io';
import { summary as verifySummary } from './verify';

export { formatEvent, formatSummary } from './drill-report';

interface DrillFlags {
  readonly events?: string;
  readonly out?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly config?: string;
  readonly allowUnknown?: boolean;
  readonly emulator?: boolean;
}

/** Progress on stderr, overwriting one line; only where stderr is a terminal. */
const progress = (io: CliIo) => {
  let last = 0;
  return {
    tick: (index: number, count: number) => {
      const now = Date.now();
      if (index + 1 < count && now - last < 200) return;
      last = now;
      io.stderr(`\rcordon drill: ${index + 1}/${count} events`);
    },
    done: () => io.stderr('\r\u001b[K'),
  };
};

/** `--emulator`: the enforce drill on moto (lib/drill/emulator/). */
const emulatorDrill = async (flags: DrillFlags, io: CliIo, exit: { code: number }): Promise<void> => {
  if (flags.events || flags.out) {
    io.stderr('cordon drill --emulator: runs the shipped scenarios (drill/scenarios) and keeps its evidence in the emulator; --events and --out do not apply\n');
    exit.code = EXIT.unusable;
    return;
  }
  try {
    if (!flags.json) io.stdout('cordon drill --emulator: enforce mode against moto over HTTP\n\n');
    const report = await runEmulatorDrill({
      ...(flags.json ? {} : { onScenario: (s) => io.stdout(formatScenario(s)) }),
    });
    io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatEmulatorTotals(report));
    exit.code = report.ok ? EXIT.ok : EXIT.tampered;
  } catch (error) {
    if (!(error instanceof EmulatorUnavailableError)) throw error;
    io.stderr(`cordon drill --emulator: ${error.message}\n`);
    exit.code = EXIT.unusable;
  }
};

export const registerDrill = (program: Command, io: CliIo, exit: { code: number }): void => {
  program
    .command('drill')
    .description(
      'replay events as the deployment receives them: through the routing rules of the config, then the real responders in dry-run against a fake AWS that refuses every write; then verify the evidence (exit 0 ok, 1 a crash, a mutating call, an unrecognised input or bad evidence, 2 unusable input)',
    )
    .option('--events <dir>', 'folder of *.json inputs: events, JSON arrays of them, get-findings exports; *.world.json beside them are facts (docs/drill.md) (default: drill/scenarios)')
    .option('--out <dir>', 'evidence folder (default: a fresh temporary folder)')
    .option('--config <file>', 'the cdk.json (or a bare cordon JSON object) whose routing and function settings to drill with (default: ./cdk.json, else the defaults)')
    .option('--allow-unknown', 'count unrecognised inputs without failing the drill')
    .option('--quiet', 'print only the summary')
    .option('--json', 'print the full report as JSON')
    .option('--emulator', "enforce mode against moto (pip install 'moto[server]==5.2.1'): seed the world, act, assert the emulator's state, verify the evidence bucket")
    .action(async (flags: DrillFlags) => {
      if (flags.emulator) return emulatorDrill(flags, io, exit);
      try {
        const { config, source } = loadDrillConfig(flags.config);
        const deployment = deploymentOf(config, source, { account: DRILL_ACCOUNT, region: DRILL_REGION });
        const outDir = flags.out ?? mkdtempSync(join(tmpdir(), 'cordon-drill-'));
        const paint = painter(io.colour === true);
        const text = !flags.json;
        const bar = io.interactive ? progress(io) : undefined;
        // Printed with the first event: bad input (checked before any event) prints one line only.
        let header = text && !flags.quiet;
        const report = await runDrill({
          ...(flags.events ? { eventsDir: flags.events } : {}),
          outDir,
          deployment,
          allowUnknown: flags.allowUnknown === true,
          onEvent: (e: EventOutcome, index: number, count: number) => {
            if (header) io.stdout(`cordon drill: dry-run, config ${source}, evidence in ${outDir}\n\n`);
            header = false;
            if (text && !flags.quiet) io.stdout(formatEvent(e, paint));
            bar?.tick(index, count);
          },
        });
        bar?.done();
        if (flags.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        else {
          if (!flags.quiet) io.stdout(verifySummary(report.outDir, report.verify));
          io.stdout(formatSummary(report, paint));
        }
        exit.code = report.passed ? EXIT.ok : EXIT.tampered;
      } catch (error) {
        if (!(error instanceof DrillInputError)) throw error;
        io.stderr(`cordon drill: ${error.message}\n`);
        exit.code = EXIT.unusable;
      }
    });
};
