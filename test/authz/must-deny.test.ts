import { CORPUS_HOME, evaluateCorpus, type CorpusResult } from '../../lib/authz/corpus';
import { authorizer } from '../../lib/authz/evaluate';
import { KNOWN_FAILURES } from '../../lib/authz/known';
import { MUST_DENY } from '../../lib/authz/must-deny';

/**
 * The must-deny corpus (lib/authz/must-deny.ts), evaluated by iam-simulate against the synthesized
 * templates: each entry by every Cordon role (and the security account's administrator where it
 * concerns the vault or Cordon itself). The principals allowed today must be exactly the entry's
 * KNOWN_FAILURES line: a new hole fails, and so does a closed one still listed.
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
