import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { parseConfig, type CordonConfigInput } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
import { resolveIn, type CfnTemplate, type Json } from '../../lib/authz/resolve';
import { buildCordon, testApp } from './app';

const LOG_ARCHIVE = '444455556666';
const SECURITY = '111122223333';
const ORG = 'o-cordonanchor';
const WRITER = `arn:aws:iam::${SECURITY}:role/cordon/evidence-writer/cordon-checkpoint-writer`;
const BUCKET = `arn:aws:s3:::cordon-anchor-${LOG_ARCHIVE}`;
const WITH_ANCHOR: CordonConfigInput = { organizationId: ORG, anchor: { account: LOG_ARCHIVE, securityAccount: SECURITY } };

const built = buildCordon(WITH_ANCHOR);
const anchor = Template.fromStack(built.cordon.anchor!);
const response = Template.fromStack(built.cordon.response);

describe('CordonAnchor stack', () => {
  it('is not synthesized without cordon.anchor.account', () => {
    const { app, cordon } = buildCordon({});
    expect(cordon.anchor).toBeUndefined();
    expect(app.node.tryFindChild('CordonAnchor')).toBeUndefined();
  });

  it('deploys into the log-archive account with termination protection', () => {
    const stack = built.cordon.anchor!;
    expect(stack.account).toBe(LOG_ARCHIVE);
    expect(stack.terminationProtection).toBe(true);
  });

  it('keeps the copies in a versioned Object Lock COMPLIANCE bucket named for the writer, SSE-S3, retained', () => {
    anchor.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `cordon-anchor-${LOG_ARCHIVE}`,
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    anchor.hasResource('AWS::S3::Bucket', { Properties: { BucketName: `cordon-anchor-${LOG_ARCHIVE}` }, DeletionPolicy: 'Retain' });
  });

  it('takes bucket name and retention from the config', () => {
    const { cordon } = buildCordon({ organizationId: ORG, anchor: { account: LOG_ARCHIVE, securityAccount: SECURITY, bucketName: 'acme-cordon-anchor', retentionDays: 3650 } });
    Template.fromStack(cordon.anchor!).hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'acme-cordon-anchor',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } } },
    });
    Template.fromStack(cordon.response).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ANCHOR_BUCKET: 'acme-cordon-anchor', ANCHOR_RETENTION_DAYS: '3650' }) },
    });
  });
});

describe('the checkpoint function as the anchor writer', () => {
  it('has the fixed role name the anchor bucket policy names', () => {
    response.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cordon-checkpoint-writer', Path: '/cordon/evidence-writer/' });
  });

  it('is told where the anchor is', () => {
    response.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ANCHOR_BUCKET: `cordon-anchor-${LOG_ARCHIVE}`, ANCHOR_ACCOUNT: LOG_ARCHIVE, ANCHOR_RETENTION_DAYS: '2555', ANCHOR_REGION: { Ref: 'AWS::Region' } }),
      },
    });
  });

  it('alarms on a failed copy, from its own log line', () => {
    response.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "checkpoint anchor failed" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Cordon', MetricName: 'AnchorFailed', MetricValue: '1' })],
    });
    response.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AnchorFailed', Namespace: 'Cordon', Threshold: 1 });
  });

  it('has no fixed role name, no anchor grant and no anchor alarm without an anchor', () => {
    const plain = Template.fromStack(buildCordon({}).cordon.response);
    expect(JSON.stringify(plain.toJSON())).not.toMatch(/cordon-checkpoint-writer|AnchorFailed|ANCHOR_BUCKET|cordon-anchor-/);
  });
});

