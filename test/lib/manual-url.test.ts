import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { parseConfig } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
import { templates, testApp } from './app';

/**
 * The manual request URLs (lib/constructs/manual-url.ts): one per responder, auth type AWS_IAM, a
 * stack output the CLI reads, and a resource policy that names only the configured responders,
 * each for InvokeFunctionUrl with the AWS_IAM condition and InvokeFunction only via the URL.
 */

const RESPONDER = 'arn:aws:iam::111111111111:role/IncidentResponder';
const ONCALL = 'arn:aws:iam::111111111111:user/oncall';

const functionUrls = (t: ReturnType<typeof templates>['response']) => t.findResources('AWS::Lambda::Url');
const functionIdOf = (t: ReturnType<typeof templates>['response'], prefix: string): string => {
  const id = Object.keys(t.findResources('AWS::Lambda::Function')).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no function ${prefix}`);
  return id;
};

describe('manual request URLs', () => {
  it('gives each responder a function URL with auth type AWS_IAM, and its URL as a stack output', () => {
    const { response } = templates({ manual: { callerPrincipalArns: [RESPONDER] } });
    const urls = Object.values(functionUrls(response));
    expect(urls).toHaveLength(2);
    expect(urls.map((u) => u.Properties.AuthType)).toEqual(['AWS_IAM', 'AWS_IAM']);
    for (const [prefix, output] of [
      ['IsolateInstance', 'IsolateInstanceManualUrl'],
      ['RevokeCredentials', 'RevokeCredentialsManualUrl'],
    ] as const) {
      const fn = functionIdOf(response, prefix);
      response.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] } });
      const urlId = Object.entries(functionUrls(response)).find(([, u]) => JSON.stringify(u.Properties.TargetFunctionArn).includes(fn))![0];
      response.hasOutput(output, { Value: { 'Fn::GetAtt': [urlId, 'FunctionUrl'] } });
    }
  });

  it('grants InvokeFunctionUrl (AWS_IAM) and InvokeFunction via the URL only, to each listed responder and no one else', () => {
    const { response } = templates({ manual: { callerPrincipalArns: [RESPONDER, ONCALL] } });
    for (const prefix of ['IsolateInstance', 'RevokeCredentials']) {
      const fn = { 'Fn::GetAtt': [functionIdOf(response, prefix), 'Arn'] };
      for (const principal of [RESPONDER, ONCALL]) {
        response.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunctionUrl',
          FunctionName: fn,
          Principal: principal,
          FunctionUrlAuthType: 'AWS_IAM',
        });
        response.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          FunctionName: fn,
          Principal: principal,
          InvokedViaFunctionUrl: true,
        });
      }
    }
    const urlPermissions = Object.values(response.findResources('AWS::Lambda::Permission', { Properties: { Action: 'lambda:InvokeFunctionUrl' } }));
    expect(urlPermissions).toHaveLength(4);
    expect(new Set(urlPermissions.map((p) => p.Properties.Principal))).toEqual(new Set([RESPONDER, ONCALL]));
    // Nothing public, and no direct invoke granted to a person: every InvokeFunction for a principal ARN is via the URL.
    const invokes = Object.values(response.findResources('AWS::Lambda::Permission', { Properties: { Action: 'lambda:InvokeFunction' } }));
    expect(invokes.filter((p) => p.Properties.Principal === '*')).toEqual([]);
    expect(invokes.filter((p) => String(p.Properties.Principal).startsWith('arn:')).every((p) => p.Properties.InvokedViaFunctionUrl === true)).toBe(true);
  });

  it('grants nobody when no responder is configured (the URLs exist; only principals with their own IAM grant can call)', () => {
    const { response } = templates({});
    expect(Object.keys(functionUrls(response))).toHaveLength(2);
    response.resourcePropertiesCountIs('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl' }, 0);
    response.resourcePropertiesCountIs('AWS::Lambda::Permission', { InvokedViaFunctionUrl: Match.anyValue() }, 0);
  });

  it('keeps the three cdk-nag packs clean with responders listed', () => {
    const app = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
    new CordonApp(app, { config: parseConfig({ manual: { callerPrincipalArns: [RESPONDER, ONCALL] } }) });
    expect(() => app.synth()).not.toThrow();
  });

  it('rejects a caller that a Lambda resource policy cannot name, naming the key', () => {
    expect(() => parseConfig({ manual: { callerPrincipalArns: ['arn:aws:sts::111111111111:assumed-role/Responder/alice'] } })).toThrow(
      'cordon.manual.callerPrincipalArns[0] must be an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or user/NAME), received "arn:aws:sts::111111111111:assumed-role/Responder/alice"',
    );
    expect(() => parseConfig({ manual: { callers: [] } })).toThrow('cordon.manual.callers is not a known setting');
  });
});
