import { createHash } from 'node:crypto';

/**
 * Resolves the CloudFormation intrinsics of a synthesized template to the concrete values a
 * deployment in one account and region would have: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split, Fn::If (with the template's Conditions), Fn::ImportValue, pseudo parameters.
 * Physical names follow CloudFormation's own scheme (`{stack}-{logicalId}` where a name is
 * generated), so an ARN built by a policy and the ARN of the resource itself agree.
 */

export interface Env {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: Json }>;
  readonly Conditions?: Record<string, Json>;
  readonly Outputs?: Record<string, { readonly Value: Json; readonly Export?: { readonly Name: Json } }>;
}

export interface ResolveScope extends Env {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** Values of the template's parameters (defaults apply to the rest). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Export name -> value, from the stacks deployed before this one in the same account. */
  readonly exports?: Readonly<Record<string, Json>>;
}

/** A template value that cannot be resolved offline: names what and where. */
export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

const NO_VALUE = Symbol('AWS::NoValue');

const uuidOf = (text: string): string => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Physical name and ARN of a resource, as CloudFormation would create it. */
const physical = (scope: ResolveScope, logicalId: string, props: Record<string, Json>, type: string, resolve: (v: Json) => Json): Record<string, string> => {
  const { partition: p, region: r, account: a, stackName } = scope;
  const given = (key: string) => str(props[key] !== undefined ? resolve(props[key]) : undefined);
  const generated = `${stackName}-${logicalId}`;
  switch (type) {
    case 'AWS::IAM::Role': {
      const name = given('RoleName') ?? generated.slice(0, 64);
      return { ref: name, Arn: `arn:${p}:iam::${a}:role${given('Path') ?? '/'}${name}`, RoleId: `AROA${uuidOf(name).slice(0, 17).toUpperCase()}` };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const name = given('ManagedPolicyName') ?? generated.slice(0, 128);
      const arn = `arn:${p}:iam::${a}:policy${given('Path') ?? '/'}${name}`;
      return { ref: arn, PolicyArn: arn };
    }
    case 'AWS::S3::Bucket': {
      const name = given('BucketName') ?? generated.toLowerCase().slice(0, 63);
      return { ref: name, Arn: `arn:${p}:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` };
    }
    case 'AWS::KMS::Key': {
      const id = uuidOf(`${a}/${r}/${generated}`);
      return { ref: id, Arn: `arn:${p}:kms:${r}:${a}:key/${id}`, KeyId: id };
    }
    case 'AWS::DynamoDB::Table': {
      const name = given('TableName') ?? generated;
      return { ref: name, Arn: `arn:${p}:dynamodb:${r}:${a}:table/${name}`, StreamArn: `arn:${p}:dynamodb:${r}:${a}:table/${name}/stream/x` };
    }
    case 'AWS::SNS::Topic': {
      const name = given('TopicName') ?? generated;
      const arn = `arn:${p}:sns:${r}:${a}:${name}`;
      return { ref: arn, TopicArn: arn, TopicName: name };
    }
    case 'AWS::SQS::Queue': {
      const name = given('QueueName') ?? generated;
      return { ref: `https://sqs.${r}.amazonaws.com/${a}/${name}`, Arn: `arn:${p}:sqs:${r}:${a}:${name}`, QueueName: name };
    }
    case 'AWS::SSM::Parameter': {
      const name = given('Name') ?? generated;
      return { ref: name };
    }
    case 'AWS::Logs::LogGroup': {
      const name = given('LogGroupName') ?? generated;
      return { ref: name, Arn: `arn:${p}:logs:${r}:${a}:log-group:${name}:*` };
    }
    case 'AWS::Lambda::Function': {
      const name = given('FunctionName') ?? generated.slice(0, 64);
      return { ref: name, Arn: `arn:${p}:lambda:${r}:${a}:function:${name}` };
    }
    case 'AWS::Events::Rule': {
      const name = given('Name') ?? generated.slice(0, 64);
      return { ref: name, Arn: `arn:${p}:events:${r}:${a}:rule/${name}` };
    }
    case 'AWS::CloudTrail::Trail': {
      const name = given('TrailName') ?? generated;
      return { ref: name, Arn: `arn:${p}:cloudtrail:${r}:${a}:trail/${name}` };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = given('StateMachineName') ?? `${logicalId}-${uuidOf(generated).slice(0, 12)}`;
      const arn = `arn:${p}:states:${r}:${a}:stateMachine:${name}`;
      return { ref: arn, Arn: arn, Name: name };
    }
    case 'AWS::SecurityHub::Hub':
      return { ref: `arn:${p}:securityhub:${r}:${a}:hub/default`, ARN: `arn:${p}:securityhub:${r}:${a}:hub/default` };
    default:
      return { ref: `${logicalId.toLowerCase()}-${uuidOf(generated).slice(0, 8)}` };
  }
};

