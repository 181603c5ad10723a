/**
 * The names Cordon gives to things in AWS, in one place. The functions (lambdas/) tag resources and
 * look for them by these names; the infrastructure (lib/: stacks and constructs alike) creates,
 * grants and watches by the same names. Nothing here imports anything.
 */

/** Tag key marking Cordon's security groups; value `allow-all` or `isolation`. */
export const ISOLATION_TAG = 'cordon:isolation';
/** Tag key on the instance and its snapshots: the incident id. */
export const INCIDENT_TAG = 'cordon:incident';
/** Set by a release (value: the isolation's incident): an automatic finding on a released instance
 * escalates with a link to the release instead of isolating again (lambdas/isolation/decision.ts). */
export const RELEASED_TAG = 'cordon:released';
/** Tag key on every resource of a Cordon stack; value the stack's part (`evidence`, `response`, ...). */
export const COMPONENT_TAG = 'cordon:component';
/** The default protected tag (config `protectedTag`): resources carrying it are never contained automatically. */
export const PROTECTED_TAG = { key: 'cordon:protected', value: 'true' } as const;

/** IAM path prefix of Cordon's roles; a role created under it alarms (lib/tamper.ts). */
export const CORDON_PATH = '/cordon/';
/**
 * IAM path of every role that writes evidence. The vault's bucket policy exempts exactly these
 * roles (and the auditor) from its deny on retention / legal-hold changes. A role's path is fixed
 * at creation, so only a principal allowed to create roles under it could claim the exemption.
 */
export const EVIDENCE_WRITER_PATH = `${CORDON_PATH}evidence-writer/`;
/** IAM path of the forwarder roles that put events on the home bus from other regions. */
export const FORWARDER_ROLE_PATH = `${CORDON_PATH}forwarder/`;

/** The checkpoint function's role (under the evidence-writer path): the only principal that puts anchor copies. */
export const CHECKPOINT_WRITER_ROLE_NAME = 'cordon-checkpoint-writer';
/** The role the session revoker's state machine assumes in member accounts (trusted only by its role). */
export const SESSION_WRITER_ROLE_NAME = 'CordonMemberSessionRevoker';
/** Default names of the roles Cordon assumes in member accounts, one per responder (config `memberRoleNames`). */
export const DEFAULT_MEMBER_ROLE_NAMES = { isolation: 'CordonMemberIsolation', credentials: 'CordonMemberCredentials' } as const;
/** The session revoker state machine's fixed name in the response stack `stackName` (its role trusts that ARN; the guard SCP names it). */
export const sessionRevokerName = (stackName: string): string => `${stackName}-SessionRevoker`;
/** The one inline policy Cordon writes on a principal to revoke its sessions (lambdas/credentials/policies.ts). */
export const REVOKE_SESSIONS_POLICY_NAME = 'cordon-revoke-sessions';

/** The kill switch: the SSM parameter holding `off`, `dry-run` or `enforce`, in the home region. */
export const MODE_PARAMETER_NAME = `${CORDON_PATH}mode`;
/** The signing key's alias: `cordon verify` users fetch the public key by it (auditing-evidence.md). */
export const SIGNING_KEY_ALIAS = 'alias/cordon/evidence-signing';
