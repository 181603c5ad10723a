import { CORPUS_HOME, evaluateCorpus, type CorpusResult } from '../../lib/authz/corpus';
import { authorizer } from '../../lib/authz/evaluate';
import { KNOWN_FAILURES } from '../../lib/authz/known';
import { MUST_DENY } from '../../lib/authz/must-deny';

/**
 * The must-deny corpus (lib/authz/must-deny.ts), evaluated by iam-simulate against the synthesized
 * templates with the guard SCP in force in the security account: each entry by every Cordon role
 * (and the security account's administrator where it concerns the vault or Cordon itself). The
 * principals allowed must be exactly the entry's KNOWN_FAILURES line (none today): a new hole
 * fails, and so does a closed one still listed.
 */

let results: CorpusResult[];
beforeAll(async () => {
  results = await evaluateCorpus(await authorizer(CORPUS_HOME));
});

describe('must-deny corpus', () => {
  it('covers the requests the issue lists, each evaluated by every Cordon role', () => {
    expect(MUST_DENY.map((e) => e.id)).toEqual(
      expect.arrayContaining([
        'inline-policy-on-admin-role',
        'attach-admin-to-org-access-role',
        'isolation-tag-on-existing-group',
        'change-user-data',
        'protected-instance-attribute',
        'delete-evidence',
        'overwrite-evidence',
        'shorten-evidence-retention',
        'sign-with-vault-key',
        'disable-signing-key',
        'delete-data-key',
        'flip-kill-switch',
        'change-session-revoker-definition',
        'delete-session-revoker',
        'retrust-session-revoker-role',
        'create-evidence-writer-role',
        'retrust-evidence-writer',
        'pass-evidence-writer-role',
        'replace-writer-code',
        'reconfigure-writer',
      ]),
    );
    const byEntry = new Map(results.map((r) => [r.entry.id, r.verdicts.map((v) => v.principal)]));
    expect(byEntry.get('flip-kill-switch')).toEqual(expect.arrayContaining(['isolation', 'credentials', 'checkpoint', 'auditor', 'member-isolation', 'member-credentials']));
    expect(byEntry.get('delete-evidence')).toContain('admin');
    expect(byEntry.get('sign-with-vault-key')).not.toContain('isolation');
    expect(results.every((r) => r.verdicts.every((v) => !v.explanation.startsWith('the simulator rejected')))).toBe(true);
  });

  it.each(MUST_DENY.map((e) => [e.id, e.what]))('refuses %s (%s) to every principal but its known failures', (id) => {
    const r = results.find((x) => x.entry.id === id)!;
    const unexpected = r.verdicts.filter((v) => v.allowed && !r.known.includes(v.principal)).map((v) => `${v.principal}: ${v.explanation}`);
    expect(unexpected).toEqual([]);
    // A known failure that is now refused must leave KNOWN_FAILURES, so the list stays honest.
    expect([...r.allowed].sort()).toEqual([...r.known].sort());
  });

  it('refuses every one of its 563 evaluations: no known failure is left', () => {
    const verdicts = results.flatMap((r) => r.verdicts);
    expect(verdicts).toHaveLength(563);
    expect(verdicts.filter((v) => v.allowed).map((v) => `${v.principal} ${v.action}`)).toEqual([]);
    expect(KNOWN_FAILURES).toEqual({});
  });

  it('is refused to the security account’s administrator by the guard SCP where no resource policy can refuse it', () => {
    const admin = (id: string) => results.find((r) => r.entry.id === id)!.verdicts.find((v) => v.principal === 'admin')!.explanation;
    expect(admin('change-session-revoker-definition')).toBe('denied by scp policy cordon-guard statement CordonSessionRevokerDefinition');
    expect(admin('delete-session-revoker')).toBe('denied by scp policy cordon-guard statement CordonSessionRevokerDefinition');
    expect(admin('create-evidence-writer-role')).toBe('denied by scp policy cordon-guard statement CordonEvidenceWriterPath');
    expect(admin('replace-writer-code')).toBe('denied by scp policy cordon-guard statement CordonFunctions');
    expect(admin('reconfigure-writer')).toBe('denied by scp policy cordon-guard statement CordonFunctions');
    for (const id of ['retrust-session-revoker-role', 'pass-session-revoker-role', 'retrust-evidence-writer', 'pass-evidence-writer-role']) {
      expect(admin(id)).toBe('denied by scp policy cordon-guard statement CordonRoles');
    }
  });

  it('refuses the session writers a document of their choosing because every way to run another definition is refused', () => {
    for (const id of ['inline-policy-on-admin-role', 'inline-policy-on-org-access-role', 'inline-policy-on-user']) {
      const verdicts = results.find((r) => r.entry.id === id)!.verdicts.filter((v) => v.principal === 'session-revoker' || v.principal === 'member-session-writer');
      expect(verdicts.map((v) => [v.principal, v.allowed])).toEqual([
        ['session-revoker', false],
        ['member-session-writer', false],
      ]);
      expect(verdicts[0]!.explanation).toMatch(
        /^refused as a document of its choosing: IAM allowed by identity policy SessionRevokerRoleDefaultPolicy[0-9A-F]+ statement WriteSessionDeny, but only the session revoker state machine runs with this role .* every way to run another is refused \(assume-session-revoker-role, retrust-session-revoker-role, pass-session-revoker-role, change-session-revoker-definition, delete-session-revoker\)$/,
      );
    }
  });

  it('names the deciding statement of a refusal', () => {
    const deny = results.find((r) => r.entry.id === 'delete-evidence')!.verdicts.find((v) => v.principal === 'admin')!;
    expect(deny.explanation).toMatch(/^denied by the resource policy of arn:aws:s3:::cordonevidence-evidencebucket[a-z0-9]+\/records\/inc-0\/00000000\.json statement DenyEvidenceDeletion$/);
  });

  it('lists only corpus entries as known failures, each with a reason', () => {
    for (const [id, known] of Object.entries(KNOWN_FAILURES)) {
      expect(MUST_DENY.some((e) => e.id === id)).toBe(true);
      expect(known.reason.length).toBeGreaterThan(20);
    }
  });
});