describe('who may do what to the anchor (IAM simulation over the synthesized policies)', () => {
  const policyOf = (template: Template, type: string, match: (props: Record<string, Json>) => boolean, stackName: string, account: string): Json => {
    const json = template.toJSON() as CfnTemplate;
    const found = Object.values(json.Resources ?? {}).find((r) => r.Type === type && match(r.Properties ?? {}));
    if (!found?.Properties) throw new Error(`no ${type} in ${stackName}`);
    return resolveIn({ account, region: 'eu-west-1', partition: 'aws', stackName, template: json }, found.Properties.PolicyDocument ?? null);
  };
  const bucketPolicy = policyOf(anchor, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p).includes('CheckpointWriterPuts'), 'CordonAnchor', LOG_ARCHIVE);
  // The writer's statement on the anchor (its others name the evidence stack's exports, not this bucket).
  const responseJson = response.toJSON() as CfnTemplate;
  const anchorCopies = Object.values(responseJson.Resources ?? {})
    .flatMap((r) => (r.Type === 'AWS::IAM::Policy' ? ((r.Properties?.PolicyDocument as { Statement: Json[] }).Statement ?? []) : []))
    .filter((st) => (st as { Sid?: string }).Sid === 'AnchorCopies');
  if (anchorCopies.length !== 1) throw new Error(`expected one AnchorCopies statement, found ${anchorCopies.length}`);
  const writerPolicy = { Version: '2012-10-17', Statement: resolveIn({ account: SECURITY, region: 'eu-west-1', partition: 'aws', stackName: 'CordonResponse', template: responseJson }, anchorCopies) };
  const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const IN_7Y = new Date(Date.now() + 2555 * 86_400_000).toISOString();
  const lock = { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': '2555', 's3:object-lock-retain-until-date': IN_7Y };

  const decide = async (principal: string, identity: Json, action: string, key: string, context: Record<string, string> = {}, org = ORG) => {
    const account = principal.split(':')[4] ?? '';
    const result = await runSimulation(
      {
        request: {
          principal,
          action,
          resource: { resource: key ? `${BUCKET}/${key}` : BUCKET, accountId: LOG_ARCHIVE },
          contextVariables: {
            'aws:PrincipalArn': principal,
            'aws:PrincipalAccount': account,
            'aws:PrincipalOrgID': org,
            'aws:SecureTransport': 'true',
            'aws:CurrentTime': new Date().toISOString(),
            ...context,
          },
        },
        identityPolicies: [{ name: 'identity', policy: identity as never }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: bucketPolicy as never,
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`the simulator rejected the request: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
  };

  it('lets the checkpoint writer put a copy with If-None-Match, COMPLIANCE and the full retention', async () => {
    expect(await decide(WRITER, writerPolicy, 's3:PutObject', 'checkpoints/00000007.json', { 's3:if-none-match': '*', ...lock })).toBe('Allowed');
    expect(await decide(WRITER, writerPolicy, 's3:PutObjectRetention', 'checkpoints/00000007.json', lock)).toBe('Allowed');
  });

  it.each([
    ['without If-None-Match (an overwrite)', WRITER, writerPolicy, 's3:PutObject', 'checkpoints/00000007.json', lock, ORG],
    ['without a lock', WRITER, writerPolicy, 's3:PutObject', 'checkpoints/00000007.json', { 's3:if-none-match': '*' }, ORG],
    ['with a GOVERNANCE lock', WRITER, writerPolicy, 's3:PutObject', 'checkpoints/00000007.json', { 's3:if-none-match': '*', ...lock, 's3:object-lock-mode': 'GOVERNANCE' }, ORG],
    ['with a short retention', WRITER, writerPolicy, 's3:PutObject', 'checkpoints/00000007.json', { 's3:if-none-match': '*', ...lock, 's3:object-lock-remaining-retention-days': '1' }, ORG],
    ['outside checkpoints/', WRITER, writerPolicy, 's3:PutObject', 'records/x.json', { 's3:if-none-match': '*', ...lock }, ORG],
    ['from outside the organization', WRITER, writerPolicy, 's3:PutObject', 'checkpoints/00000007.json', { 's3:if-none-match': '*', ...lock }, 'o-someoneelse'],
    ['deleting a version', WRITER, writerPolicy, 's3:DeleteObjectVersion', 'checkpoints/00000007.json', {}, ORG],
    ['shortening retention', WRITER, writerPolicy, 's3:PutObjectRetention', 'checkpoints/00000007.json', { ...lock, 's3:object-lock-remaining-retention-days': '3' }, ORG],
  ])('denies the checkpoint writer a put or change: %s', async (_what, principal, identity, action, key, context, org) => {
    expect(await decide(principal, identity, action, key, context, org)).not.toBe('Allowed');
  });

  it.each([
    ['an administrator of the security account puts a copy', `arn:aws:iam::${SECURITY}:role/Admin`, 's3:PutObject', 'checkpoints/00000008.json', { 's3:if-none-match': '*', ...lock }],
    ['an administrator of the log-archive account puts a copy', `arn:aws:iam::${LOG_ARCHIVE}:role/Admin`, 's3:PutObject', 'checkpoints/00000008.json', { 's3:if-none-match': '*', ...lock }],
    ['an administrator of the log-archive account deletes a version', `arn:aws:iam::${LOG_ARCHIVE}:role/Admin`, 's3:DeleteObjectVersion', 'checkpoints/00000007.json', {}],
    ['an administrator of the log-archive account bypasses retention', `arn:aws:iam::${LOG_ARCHIVE}:role/Admin`, 's3:BypassGovernanceRetention', 'checkpoints/00000007.json', {}],
    ['an administrator of the log-archive account changes retention', `arn:aws:iam::${LOG_ARCHIVE}:role/Admin`, 's3:PutObjectRetention', 'checkpoints/00000007.json', lock],
    ['an administrator of the log-archive account sets a legal hold', `arn:aws:iam::${LOG_ARCHIVE}:role/Admin`, 's3:PutObjectLegalHold', 'checkpoints/00000007.json', {}],
    ['an administrator of the log-archive account sets an expiry', `arn:aws:iam::${LOG_ARCHIVE}:role/Admin`, 's3:PutLifecycleConfiguration', '', {}],
  ])('denies: %s', async (_what, principal, action, key, context) => {
    expect(await decide(principal, admin, action, key, context)).not.toBe('Allowed');
  });
});

describe('cdk-nag on the anchor', () => {
  const withPacks = () => {
    const app = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
    return app;
  };

  it('raises nothing unacknowledged on the whole app with an anchor (AwsSolutions, NIST 800-53 R5, Serverless)', () => {
    const app = withPacks();
    new CordonApp(app, { config: parseConfig(WITH_ANCHOR) });
    expect(() => app.synth()).not.toThrow();
  });

  it('rejects another action on the anchor copies than the reviewed put', () => {
    const app = withPacks();
    const cordon = new CordonApp(app, { config: parseConfig(WITH_ANCHOR) });
    cordon.response.checkpoint.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObjectVersion'], resources: [`arn:${cordon.response.partition}:s3:::cordon-anchor-${LOG_ARCHIVE}/checkpoints/*`] }));
    expect(() => app.synth()).toThrow(/unreviewed wildcard grant in CordonResponse\/CheckpointRole\/DefaultPolicy\/Resource: s3:DeleteObjectVersion on arn:<AWS::Partition>:s3:::cordon-anchor-444455556666\/checkpoints\/\*/);
  });
});
