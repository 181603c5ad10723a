import { evaluateCalls, type CallVerdict } from '../../lib/authz/calls';
import { CORPUS_HOME } from '../../lib/authz/corpus';
import { authorizer } from '../../lib/authz/evaluate';
import { KNOWN_DENIALS, knownDenial } from '../../lib/authz/known';
import { DENIED_BY_DESIGN, REQUIRED_CONFIGURED, requiredCalls } from '../../lib/authz/required';

/**
 * The declared required calls (lib/authz/required.ts) of every Cordon principal are allowed by the
 * synthesized policies, except exactly the known denials left to issue 11.
 */

let verdicts: CallVerdict[];
let byDesign: CallVerdict[];
beforeAll(async () => {
  const authz = await authorizer(CORPUS_HOME);
  verdicts = await evaluateCalls(authz, requiredCalls(authz), { configured: REQUIRED_CONFIGURED });
  byDesign = await evaluateCalls(authz, requiredCalls(authz, DENIED_BY_DESIGN), { configured: REQUIRED_CONFIGURED });
});

describe('required calls', () => {
  it('allows every required call', () => {
    const refused = verdicts.filter((v) => !v.allowed).map((v) => `${v.principal} ${v.call}: ${v.action} on ${v.resource}: ${v.explanation}`);
    expect(refused).toEqual([]);
  });

  it('knows no denial any more, and the isolation roles may not put an application profile back (release lists it instead)', () => {
    expect(KNOWN_DENIALS).toEqual([]);
    expect(byDesign.map((v) => [v.principal, v.action, v.allowed, knownDenial(v)?.id])).toEqual([
      ['isolation', 'ec2:AssociateIamInstanceProfile', false, undefined],
      ['isolation', 'iam:PassRole', false, undefined],
      ['member-isolation', 'ec2:AssociateIamInstanceProfile', false, undefined],
      ['member-isolation', 'iam:PassRole', false, undefined],
    ]);
  });

  it('evaluates each principal’s evidence and member access with the deployed resources', () => {
    const put = verdicts.filter((v) => v.principal === 'checkpoint' && v.action === 's3:PutObject').map((v) => [v.resource, v.explanation]);
    expect(put[0]?.[0]).toMatch(/^arn:aws:s3:::cordonevidence-evidencebucket[a-z0-9]+\/checkpoints\/00000001\.json$/);
    // Cross-account: the anchor's bucket policy in the log-archive account must admit the writer too.
    expect(put[1]).toEqual(['arn:aws:s3:::cordon-anchor-444455556666/checkpoints/00000001.json', expect.stringMatching(/^allowed by identity policy .* and the resource policy statement /)]);
    expect(verdicts.filter((v) => v.action === 'sts:AssumeRole').map((v) => [v.principal, v.resource, v.allowed])).toEqual([
      ['isolation', 'arn:aws:iam::222222222222:role/CordonMemberIsolation', true],
      ['credentials', 'arn:aws:iam::222222222222:role/CordonMemberCredentials', true],
      ['session-revoker', 'arn:aws:iam::222222222222:role/CordonMemberSessionRevoker', true],
    ]);
    // The credential function starts the state machine and writes no policy document itself.
    expect(verdicts.filter((v) => v.action === 'states:StartSyncExecution').map((v) => [v.principal, v.resource, v.allowed])).toEqual([
      ['credentials', expect.stringMatching(/^arn:aws:states:eu-west-1:111111111111:stateMachine:/), true],
    ]);
    expect(verdicts.filter((v) => /^iam:Put(User|Role)Policy$/.test(v.action)).map((v) => v.principal)).toEqual([
      'session-revoker',
      'session-revoker',
      'member-session-writer',
      'member-session-writer',
    ]);
  });
});
