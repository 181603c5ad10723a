import { createHash } from 'node:crypto';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * The manual request URL of a responder: a Lambda function URL with auth type AWS_IAM, so every
 * request is SigV4-signed and Lambda hands the function the principal AWS authenticated
 * (`requestContext.authorizer.iam`, read by lambdas/manual/url.ts and recorded in the evidence).
 *
 * Who may call it: the function's resource policy allows exactly the configured responders
 * (`manual.callerPrincipalArns`), each with two statements, as function URLs require since October
 * 2025: `lambda:InvokeFunctionUrl` conditioned on `lambda:FunctionUrlAuthType` = AWS_IAM, and
 * `lambda:InvokeFunction` conditioned on `lambda:InvokedViaFunctionUrl` = true (so the grant does
 * not let them invoke the function directly, where no caller is authenticated). Nothing is public:
 * no statement names `*`. Principals of the account whose own IAM policies allow both actions
 * (administrators) can call it as well, and are recorded as themselves.
 *
 * The URL is a stack output (`<Name>ManualUrl`), which `cordon isolate|release|revoke|restore`
 * reads (lib/cli/manual-url.ts).
 */

export interface ManualRequestUrlProps {
  readonly fn: lambda.Function;
  /** IAM role or user ARNs allowed to call the URL (config `manual.callerPrincipalArns`). */
  readonly callers: readonly string[];
  /** The stack output's name: `IsolateInstanceManualUrl`, `RevokeCredentialsManualUrl`. */
  readonly outputName: string;
}

/** The output names the CLI reads, by responder. */
export const MANUAL_URL_OUTPUTS = { isolation: 'IsolateInstanceManualUrl', credentials: 'RevokeCredentialsManualUrl' } as const;

/** A stable logical id per caller: reordering the list replaces no permission. */
const idOf = (arn: string): string => createHash('sha256').update(arn).digest('hex').slice(0, 12);

export class ManualRequestUrl extends Construct {
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ManualRequestUrlProps) {
    super(scope, id);
    this.url = props.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    for (const arn of new Set(props.callers)) {
      const principal = new iam.ArnPrincipal(arn);
      props.fn.addPermission(`ManualCaller${idOf(arn)}Url`, {
        principal,
        action: 'lambda:InvokeFunctionUrl',
        functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
        scope: this,
      });
      props.fn.addPermission(`ManualCaller${idOf(arn)}Invoke`, {
        principal,
        action: 'lambda:InvokeFunction',
        invokedViaFunctionUrl: true,
        scope: this,
      });
    }
    new CfnOutput(Stack.of(this), props.outputName, {
      value: this.url.url,
      description: `Cordon: manual request URL of ${props.fn.node.id} (AWS_IAM; cordon signs requests with SigV4)`,
    });
  }
}
