import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto (the AWS API emulator, Python) in server mode on a free loopback port: started, awaited
 * until `GET /moto-api/` answers, stopped by its PID. Install: `pip install 'moto[server]==5.2.1'`.
 */

export const MOTO_INSTALL = "pip install 'moto[server]==5.2.1'";

/** moto is not installed, did not start, or did not answer in time. */
export class EmulatorUnavailableError extends Error {
  override readonly name = 'EmulatorUnavailableError';
}

export interface MotoServer {
  readonly endpoint: string;
  readonly pid: number;
  /** Kills the server by its PID and waits for it to exit (idempotent). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** @default 'python3' (or $CORDON_PYTHON) */
  readonly python?: string;
  /** How long to wait for `/moto-api/` to answer. @default 30 s */
  readonly readyTimeoutMs?: number;
}

const pythonOf = (options: StartOptions): string => options.python ?? process.env.CORDON_PYTHON ?? 'python3';

/** Whether `python3 -c 'import moto'` works here (the drill and its test need it). */
export const motoInstalled = (options: StartOptions = {}): boolean =>
  spawnSync(pythonOf(options), ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

/** A port the OS reports free on 127.0.0.1 (closed again before moto binds it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

const answers = async (url: string): Promise<boolean> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
};

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', () => done()));

/** Starts moto on a free loopback port and resolves once it answers. */
export const startMoto = async (options: StartOptions = {}): Promise<MotoServer> => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // MOTO_ACCOUNT_ID would force one account: the drill needs a home and a member account.
  const env = { ...process.env };
  delete env.MOTO_ACCOUNT_ID;
  const child = spawn(pythonOf(options), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString('utf8')}`.slice(-4000);
  });
  const spawnError = new Promise<Error>((done) => child.once('error', done));
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([exited(child).then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
      clearTimeout(timer);
      if (!done) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
        await exited(child);
      }
    }
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    const failed = await Promise.race([spawnError, sleep(0).then(() => undefined)]);
    if (failed || pid === undefined) {
      throw new EmulatorUnavailableError(`cannot start ${pythonOf(options)} -m moto.server: ${failed?.message ?? 'no pid'} (install: ${MOTO_INSTALL})`);
    }
    if (child.exitCode !== null) {
      throw new EmulatorUnavailableError(`moto exited with code ${child.exitCode} before answering: ${stderr.trim().split('\n').slice(-3).join(' | ')} (install: ${MOTO_INSTALL})`);
    }
    if (await answers(`${endpoint}/moto-api/`)) return { endpoint, pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new EmulatorUnavailableError(`moto did not answer on ${endpoint}/moto-api/ within ${options.readyTimeoutMs ?? 30_000} ms`);
    }
    await sleep(100);
  }
};
