import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { RUNBOOK_OUTPUTS } from '../../lib/outputs';
import { buildCordon } from './app';

const ref = (scope: IConstruct) => ({ Ref: Stack.of(scope).getLogicalId(scope.node.defaultChild as CfnResource) });
const arn = (scope: IConstruct) => ({ 'Fn::GetAtt': [Stack.of(scope).getLogicalId(scope.node.defaultChild as CfnResource), 'Arn'] });

describe('runbook outputs', () => {
  const { cordon } = buildCordon({ regions: ['eu-west-1'] });
  const response = Template.fromStack(cordon.response);
  const evidence = Template.fromStack(cordon.evidence);

  it('names each responder function and its own log group, the runbooks read them instead of guessing', () => {
    const { isolateInstance, revokeCredentials, checkpoint } = cordon.response;
    const cases = [
      [RUNBOOK_OUTPUTS.response.isolateFunction, ref(isolateInstance)],
      [RUNBOOK_OUTPUTS.response.revokeFunction, ref(revokeCredentials)],
      [RUNBOOK_OUTPUTS.response.checkpointFunction, ref(checkpoint)],
      [RUNBOOK_OUTPUTS.response.isolateLogGroup, ref(isolateInstance.logGroup)],
      [RUNBOOK_OUTPUTS.response.revokeLogGroup, ref(revokeCredentials.logGroup)],
      [RUNBOOK_OUTPUTS.response.checkpointLogGroup, ref(checkpoint.logGroup)],
    ] as const;
    for (const [key, value] of cases) response.hasOutput(key, { Value: value });
    // The log group is the function's own: the one it writes to, not /aws/lambda/<name> (never created).
    expect(response.toJSON().Resources[ref(isolateInstance).Ref].Properties.LoggingConfig).toEqual({ LogGroup: ref(isolateInstance.logGroup) });
  });

  it('names the kill switch, which exists only in the response stack’s region', () => {
    response.hasOutput(RUNBOOK_OUTPUTS.response.modeParameter, { Value: ref(cordon.response.modeParameter) });
    response.hasResourceProperties('AWS::SSM::Parameter', { Name: '/cordon/mode' });
  });

  it('names the vault: bucket, signing key (ARN and alias), data key and auditor role', () => {
    const e = cordon.evidence;
    evidence.hasOutput(RUNBOOK_OUTPUTS.evidence.bucket, { Value: ref(e.bucket) });
    evidence.hasOutput(RUNBOOK_OUTPUTS.evidence.signingKey, { Value: arn(e.signingKey) });
    evidence.hasOutput(RUNBOOK_OUTPUTS.evidence.signingKeyAlias, { Value: 'alias/cordon/evidence-signing' });
    evidence.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/cordon/evidence-signing', TargetKeyId: arn(e.signingKey) });
    evidence.hasOutput(RUNBOOK_OUTPUTS.evidence.dataKey, { Value: arn(e.dataKey) });
    evidence.hasOutput(RUNBOOK_OUTPUTS.evidence.auditorRole, { Value: arn(e.auditorRole) });
  });

  it('names the member stack’s three role parameters when member accounts are configured, and only then', () => {
    const member = buildCordon({ regions: ['eu-west-1'], memberAccounts: ['210987654321'] }).cordon.response;
    const t = Template.fromStack(member);
    t.hasOutput(RUNBOOK_OUTPUTS.memberRoles.isolation, { Value: arn(member.isolateInstance.role!) });
    t.hasOutput(RUNBOOK_OUTPUTS.memberRoles.credentials, { Value: arn(member.revokeCredentials.role!) });
    t.hasOutput(RUNBOOK_OUTPUTS.memberRoles.sessionRevoker, { Value: arn(member.sessionRevoker.role) });
    expect(Object.keys(response.toJSON().Outputs)).not.toContain(RUNBOOK_OUTPUTS.memberRoles.isolation);
  });

  it('exports none of them: the names are stable output keys that pin no stack', () => {
    const outputs = { ...response.toJSON().Outputs, ...evidence.toJSON().Outputs } as Record<string, { Export?: unknown }>;
    const keys = [...Object.values(RUNBOOK_OUTPUTS.response), ...Object.values(RUNBOOK_OUTPUTS.evidence)];
    for (const key of keys) {
      expect(outputs[key]).toBeDefined();
      expect(outputs[key]!.Export).toBeUndefined();
    }
  });
});
