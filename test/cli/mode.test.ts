import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { run } from './support';
import { notCordonCalls } from '../support/authz';

notCordonCalls('cordon mode reads and flips the kill switch as the operator, with the operator’s own credentials and policies');

const ssm = mockClient(SSMClient);

beforeEach(() => {
  ssm.reset();
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'dummy';
  delete process.env.CORDON_REQUESTED_BY;
});

const current = (value: string) => ssm.on(GetParameterCommand, { Name: '/cordon/mode' }).resolves({ Parameter: { Name: '/cordon/mode', Value: value } });

describe('cordon mode', () => {
  it('prints the current mode and changes nothing without a value', async () => {
    current('dry-run');
    const r = await run('mode', '--region', 'eu-central-1');
    expect(r).toEqual({ code: 0, stdout: 'dry-run\n', stderr: '' });
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 0);
  });

  it('flips the one switch, printing the previous value, with who and why in the description', async () => {
    current('dry-run');
    ssm.on(PutParameterCommand).resolves({ Version: 7 });
    const r = await run('mode', 'enforce', '--region', 'eu-central-1', '--reason', 'go live after review INC-1', '--requested-by', 'alice@example.com');
    expect(r).toEqual({ code: 0, stdout: 'mode: dry-run -> enforce\n', stderr: '' });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm).toHaveReceivedNthCommandWith(2, PutParameterCommand, {
      Name: '/cordon/mode',
      Value: 'enforce',
      Overwrite: true,
      Description: 'Cordon kill switch: enforce, set by alice@example.com: go live after review INC-1',
    });
  });

  it('writes nothing when the mode is already the one asked for', async () => {
    current('off');
    const r = await run('mode', 'off', '--region', 'eu-central-1', '--reason', 'r', '--requested-by', 'bob');
    expect(r).toEqual({ code: 0, stdout: 'mode is already off: nothing changed\n', stderr: '' });
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 0);
  });

  it('rejects an unknown mode, a bad region or a change without reason, before any AWS call', async () => {
    expect(await run('mode', 'on', '--region', 'eu-central-1', '--reason', 'r', '--requested-by', 'a')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'cordon: expected the mode to be one of enforce, dry-run, off, received "on"\n',
    });
    const badRegion = await run('mode', '--region', 'Frankfurt');
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toMatch(/--region/);
    expect(await run('mode', 'off', '--region', 'eu-central-1')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'cordon: changing the mode needs --reason and --requested-by (or CORDON_REQUESTED_BY): the change is evidenced with them\n',
    });
    expect(ssm.calls()).toHaveLength(0);
  });

  it('refuses a region without the kill switch (not the home region) and writes nothing there', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const r = await run('mode', 'off', '--region', 'us-west-2', '--reason', 'stop', '--requested-by', 'carol');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "cordon: no kill switch /cordon/mode in us-west-2: it exists only in the home region (the CordonResponse stack's); pass --region <home region>\n",
    );
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 0);
  });
});
