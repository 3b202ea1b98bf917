/** The edge bundle in the real workerd binary, on a free port, for tests and benchmarks. */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/processes.ts';
import { startWorkerd } from '../../worker/entry/serve-workerd.ts';

export interface RunningWorkerd {
  url: string;
  /** POST here runs the worker's scheduled handler once (200 when it succeeded). */
  schedulerUrl: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts workerd on the built bundle (dist/edge/worker.mjs) and resolves once it answers GET `ready` (/health) 200. */
export async function startWorkerdServer(env: Record<string, string>, opts: { timeoutMs?: number; ready?: string } = {}): Promise<RunningWorkerd> {
  const [port, schedulerPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-workerd-'));
  const child = await startWorkerd({ env, host: '127.0.0.1', port, schedulerPort, configFile: join(dir, 'workerd.capnp'), stdio: 'pipe' });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((gone = true), resolve())));
  const stop = async () => {
    if (!gone) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(force);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (gone) {
      await stop();
      throw new Error(`workerd exited before answering ${opts.ready ?? '/health'} (code ${child.exitCode})\n${output}`);
    }
    try {
      const res = await fetch(`${url}${opts.ready ?? '/health'}`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`workerd did not answer ${opts.ready ?? '/health'} on ${url}\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, schedulerUrl: `http://127.0.0.1:${schedulerPort}/`, child, output: () => output, stop };
}
