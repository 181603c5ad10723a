import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { MemoryCredentialLedger } from '../../lambdas/credentials/ledger';
import { SessionRevokerError, type SessionDenyRequest, type SessionDenyWritten, type SessionWriter } from '../../lambdas/credentials/sessions';
import { sessionRevokerDefinition } from '../../lib/constructs/session-revoker';
import { credentialsOf } from '../support/authz';
import { runStates, StatesFailure, type TaskCall } from '../support/states';
import { Logger } from '@aws-lambda-powertools/logger';
import type { AwsStub } from 'aws-sdk-client-mock';
import { z } from 'zod';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-iam';
import type { EvidenceInput, EvidenceWriter, Mode, StoredRecord } from '../../lambdas/evidence/types';
import type { EvidenceReader, EvidenceRecordView } from '../../lambdas/evidence/reader';
import type { RespondDeps } from '../../lambdas/credentials/respond';
import { defaultCredentialsConfig, type CredentialsConfig } from '../../lambdas/credentials/types';
import type { Guardrails } from '../../lambdas/guardrails/types';

export type IamMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, unknown>;

const FIXTURES = join(__dirname, '..', 'fixtures', 'real');

/** A real fixture, as published (never tidied). */
export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

/**
 * A real GuardDuty IAM envelope (guardduty-iam-recon-networkpermissions-1.json) with ONLY
 * `resource.accessKeyDetails` (and optionally the type / instanceDetails) replaced and the sample
 * flag removed: no real fixture carries AssumedRole, Root or Federated principals.
 */
export const derivedGuardDuty = (
  accessKeyDetails: Record<string, string>,
  options: { type?: string; instanceId?: string; eventLastSeen?: string } = {},
): Record<string, unknown> => {
  const event = structuredClone(fixture('guardduty-iam-recon-networkpermissions-1.json')) as {
    detail: { type: string; resource: Record<string, unknown>; service: { additionalInfo: Record<string, unknown>; eventLastSeen: string } };
  };
  event.detail.resource.accessKeyDetails = accessKeyDetails;
  if (options.instanceId) event.detail.resource.instanceDetails = { instanceId: options.instanceId };
  if (options.type) event.detail.type = options.type;
  if (options.eventLastSeen) event.detail.service.eventLastSeen = options.eventLastSeen;
  delete event.detail.service.additionalInfo.sample;
  return event as unknown as Record<string, unknown>;
};

/** Shared order of side effects, to assert write-ahead (intent before the first mutation). */
export class CallLog {
  readonly entries: string[] = [];
  push(entry: string): void {
    this.entries.push(entry);
  }
  indexOf(prefix: string): number {
    return this.entries.findIndex((e) => e.startsWith(prefix));
  }
}

const jsonFields = z.object({
  before: z.json().optional(),
  after: z.json().optional(),
  detail: z.record(z.string(), z.json()).optional(),
});

export interface Recorded {
  readonly incidentId: string;
  readonly seq: number;
  readonly input: EvidenceInput;
}

/** In-memory evidence: a writer (seq per incident) and the matching reader. */
export class RecordingEvidence implements EvidenceWriter, EvidenceReader {
  readonly records: Recorded[] = [];
  failOn?: (input: EvidenceInput) => boolean;
  constructor(private readonly log?: CallLog) {}

  async append(incidentId: string, input: EvidenceInput): Promise<StoredRecord> {
    if (this.failOn?.(input)) throw new Error('evidence store unavailable');
    // Evidence must be JSON (the real record schema: z.json() for before/after/detail values).
    jsonFields.parse({ before: input.before, after: input.after, detail: input.detail });
    const copy = JSON.parse(JSON.stringify(input)) as EvidenceInput;
    const seq = this.records.filter((r) => r.incidentId === incidentId).length;
    this.records.push({ incidentId, seq, input: copy });
    this.log?.push(`evidence:${input.kind}:${input.action}`);
    return { key: `records/${incidentId}/${String(seq).padStart(8, '0')}.json`, incidentId, seq, hash: '0'.repeat(64) };
  }

