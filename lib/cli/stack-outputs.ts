import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CliInputError } from './ids';
import { signedRequest } from './sigv4';

/**
 * A deployed stack's outputs, read with CloudFormation's DescribeStacks (query API, signed with
 * SigV4: this package has no CloudFormation client). The endpoint is the regional one, or
 * AWS_ENDPOINT_URL_CLOUDFORMATION / AWS_ENDPOINT_URL when set (the SDK's own variables).
 */

const decode = (xml: string): string =>
  xml.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

const element = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];

/** OutputKey -> OutputValue of the first stack in a DescribeStacks response. */
export const outputsOf = (xml: string): Record<string, string> => {
  const outputs = element(xml, 'Outputs') ?? '';
  const result: Record<string, string> = {};
  for (const member of outputs.match(/<member>[\s\S]*?<\/member>/g) ?? []) {
    const key = element(member, 'OutputKey');
    const value = element(member, 'OutputValue');
    if (key !== undefined && value !== undefined) result[decode(key.trim())] = decode(value.trim());
  }
  return result;
};

export const cloudFormationEndpoint = (region: string, env: NodeJS.ProcessEnv): string =>
  env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? env.AWS_ENDPOINT_URL ?? `https://cloudformation.${region}.amazonaws.com/`;

/** The outputs of `stackName` in `region`; a missing stack or a refusal is a CliInputError naming it. */
export const stackOutputs = async (input: {
  readonly stackName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly env: NodeJS.ProcessEnv;
}): Promise<Record<string, string>> => {
  const body = new URLSearchParams({ Action: 'DescribeStacks', StackName: input.stackName, Version: '2010-05-15' }).toString();
  const response = await signedRequest({
    url: cloudFormationEndpoint(input.region, input.env),
    method: 'POST',
    service: 'cloudformation',
    region: input.region,
    credentials: input.credentials,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  if (response.status === 200) return outputsOf(response.body);
  const code = element(response.body, 'Code') ?? `HTTP ${response.status}`;
  const message = element(response.body, 'Message') ?? response.body.slice(0, 200);
  if (code === 'ValidationError' && /does not exist/.test(message)) {
    throw new CliInputError(`no stack ${input.stackName} in ${input.region}: deploy Cordon there, or name it with --stack, or pass --url`);
  }
  throw new CliInputError(`cannot read the outputs of stack ${input.stackName} in ${input.region} (${code}: ${decode(message)}): pass --url, or allow cloudformation:DescribeStacks`);
};
