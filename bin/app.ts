#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { ConfigError, configFromContext, type CordonConfig } from '../lib/config';
import { CordonApp } from '../lib/cordon-app';

const app = new App();
let config: CordonConfig;
try {
  config = configFromContext(app.node.getAllContext() as Record<string, unknown>);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One clean list for the person at the terminal, not a Node stack trace.
  process.stderr.write(`cordon: invalid configuration (cdk.json "cordon", -c cordon='{...}' or -c cordon.KEY=VALUE):\n${error.problems.map((p) => `  - ${p}\n`).join('')}`);
  process.exit(1);
}
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
new CordonApp(app, { config, env });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
