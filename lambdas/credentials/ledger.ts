import { type DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { latest, type SessionDenyState } from './policies';
import type { Hold } from './types';

/**
 * What must outlive one invocation, in the guardrails table:
 * - per principal, every cut-off and instance any incident asked for (`credentials#revocation#...`):
 *   an atomic ADD, so concurrent incidents on one principal never lose each other's contribution,
 *   and a version, so a writer that raced a newer one writes again (execute.ts);
 * - per key and per quarantined user, the incidents that depend on it (`credentials#hold#...`): a
 *   restore never re-activates a key, or lifts a quarantine, another open incident still holds.
 */
export interface PrincipalRef {
  readonly account: string;
  readonly principalType: 'user' | 'role';
  readonly principalName: string;
}

export interface Revocation {
  readonly state: SessionDenyState;
  readonly version: number;
}

export interface CredentialLedger {
  /** Adds `add` to what the principal must carry; returns the union and its version. */
  mergeRevocation(principal: PrincipalRef, add: SessionDenyState): Promise<Revocation>;
  /** The current union (version 0 when nothing was recorded). */
  revocation(principal: PrincipalRef): Promise<Revocation>;
  addHolds(holds: readonly Hold[], incidentId: string): Promise<void>;
  /** Incidents holding it. */
  holders(hold: Hold): Promise<string[]>;
  /** Removes `incidentId` from its holders; returns those left. */
  releaseHold(hold: Hold, incidentId: string): Promise<string[]>;
  /** A person restored these (a restore request): the next automatic finding on one escalates. */
  markRestored(holds: readonly Hold[], incidentId: string): Promise<void>;
  /** The latest incident whose restore a person asked for on this key or user, if any. */
  restoredBy(hold: Hold): Promise<string | undefined>;
}

const revocationKey = (p: PrincipalRef): string => `credentials#revocation#${p.account}#${p.principalType}#${p.principalName}`;
export const holdKey = (h: Hold): string =>
  h.kind === 'key' ? `credentials#hold#${h.account}#key#${h.accessKeyId ?? ''}` : `credentials#hold#${h.account}#quarantine#${h.userName}`;

/** Per key and per quarantined user: the latest incident a person restored (`credentials#restored#...`). */
export const restoredKey = (h: Hold): string => holdKey(h).replace('credentials#hold#', 'credentials#restored#');

const fromSets = (cutoffs: readonly string[], instances: readonly string[], instanceCutoffs: readonly string[], version: number): Revocation => {
  const cutoff = cutoffs.reduce<string | undefined>(latest, undefined);
  const instanceCutoff = instanceCutoffs.reduce<string | undefined>(latest, undefined);
  return { state: { ...(cutoff ? { cutoff } : {}), instanceArns: [...instances].sort(), ...(instanceCutoff ? { instanceCutoff } : {}) }, version };
};

/** For tests, the drill, and a deployment without a guardrails table (one invocation's memory). */
export class MemoryCredentialLedger implements CredentialLedger {
  /** Only the latest cut-offs are kept: a later one covers every earlier one. */
  private readonly revocations = new Map<string, { cutoff?: string; instances: Set<string>; instanceCutoff?: string; version: number }>();
  private readonly holds = new Map<string, Set<string>>();
  private readonly restored = new Map<string, string>();

  async mergeRevocation(p: PrincipalRef, add: SessionDenyState): Promise<Revocation> {
    const key = revocationKey(p);
    const r = this.revocations.get(key) ?? { instances: new Set<string>(), version: 0 };
    r.cutoff = latest(r.cutoff, add.cutoff);
    add.instanceArns.forEach((a) => r.instances.add(a));
    r.instanceCutoff = latest(r.instanceCutoff, add.instanceCutoff);
    r.version += 1;
    this.revocations.set(key, r);
    return this.revocation(p);
  }
  async revocation(p: PrincipalRef): Promise<Revocation> {
    const r = this.revocations.get(revocationKey(p));
    return r ? fromSets(r.cutoff ? [r.cutoff] : [], [...r.instances], r.instanceCutoff ? [r.instanceCutoff] : [], r.version) : { state: { instanceArns: [] }, version: 0 };
  }
  async addHolds(holds: readonly Hold[], incidentId: string): Promise<void> {
    for (const h of holds) {
      const key = holdKey(h);
      const holders = this.holds.get(key) ?? new Set<string>();
      holders.add(incidentId);
      this.holds.set(key, holders);
    }
  }
  async holders(h: Hold): Promise<string[]> {
    return [...(this.holds.get(holdKey(h)) ?? [])].sort();
  }
  async releaseHold(h: Hold, incidentId: string): Promise<string[]> {
    this.holds.get(holdKey(h))?.delete(incidentId);
    return this.holders(h);
  }
  async markRestored(holds: readonly Hold[], incidentId: string): Promise<void> {
    for (const h of holds) this.restored.set(restoredKey(h), incidentId);
  }
  async restoredBy(h: Hold): Promise<string | undefined> {
    return this.restored.get(restoredKey(h));
  }
}

/** Cut-offs older than the latest of `values`: covered by it, so they can go. */
const superseded = (values: readonly string[]): string[] => {
  const keep = values.reduce<string | undefined>(latest, undefined);
  return keep === undefined ? [] : values.filter((v) => Date.parse(v) < Date.parse(keep));
};

const ss = (item: Record<string, AttributeValue> | undefined, name: string): string[] => item?.[name]?.SS ?? [];

export class DynamoCredentialLedger implements CredentialLedger {
  constructor(
    private readonly ddb: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
  ) {}

  async mergeRevocation(p: PrincipalRef, add: SessionDenyState): Promise<Revocation> {
    const sets: [string, string[]][] = [
      ['cutoffs', add.cutoff ? [add.cutoff] : []],
      ['instances', [...add.instanceArns]],
      ['instanceCutoffs', add.instanceCutoff ? [add.instanceCutoff] : []],
    ];
    const present = sets.filter(([, v]) => v.length > 0);
    const out = await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: revocationKey(p) } },
        UpdateExpression: `ADD #version :one${present.map(([n]) => `, #${n} :${n}`).join('')}`,
        ExpressionAttributeNames: { '#version': 'version', ...Object.fromEntries(present.map(([n]) => [`#${n}`, n])) },
        ExpressionAttributeValues: { ':one': { N: '1' }, ...Object.fromEntries(present.map(([n, v]) => [`:${n}`, { SS: v }])) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const item = out.Attributes;
    await this.prune(p, item);
    return fromSets(ss(item, 'cutoffs'), ss(item, 'instances'), ss(item, 'instanceCutoffs'), Number(item?.version?.N ?? '0'));
  }

  /**
   * Removes the cut-offs the latest one covers, so the item (and every read of it) stays the size
   * of one cut-off however many incidents the principal had. Safe under concurrency: only values
   * older than one already stored are deleted, and the version is untouched (the union is the same).
   */
  private async prune(p: PrincipalRef, item: Record<string, AttributeValue> | undefined): Promise<void> {
    const stale = (['cutoffs', 'instanceCutoffs'] as const).map((n) => [n, superseded(ss(item, n))] as const).filter(([, v]) => v.length > 0);
    if (stale.length === 0) return;
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: revocationKey(p) } },
        UpdateExpression: `DELETE ${stale.map(([n]) => `#${n} :${n}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(stale.map(([n]) => [`#${n}`, n])),
        ExpressionAttributeValues: Object.fromEntries(stale.map(([n, v]) => [`:${n}`, { SS: v }])),
      }),
    );
  }

  async revocation(p: PrincipalRef): Promise<Revocation> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: revocationKey(p) } }, ConsistentRead: true }));
    const item = out.Item;
    return fromSets(ss(item, 'cutoffs'), ss(item, 'instances'), ss(item, 'instanceCutoffs'), Number(item?.version?.N ?? '0'));
  }

  async addHolds(holds: readonly Hold[], incidentId: string): Promise<void> {
    await Promise.all(
      holds.map((h) =>
        this.ddb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: holdKey(h) } },
            UpdateExpression: 'ADD #incidents :incident',
            ExpressionAttributeNames: { '#incidents': 'incidents' },
            ExpressionAttributeValues: { ':incident': { SS: [incidentId] } },
          }),
        ),
      ),
    );
  }

  async holders(h: Hold): Promise<string[]> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: holdKey(h) } }, ConsistentRead: true }));
    return ss(out.Item, 'incidents').sort();
  }

  async releaseHold(h: Hold, incidentId: string): Promise<string[]> {
    const out = await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: holdKey(h) } },
        UpdateExpression: 'DELETE #incidents :incident',
        ExpressionAttributeNames: { '#incidents': 'incidents' },
        ExpressionAttributeValues: { ':incident': { SS: [incidentId] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return ss(out.Attributes, 'incidents').sort();
  }

  async markRestored(holds: readonly Hold[], incidentId: string): Promise<void> {
    const at = new Date().toISOString();
    await Promise.all(
      holds.map((h) =>
        this.ddb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: restoredKey(h) } },
            UpdateExpression: 'SET #incident = :incident, #at = :at',
            ExpressionAttributeNames: { '#incident': 'incidentId', '#at': 'restoredAt' },
            ExpressionAttributeValues: { ':incident': { S: incidentId }, ':at': { S: at } },
          }),
        ),
      ),
    );
  }

  async restoredBy(h: Hold): Promise<string | undefined> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: restoredKey(h) } }, ConsistentRead: true }));
    return out.Item?.incidentId?.S;
  }
}
