import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  /** stderr so far (the server's log). */
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A persisted Beamline server in a child process (test/fixtures/reliability/serve.ts), so it can be SIGKILLed. */
export function startServerProcess(dataDir: string, port = 0, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [resolve(root, 'bin/tsx.js'), resolve(root, 'test/fixtures/reliability/serve.ts'), dataDir, String(port)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        const url = m[1];
        ok({
          url,
          port: Number(new URL(url).port),
          proc,
          log: () => err,
          kill: (signal = 'SIGKILL') =>
            new Promise<void>((done) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return done();
              proc.once('exit', () => done());
              proc.kill(signal);
            }),
        });
      }
    });
    proc.once('exit', (code) => fail(new Error(`server exited with ${code} before it was ready:\n${err}`)));
  });
}
