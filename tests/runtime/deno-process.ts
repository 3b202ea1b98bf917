/** HireDB on the real Deno binary (worker/entry/deno.ts with its permissions), on a free port, for tests. */
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { freePort } from '../helpers/processes.ts';
import { startDeno } from '../../worker/entry/serve-deno.ts';

export interface RunningDeno {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM (SIGKILL after 20 s); resolves with how the process ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts HireDB on Deno with `env` (plus PORT and HOST) and resolves once GET /health answers 200. */
export async function startDenoServer(env: Record<string, string>, opts: { cwd?: string; args?: string[]; timeoutMs?: number } = {}): Promise<RunningDeno> {
  const port = await freePort();
  const child = startDeno({ env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, args: opts.args, cwd: opts.cwd ?? tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void ended.then(() => (gone = true));
  const stop = async () => {
    if (!gone) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await ended;
      clearTimeout(force);
    }
    return ended;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (gone) throw new Error(`Deno exited before answering /health (code ${child.exitCode})\n${output}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Deno did not answer /health on ${url}\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, output: () => output, stop };
}
