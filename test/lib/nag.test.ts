import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { parseConfig } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
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

  it('rejects an unacknowledged finding, so the check above can fail', () => {
    const app = withPacks();
    const stack = new Stack(app, 'Careless');
    new s3.Bucket(stack, 'Plain');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
