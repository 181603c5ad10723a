/**
 * A small Amazon States Language interpreter (JSONPath dialect) for the states Cordon's state
 * machines use: Pass, Choice, Task, Fail, with Parameters templates, ResultPath, the intrinsics
 * States.Array / States.Format / States.JsonToString, and Choice rules StringEquals, IsPresent,
 * IsString, IsTimestamp, And, Or, Not. Anything else throws, so a definition cannot silently
 * depend on behaviour this interpreter does not model. Like Step Functions, a path that does not
 * exist fails the execution with States.Runtime (except under IsPresent).
 */

export class StatesFailure extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = 'StatesFailure';
  }
}

export interface TaskCall {
  readonly state: string;
  readonly resource: string;
  readonly parameters: unknown;
  /** `Credentials.RoleArn` after evaluation, when the task has one. */
  readonly roleArn?: string;
}

type Json = unknown;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MISSING = Symbol('missing');

const read = (data: Json, path: string): Json | typeof MISSING => {
  if (path === '$') return data;
  if (!path.startsWith('$.')) throw new StatesFailure('Interpreter.Unsupported', `path ${path}`);
  let cur: unknown = data;
  for (const part of path.slice(2).match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (part.startsWith('[')) {
      const i = Number(part.slice(1, -1));
      if (!Array.isArray(cur) || i >= cur.length) return MISSING;
      cur = cur[i];
    } else {
      if (!isRecord(cur) || !(part in cur)) return MISSING;
      cur = cur[part];
    }
  }
  return cur;
};

const must = (data: Json, path: string): Json => {
  const v = read(data, path);
  if (v === MISSING) throw new StatesFailure('States.Runtime', `the JSONPath ${path} could not be found in the input`);
  return v;
};

const splitArgs = (args: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of args) {
    if (ch === "'") quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
};

const evalExpression = (expr: string, data: Json): Json => {
  const m = /^(States\.\w+)\((.*)\)$/s.exec(expr);
  if (!m) return must(data, expr);
  const [, fn, rawArgs = ''] = m;
  const args = splitArgs(rawArgs).map((a) => (a.startsWith("'") ? a.slice(1, -1) : must(data, a)));
  switch (fn) {
    case 'States.Array':
      return args;
    case 'States.JsonToString':
      return JSON.stringify(args[0]);
    case 'States.Format': {
      const [template, ...values] = args;
      let i = 0;
      return String(template).replace(/\{\}/g, () => {
        const v = values[i++];
        if (typeof v === 'object' && v !== null) throw new StatesFailure('States.Runtime', 'States.Format takes only scalar values');
        return String(v);
      });
    }
    default:
      throw new StatesFailure('Interpreter.Unsupported', `intrinsic ${fn ?? expr}`);
  }
};

const template = (t: Json, data: Json): Json => {
  if (Array.isArray(t)) return t.map((x) => template(x, data));
  if (!isRecord(t)) return t;
  return Object.fromEntries(
    Object.entries(t).map(([k, v]) => (k.endsWith('.$') ? [k.slice(0, -2), evalExpression(String(v), data)] : [k, template(v, data)])),
  );
};

const withResult = (data: Json, resultPath: unknown, result: Json): Json => {
  if (resultPath === null) return data;
  if (resultPath === undefined || resultPath === '$') return result;
  const parts = String(resultPath).slice(2).split('.');
  const copy = structuredClone(data) as Record<string, unknown>;
  let cur = copy;
  parts.slice(0, -1).forEach((p) => {
    if (!isRecord(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  });
  cur[parts[parts.length - 1] as string] = result;
  return copy;
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const rule = (r: Record<string, unknown>, data: Json): boolean => {
  if (Array.isArray(r.And)) return (r.And as Record<string, unknown>[]).every((x) => rule(x, data));
  if (Array.isArray(r.Or)) return (r.Or as Record<string, unknown>[]).some((x) => rule(x, data));
  if (isRecord(r.Not)) return !rule(r.Not, data);
  const variable = String(r.Variable);
  if ('IsPresent' in r) return (read(data, variable) !== MISSING) === r.IsPresent;
  const v = must(data, variable);
  if ('StringEquals' in r) return v === r.StringEquals;
  if ('IsString' in r) return (typeof v === 'string') === r.IsString;
  if ('IsTimestamp' in r) return (typeof v === 'string' && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v))) === r.IsTimestamp;
  throw new StatesFailure('Interpreter.Unsupported', `choice rule ${JSON.stringify(r)}`);
};

/** Runs `definition` on `input`; tasks are answered by `task`. Returns the output or throws StatesFailure. */
export const runStates = async (
  definition: Record<string, unknown>,
  input: Json,
  task: (call: TaskCall) => Promise<Json>,
): Promise<{ output: Json; path: string[] }> => {
  const states = definition.States as Record<string, Record<string, unknown>>;
  let name = String(definition.StartAt);
  let data: Json = input;
  const path: string[] = [];
  for (let n = 0; n < 100; n += 1) {
    const state = states[name];
    if (!state) throw new StatesFailure('States.Runtime', `no state ${name}`);
    path.push(name);
    switch (state.Type) {
      case 'Pass':
        data = withResult(data, state.ResultPath, state.Parameters === undefined ? data : template(state.Parameters, data));
        break;
      case 'Choice': {
        const hit = (state.Choices as Record<string, unknown>[]).find((c) => rule(c, data));
        const next = hit ? hit.Next : state.Default;
        if (next === undefined) throw new StatesFailure('States.NoChoiceMatched', `no choice of ${name} matched`);
        name = String(next);
        continue;
      }
      case 'Task': {
        const credentials = state.Credentials as Record<string, string> | undefined;
        const roleArn = credentials ? (credentials['RoleArn.$'] ? String(evalExpression(credentials['RoleArn.$'], data)) : credentials.RoleArn) : undefined;
        const parameters = template(state.Parameters, data);
        const result = await task({ state: name, resource: String(state.Resource), parameters, ...(roleArn ? { roleArn } : {}) });
        data = withResult(data, state.ResultPath, result);
        break;
      }
      case 'Fail':
        throw new StatesFailure(String(state.Error), String(state.Cause));
      default:
        throw new StatesFailure('Interpreter.Unsupported', `state type ${String(state.Type)}`);
    }
    if (state.End === true) return { output: data, path };
    name = String(state.Next);
  }
  throw new StatesFailure('Interpreter.Loop', 'more than 100 transitions');
};
