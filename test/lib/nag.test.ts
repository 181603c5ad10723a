import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { parseConfig } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
import { acknowledge } from '../../lib/nag';
import { testApp } from './app';

const withPacks = () => {
  const app = testApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
  return app;
};

describe('cdk-nag', () => {
  it('raises nothing unacknowledged on the whole app (AwsSolutions, NIST 800-53 R5, Serverless)', () => {
    const app = withPacks();
    new CordonApp(app, { config: parseConfig({ organizationId: 'o-abc1234567' }) });
    expect(() => app.synth()).not.toThrow();
  });

  it('rejects an unreviewed wildcard grant on a Cordon role, although cdk-nag’s Resource::* is acknowledged there', () => {
    const app = withPacks();
    const cordon = new CordonApp(app, { config: parseConfig({}) });
    cordon.response.isolateInstance.addToRolePolicy(new iam.PolicyStatement({ actions: ['ec2:TerminateInstances'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(
      /unreviewed wildcard grant in CordonResponse\/IsolateInstanceRole\/DefaultPolicy\/Resource: ec2:TerminateInstances on \* \(reviewed: xray:PutTraceSegments, xray:PutTelemetryRecords\)/,
    );
  });

  it('rejects a statement added later to a responder policy, even on a wildcard resource reviewed there', () => {
    const app = withPacks();
    const cordon = new CordonApp(app, { config: parseConfig({}) });
    const policy = cordon.response.node.findChild('IsolationPolicy') as iam.ManagedPolicy;
    policy.addStatements(new iam.PolicyStatement({ actions: ['ec2:ModifyInstanceAttribute'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/unreviewed wildcard grant in CordonResponse\/IsolationPolicy\/Resource: ec2:ModifyInstanceAttribute on \*/);
  });

  it('refuses to acknowledge a wildcard resource without naming its actions', () => {
    const app = testApp();
    expect(() => acknowledge(new Stack(app, 'S'), [['AwsSolutions-IAM5[Resource::*]', 'why']])).toThrow(
      'acknowledge: AwsSolutions-IAM5[Resource::*] names a resource but not its actions; use acknowledgeGrants',
    );
  });

  it('rejects an unacknowledged finding, so the check above can fail', () => {
    const app = withPacks();
    const stack = new Stack(app, 'Careless');
    new s3.Bucket(stack, 'Plain');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