/** Resolves every intrinsic in `value` within `scope`. */
export const resolveIn = (scope: ResolveScope, value: Json): Json => {
  const resources = scope.template.Resources ?? {};
  const pseudo: Record<string, string> = {
    'AWS::AccountId': scope.account,
    'AWS::Region': scope.region,
    'AWS::Partition': scope.partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': scope.stackName,
    'AWS::StackId': `arn:${scope.partition}:cloudformation:${scope.region}:${scope.account}:stack/${scope.stackName}/${uuidOf(scope.stackName)}`,
  };
  const physicalCache = new Map<string, Record<string, string>>();
  const physicalOf = (logicalId: string): Record<string, string> => {
    let hit = physicalCache.get(logicalId);
    if (!hit) {
      const resource = resources[logicalId];
      if (!resource) throw new UnresolvableError(`${scope.stackName}: no resource ${logicalId}`);
      hit = physical(scope, logicalId, resource.Properties ?? {}, resource.Type, (v) => resolve(v) as Json);
      physicalCache.set(logicalId, hit);
    }
    return hit;
  };
  const ref = (name: string): Json => {
    if (name in pseudo) return pseudo[name]!;
    if (name === 'AWS::NoValue') return NO_VALUE as unknown as Json;
    if (scope.template.Parameters?.[name]) {
      const v = scope.parameters?.[name] ?? scope.template.Parameters[name]?.Default;
      if (v === undefined) throw new UnresolvableError(`${scope.stackName}: parameter ${name} has no value`);
      return v;
    }
    return physicalOf(name).ref!;
  };
  const getAtt = (logicalId: string, attr: string): Json => {
    const known = physicalOf(logicalId);
    // Attributes no policy reads (ids, endpoints): a stable placeholder.
    return known[attr] ?? `${known.ref}-${attr.toLowerCase()}`;
  };
  const condition = (name: string): boolean => {
    const c = scope.template.Conditions?.[name];
    if (c === undefined) throw new UnresolvableError(`${scope.stackName}: no condition ${name}`);
    return resolve(c) === true;
  };
  const sub = (text: string, vars: Record<string, Json>): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(resolve(vars[name]!));
      const [id, attr] = name.split('.');
      return String(attr ? getAtt(id!, attr) : ref(id!));
    });

  const resolve = (v: Json): Json | typeof NO_VALUE => {
    if (Array.isArray(v)) return v.map((x) => resolve(x)).filter((x) => x !== NO_VALUE) as Json[];
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const k = keys[0]!;
      const arg = v[k]!;
      const args = Array.isArray(arg) ? arg : [];
      switch (k) {
        case 'Ref':
          return ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = typeof arg === 'string' ? arg.split('.') : (args as string[]);
          return getAtt(String(id), String(attr));
        }
        case 'Fn::Join':
          return (resolve(args[1]!) as Json[]).map((x) => String(x)).join(String(args[0]));
        case 'Fn::Sub':
          return typeof arg === 'string' ? sub(arg, {}) : sub(String(args[0]), (args[1] ?? {}) as Record<string, Json>);
        case 'Fn::Select':
          return (resolve(args[1]!) as Json[])[Number(resolve(args[0]!))] ?? null;
        case 'Fn::Split':
          return String(resolve(args[1]!)).split(String(args[0]));
        case 'Fn::If':
          return resolve(condition(String(args[0])) ? args[1]! : args[2]!);
        case 'Fn::Equals':
          return JSON.stringify(resolve(args[0]!)) === JSON.stringify(resolve(args[1]!));
        case 'Fn::Not':
          return resolve(args[0]!) !== true;
        case 'Fn::And':
          return args.every((x) => resolve(x) === true);
        case 'Fn::Or':
          return args.some((x) => resolve(x) === true);
        case 'Condition':
          return condition(String(arg));
        case 'Fn::ImportValue': {
          const name = String(resolve(arg));
          const hit = scope.exports?.[name];
          if (hit === undefined) throw new UnresolvableError(`${scope.stackName}: no stack exports ${name}`);
          return hit;
        }
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${scope.region}${z}`);
        default:
          if (k.startsWith('Fn::')) throw new UnresolvableError(`${scope.stackName}: intrinsic ${k} is not supported`);
      }
    }
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = resolve(x);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  return resolve(value) as Json;
};

/** The exports a resolved stack offers to the stacks after it. */
export const exportsOf = (scope: ResolveScope): Record<string, Json> => {
  const out: Record<string, Json> = {};
  for (const o of Object.values(scope.template.Outputs ?? {})) {
    if (o.Export) out[String(resolveIn(scope, o.Export.Name))] = resolveIn(scope, o.Value);
  }
  return out;
};
