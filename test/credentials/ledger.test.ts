import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoCredentialLedger, MemoryCredentialLedger, type CredentialLedger, type PrincipalRef } from '../../lambdas/credentials/ledger';
import { startLocalTable, type LocalTable } from '../support/dynalite';

const ROLE: PrincipalRef = { account: '111122223333', principalType: 'role', principalName: 'app-role' };
const T1 = '2026-03-01T12:00:30.000Z';
const T2 = '2026-03-01T12:05:30.000Z';
const T3 = '2026-03-01T12:10:30.000Z';
const I1 = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0000000000000000a';
const I2 = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0000000000000000b';

describe('credential ledger (real dynalite DynamoDB)', () => {
  let local: LocalTable;
  beforeAll(async () => {
    local = await startLocalTable('cordon-guardrails');
  });
  afterAll(() => local.stop());

  const stored = async (p: PrincipalRef) =>
    (await local.ddb.send(new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: `credentials#revocation#${p.account}#${p.principalType}#${p.principalName}` } }, ConsistentRead: true }))).Item;

  const ledgers: [string, () => CredentialLedger][] = [
    ['memory', () => new MemoryCredentialLedger()],
    ['dynamodb', () => new DynamoCredentialLedger(local.ddb, local.tableName)],
  ];

  describe.each(ledgers)('%s', (name, make) => {
    it('returns the latest cut-offs and the union of instances, whatever order incidents merge in', async () => {
      const ledger = make();
      const principal = { ...ROLE, principalName: `order-${name}` };
      const answers = [];
      answers.push(await ledger.mergeRevocation(principal, { cutoff: T1, instanceArns: [] }));
      answers.push(await ledger.mergeRevocation(principal, { instanceArns: [I2], instanceCutoff: T3 }));
      answers.push(await ledger.mergeRevocation(principal, { cutoff: T3, instanceArns: [I1], instanceCutoff: T2 }));
      answers.push(await ledger.mergeRevocation(principal, { cutoff: T2, instanceArns: [] }));

      expect(answers).toEqual([
        { state: { cutoff: T1, instanceArns: [] }, version: 1 },
        { state: { cutoff: T1, instanceArns: [I2], instanceCutoff: T3 }, version: 2 },
        { state: { cutoff: T3, instanceArns: [I1, I2], instanceCutoff: T3 }, version: 3 },
        { state: { cutoff: T3, instanceArns: [I1, I2], instanceCutoff: T3 }, version: 4 },
      ]);
      expect(await ledger.revocation(principal)).toEqual(answers[3]);
    });
  });

  it('keeps one cut-off of each kind in the item however many incidents the principal had', async () => {
    const ledger = new DynamoCredentialLedger(local.ddb, local.tableName);
    const principal = { ...ROLE, principalName: 'many-incidents' };
    for (const cutoff of [T2, T1, T3, T1]) await ledger.mergeRevocation(principal, { cutoff, instanceArns: [I1], instanceCutoff: cutoff });

    const item = await stored(principal);
    expect(item?.cutoffs).toEqual({ SS: [T3] });
    expect(item?.instanceCutoffs).toEqual({ SS: [T3] });
    expect(item?.instances).toEqual({ SS: [I1] });
    expect(item?.version).toEqual({ N: '4' });
  });

  it('keeps the latest cut-off of concurrent incidents', async () => {
    const ledger = new DynamoCredentialLedger(local.ddb, local.tableName);
    const principal = { ...ROLE, principalName: 'concurrent' };
    const cutoffs = Array.from({ length: 12 }, (_, i) => new Date(Date.parse(T1) + i * 1000).toISOString());
    await Promise.all([...cutoffs].reverse().map((cutoff) => ledger.mergeRevocation(principal, { cutoff, instanceArns: [] })));

    expect(await ledger.revocation(principal)).toEqual({ state: { cutoff: cutoffs[11], instanceArns: [] }, version: 12 });
    expect((await stored(principal))?.cutoffs?.SS).toContain(cutoffs[11]);
  });
});
