import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { parseConfig } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
import { testApp } from '../lib/app';
import { ORG_CONFIG } from './support';

describe('cdk-nag with an organization config', () => {
  it('raises nothing unacknowledged on the member, organization and forwarder stacks (and the rest)', () => {
    const app = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
    const cordon = new CordonApp(app, { config: parseConfig({ ...ORG_CONFIG, regions: ['eu-west-1', 'us-east-1'] }) });
    expect(cordon.organization.member).toBeDefined();
    expect(cordon.organization.organization).toBeDefined();
    expect(cordon.organization.forwarders).toHaveLength(2);
    expect(() => app.synth()).not.toThrow();
  });
});
