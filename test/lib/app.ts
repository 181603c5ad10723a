import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CordonConfigInput, parseConfig } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
const cdkJsonContext = (): Record<string, unknown> => {
  const { context } = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const flags = { ...context };
  delete flags.cordon;
  return flags;
};

/** A fresh app with cdk.json's flags and no asset bundling (no esbuild run per test). */
export const testApp = (): App =>
  new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });

/** Builds every Cordon stack from a config input (environment-agnostic). */
export const buildCordon = (input: CordonConfigInput = {}) => {
  const app = testApp();
  const cordon = new CordonApp(app, { config: parseConfig(input) });
  return { app, cordon };
};

type Templates = { evidence: Template; detection: Template; response: Template };
const synthesized = new Map<string, Templates>();

/**
 * Templates of every stack for a config input. Synthesis is the slow part of these tests and a
 * Template is only read, so each distinct config is synthesized once per test file.
 */
export const templates = (input: CordonConfigInput = {}): Templates => {
  const key = JSON.stringify(input);
  let hit = synthesized.get(key);
  if (!hit) {
    const { cordon } = buildCordon(input);
    if (!cordon.detection) throw new Error('this config has no detection stack');
    hit = {
      evidence: Template.fromStack(cordon.evidence),
      detection: Template.fromStack(cordon.detection),
      response: Template.fromStack(cordon.response),
    };
    synthesized.set(key, hit);
  }
  return hit;
};

/** The response stack (for logical ids) and its template, for a config input. */
export const response = (input: CordonConfigInput = {}) => {
  const { cordon } = buildCordon(input);
  return { stack: cordon.response, template: Template.fromStack(cordon.response) };
};