  async read(incidentId: string): Promise<readonly EvidenceRecordView[]> {
    return this.records.filter((r) => r.incidentId === incidentId).map((r) => ({ ...r.input, seq: r.seq }));
  }

  kinds(): string[] {
    return this.records.map((r) => r.input.kind);
  }

  ofKind(kind: EvidenceInput['kind']): EvidenceInput[] {
    return this.records.filter((r) => r.input.kind === kind).map((r) => r.input);
  }
}

export const guardrails = (mode: Mode | Error): Guardrails => ({
  mode: async () => {
    if (mode instanceof Error) throw mode;
    return mode;
  },
});

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const HOME = '742968239728';

/**
 * The session writer as deployed, minus AWS: the REAL state machine definition run by the ASL
 * interpreter, its IAM tasks sent through an IAMClient (the test's mock sees PutUserPolicy /
 * PutRolePolicy with the document the definition built).
 */
export class StateMachineSessions implements SessionWriter {
  readonly requests: SessionDenyRequest[] = [];
  readonly tasks: TaskCall[] = [];
  constructor(private readonly homeAccount: string = HOME) {}

  async write(request: SessionDenyRequest): Promise<SessionDenyWritten> {
    this.requests.push(request);
    // The tasks sign as the state machine's role, or as the member session writer it assumes.
    const iamAs = (roleArn?: string) =>
      new IAMClient({ region: 'us-east-1', credentials: roleArn ? credentialsOf('member-session-writer', roleArn.split(':')[4]) : credentialsOf('session-revoker') });
    try {
      const { output } = await runStates(sessionRevokerDefinition({ partition: 'aws', homeAccount: this.homeAccount }), JSON.parse(JSON.stringify(request)), async (call) => {
        this.tasks.push(call);
        const iam = iamAs(call.roleArn);
        const p = call.parameters as { UserName?: string; RoleName?: string; PolicyName: string; PolicyDocument: string };
        if (call.resource === 'arn:aws:states:::aws-sdk:iam:putUserPolicy') return iam.send(new PutUserPolicyCommand({ UserName: p.UserName, PolicyName: p.PolicyName, PolicyDocument: p.PolicyDocument }));
        if (call.resource === 'arn:aws:states:::aws-sdk:iam:putRolePolicy') return iam.send(new PutRolePolicyCommand({ RoleName: p.RoleName, PolicyName: p.PolicyName, PolicyDocument: p.PolicyDocument }));
        throw new Error(`unexpected task ${call.resource}`);
      });
      const out = output as { policyName: string; document: string };
      return { policyName: out.policyName, document: out.document, executionArn: `arn:aws:states:us-east-1:${this.homeAccount}:express:cordon-session-revoker:${this.requests.length}`, requestId: `rid-sfn-${this.requests.length}` };
    } catch (error) {
      if (error instanceof StatesFailure) throw new SessionRevokerError(`session revoker FAILED: ${error.error}: ${error.cause}`);
      throw new SessionRevokerError(`session revoker FAILED: States.TaskFailed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
}

export const makeDeps = (
  overrides: Partial<RespondDeps> & { mode?: Mode | Error; log?: CallLog; evidenceStore?: RecordingEvidence; configOverrides?: Partial<CredentialsConfig> } = {},
): RespondDeps & { store: RecordingEvidence; sessions: StateMachineSessions | SessionWriter } => {
  const store = overrides.evidenceStore ?? new RecordingEvidence(overrides.log);
  const home = overrides.homeAccount ?? HOME;
  return {
    evidence: store,
    reader: store,
    guardrails: guardrails(overrides.mode ?? 'enforce'),
    config: { ...defaultCredentialsConfig, ...overrides.configOverrides },
    clock: () => NOW,
    homeAccount: home,
    homeRegion: 'us-east-1',
    access: () => async (account, region) => ({ account, region }),
    iamFor: () => new IAMClient({ region: 'us-east-1' }),
    sessions: new StateMachineSessions(home),
    ledger: new MemoryCredentialLedger(),
    actor: { arn: `arn:aws:lambda:us-east-1:${home}:function:cordon-revoke-credentials`, requestId: 'req-1' },
    logger: new Logger({ serviceName: 'cordon-credentials-test', logLevel: 'SILENT' }),
    ...overrides,
    store,
  };
};

const noSuchEntity = (message: string) => new NoSuchEntityException({ message, $metadata: {} });

export interface UserSpec {
  readonly userName: string;
  readonly keys: readonly { id: string; status?: 'Active' | 'Inactive'; created?: Date }[];
  readonly tags?: Record<string, string>;
  readonly loginProfile?: boolean;
  readonly path?: string;
  readonly account?: string;
}

/** Read-only IAM answers for one user (GetUser, ListUserTags, ListAccessKeys, GetLoginProfile, GetAccessKeyLastUsed). */
export const givenUser = (iam: IamMock, spec: UserSpec): void => {
  const account = spec.account ?? HOME;
  iam.on(GetUserCommand, { UserName: spec.userName }).resolves({
    User: {
      UserName: spec.userName,
      UserId: 'AIDAEXAMPLE',
      Path: spec.path ?? '/',
      Arn: `arn:aws:iam::${account}:user${spec.path ?? '/'}${spec.userName}`,
      CreateDate: new Date('2020-01-01T00:00:00Z'),
    },
  });
  iam.on(ListUserTagsCommand, { UserName: spec.userName }).resolves({
    Tags: Object.entries(spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    IsTruncated: false,
  });
  iam.on(ListAccessKeysCommand, { UserName: spec.userName }).resolves({
    AccessKeyMetadata: spec.keys.map((k) => ({
      UserName: spec.userName,
      AccessKeyId: k.id,
      Status: k.status ?? 'Active',
      CreateDate: k.created ?? new Date('2025-01-01T00:00:00Z'),
    })),
    IsTruncated: false,
  });
  iam.on(GetUserPolicyCommand, { UserName: spec.userName }).rejects(noSuchEntity(`policy cordon-revoke-sessions of ${spec.userName} not found`));
  if (spec.loginProfile) {
    iam.on(GetLoginProfileCommand, { UserName: spec.userName }).resolves({
      LoginProfile: { UserName: spec.userName, CreateDate: new Date('2024-06-01T00:00:00Z'), PasswordResetRequired: false },
    });
  } else {
    iam.on(GetLoginProfileCommand, { UserName: spec.userName }).rejects(noSuchEntity(`login profile for ${spec.userName} not found`));
  }
  for (const k of spec.keys) {
    iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: k.id }).resolves({ UserName: spec.userName, AccessKeyLastUsed: { Region: 'us-east-1', ServiceName: 'iam', LastUsedDate: new Date('2026-02-28T00:00:00Z') } });
  }
};

export const givenRole = (iam: IamMock, roleName: string, options: { path?: string; tags?: Record<string, string>; account?: string } = {}): void => {
  const path = options.path ?? '/';
  iam.on(GetRoleCommand, { RoleName: roleName }).resolves({
    Role: {
      RoleName: roleName,
      RoleId: 'AROAEXAMPLE',
      Path: path,
      Arn: `arn:aws:iam::${options.account ?? HOME}:role${path}${roleName}`,
      CreateDate: new Date('2020-01-01T00:00:00Z'),
    },
  });
  iam.on(GetRolePolicyCommand, { RoleName: roleName }).rejects(noSuchEntity(`policy cordon-revoke-sessions of ${roleName} not found`));
  iam.on(ListRoleTagsCommand, { RoleName: roleName }).resolves({
    Tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    IsTruncated: false,
  });
};

export const givenNoUser = (iam: IamMock, userName: string): void => {
  for (const C of [GetUserCommand, ListUserTagsCommand, ListAccessKeysCommand, GetLoginProfileCommand] as const) {
    iam.on(C as typeof GetUserCommand, { UserName: userName }).rejects(noSuchEntity(`user ${userName} not found`));
  }
};

export { noSuchEntity };
