import type { RoleFacts } from '../../lib/authz/model';
import type { Json } from '../../lib/authz/resolve';
import { MOTO_INSTALL, motoInstalled } from '../../lib/drill/emulator/moto';
import { formatEmulatorTotals, formatScenario } from '../../lib/drill/emulator/report';
import { EMULATOR_HOME_ACCOUNT, runEmulatorDrill, type EmulatorDrillReport } from '../../lib/drill/emulator/run';
import { EMULATOR_SCENARIOS } from '../../lib/drill/emulator/scenarios';

/**
 * The emulator drill's authorization check fails the drill on a call the policies refuse: the
 * isolation scenario runs on moto with a stand-in for the isolation function's synthesized
 * policies that lacks one action it needs. Runs where moto is installed; elsewhere one line says so.
 */

const HAS_MOTO = motoInstalled();
if (!HAS_MOTO) console.log(`emulator authorization test skipped: moto is not installed here (${MOTO_INSTALL} to run it)`);

const MISSING = 'ec2:ModifyNetworkInterfaceAttribute';

/** The role without `action` in any Allow statement that lists it (a statement with only it goes). */
const without =
  (principal: string, action: string) =>
  (role: RoleFacts): RoleFacts => {
    if (role.name !== principal) return role;
    const drop = (st: Json): Json[] => {
      const s = st as { Effect?: string; Action?: string | string[] };
      if (s.Effect !== 'Allow' || s.Action === undefined) return [st];
      const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a !== action);
      return actions.length === 0 ? [] : [{ ...(st as object), Action: actions } as Json];
    };
    return { ...role, policies: role.policies.map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.flatMap(drop) } })) };
  };

if (HAS_MOTO) describe('cordon drill --emulator: authorization of every call', () => {
  let report: EmulatorDrillReport;

  beforeAll(async () => {
    report = await runEmulatorDrill({ scenarios: [EMULATOR_SCENARIOS[0]!], standIn: without('isolation', MISSING) });
  }, 180_000);

  it('rejects the drill when the isolation function may not make a call it sends, naming call, principal and missing allow', () => {
    expect(report.ok).toBe(false);
    const [scenario] = report.scenarios;
    expect(scenario?.ok).toBe(false);
    expect(scenario?.authorization.refused.length).toBeGreaterThan(0);
    for (const line of scenario?.authorization.refused ?? []) {
      expect(line).toMatch(
        new RegExp(
          `^call #\\d+ ec2:ModifyNetworkInterfaceAttribute by isolation \\(arn:aws:iam::${EMULATOR_HOME_ACCOUNT}:role/[^)]+\\): ${MISSING} on arn:aws:ec2:eu-west-1:${EMULATOR_HOME_ACCOUNT}:(network-interface/eni-|security-group/sg-)\\w+ would be refused: no identity policy statement of isolation allows it$`,
        ),
      );
    }
    // Every ENI's modification was refused, the allow-all and the isolation group alike.
    expect(scenario?.authorization.refused.some((l) => l.includes(':network-interface/eni-'))).toBe(true);
    expect(report.authorization.refused).toEqual(scenario?.authorization.refused);
  });

  it('reports the failed authorization check among the scenario’s outcomes and prints each refusal', () => {
    const scenario = report.scenarios[0]!;
    const failed = scenario.judgement.checks.filter((c) => !c.ok).map((c) => c.what);
    expect(failed).toEqual([expect.stringMatching(/^every AWS call authorized by the synthesized policies of the principal that sent it \(\d+ requests\)$/)]);
    const text = formatScenario(scenario) + formatEmulatorTotals(report);
    expect(text).toMatch(/^ {2}authz {5}\d+ IAM requests evaluated against the synthesized policies, [1-9]\d* refused$/m);
    expect(text).toMatch(/^ {4}UNAUTHORIZED: call #\d+ ec2:ModifyNetworkInterfaceAttribute by isolation /m);
    expect(text).toMatch(/^EMULATOR DRILL FAILED {2}0\/1 scenarios/m);
  });
});
