import type { MustDeny } from './corpus-context';

/** Must-deny entries about Cordon itself: its session revoker, its writers, its URLs, its kill switch. */
export const CORDON_ENTRIES: readonly MustDeny[] = [
  // The session revoker's confinement (lib/authz/confined.ts). Its role and the member session
  // writer may Put*Policy with any document as far as IAM goes (the inline-policy entries); what
  // fixes the document is that only this state machine's definition ever runs with them. These
  // entries check each way around that: assuming either role directly, giving the role another
  // trust, running another definition with the role, changing this one's definition, deleting it
  // (a new state machine of the same name has the ARN the role trusts). The last three are denied
  // to the security account's administrator by the guard SCP only (lib/guard-policy.ts).
  {
    id: 'assume-session-revoker-role',
    what: 'assume the session revoker state machine’s role (its Put*Policy with a document of one’s choosing)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'sts:AssumeRole', resource: c.sessionRevokerRole }),
  },
  {
    id: 'assume-member-session-writer',
    what: 'assume the member session writer role (Put*Policy in a member account with a document of one’s choosing)',
    audience: 'cordon+admin',
    except: { principals: ['session-revoker'], reason: 'the state machine’s task assumes it, with the document its definition fixes' },
    request: (c) => ({ action: 'sts:AssumeRole', resource: c.memberSessionWriter }),
  },
  {
    id: 'retrust-session-revoker-role',
    what: 'give the session revoker’s role another trust policy (then assume it: Put*Policy with any document, in every member account)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'iam:UpdateAssumeRolePolicy', resource: c.sessionRevokerRole }),
  },
  {
    id: 'pass-session-revoker-role',
    what: 'pass the session revoker role to a state machine of one’s own (another definition, any document)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'iam:PassRole', resource: c.sessionRevokerRole, context: { 'iam:PassedToService': 'states.amazonaws.com' } }),
  },
  {
    id: 'change-session-revoker-definition',
    what: 'change the session revoker’s definition (then its roles write any document, in every member account)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'states:UpdateStateMachine', resource: c.sessionRevoker }),
  },
  {
    id: 'delete-session-revoker',
    what: 'delete the session revoker (then create one of the same name, whose ARN its role trusts, with another definition)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'states:DeleteStateMachine', resource: c.sessionRevoker }),
  },
  // The evidence writers: the signing key lets every role under /cordon/evidence-writer/ sign, and
  // the vault lets them put records. Whoever could act as one could forge signed evidence.
  {
    id: 'create-evidence-writer-role',
    what: 'create a role under /cordon/evidence-writer/ (then sign forged records with the signing key)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'iam:CreateRole', resource: `arn:${c.partition}:iam::${c.account}:role/cordon/evidence-writer/forger` }),
  },
  {
    id: 'retrust-evidence-writer',
    what: 'give an evidence writer role another trust policy (then assume it and sign forged records)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'iam:UpdateAssumeRolePolicy', resource: c.evidenceWriterRole }),
  },
  {
    id: 'pass-evidence-writer-role',
    what: 'pass an evidence writer role to a function of one’s own (code that signs forged records)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'iam:PassRole', resource: c.evidenceWriterRole, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }),
  },
  {
    id: 'replace-writer-code',
    what: 'replace the code of a responder, an evidence writer (new code signs forged records as it)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'lambda:UpdateFunctionCode', resource: c.manualFunction }),
  },
  {
    id: 'reconfigure-writer',
    what: 'change a responder’s configuration (a layer or NODE_OPTIONS runs other code as an evidence writer)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'lambda:UpdateFunctionConfiguration', resource: c.manualFunction }),
  },
  {
    id: 'invoke-manual-url-as-non-responder',
    what: 'invoke a manual-request URL as a non-responder (force, release, restore or a pattern revocation as an authenticated caller)',
    audience: 'cordon',
    request: (c) => ({ action: 'lambda:InvokeFunctionUrl', resource: c.manualFunction, context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } }),
  },
  {
    id: 'flip-kill-switch',
    what: 'change the kill-switch parameter (to off, or to enforce) from a Cordon role',
    audience: 'cordon',
    request: (c) => ({ action: 'ssm:PutParameter', resource: `arn:${c.partition}:ssm:${c.region}:${c.account}:parameter${c.modeParameter}` }),
  },
];
