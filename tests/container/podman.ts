/** Running podman (and other commands) for the container test, with failures that name their step. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_DIR } from '../helpers/processes.ts';

export const exec = promisify(execFile);

export async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  return exec(cmd, args, { timeout: 60_000 }).then(
    () => true,
    () => false,
  );
}

/** Flags every container gets: runc where installed (crun trips over rlimits on hybrid cgroups) and ulimits. */
export async function runtimeFlags(): Promise<string[]> {
  const runtime = process.env.CONTAINER_RUNTIME ?? ((await succeeds('runc', ['--version'])) ? 'runc' : '');
  return [...(runtime ? ['--runtime', runtime] : []), '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024'];
}

/** Runs podman and answers its trimmed stdout; a failure names the step and carries podman's stderr. */
export async function podman(step: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await exec('podman', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${step} failed: podman ${args.join(' ')}\n${(err.stderr ?? '').trim() || err.message}`);
  }
}

/**
 * Runs a command with its output on this terminal (the base image, the build), failing on a non-zero
 * exit or when it is still running after `timeoutMs` (then it is killed).
 */
export function streamed(step: string, cmd: string, args: string[], timeoutMs = 15 * 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      reject(new Error(`${step} did not finish within ${timeoutMs / 60_000} min: ${cmd} ${args.join(' ')}`));
      child.kill('SIGTERM');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${step} failed to start: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${step} failed: ${cmd} ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

/** Prints the last lines each container logged (stdout and stderr), for a failure's context. */
export async function printLogs(containers: string[]): Promise<void> {
  for (const c of containers) {
    const logs = await exec('podman', ['logs', '--tail', '30', c]).then((r) => `${r.stdout}${r.stderr}`.trim(), () => '');
    if (logs) console.error(`--- last lines ${c} logged ---\n${logs}`);
  }
}

/** Removes containers and volumes, ignoring what is already gone. */
export async function remove(containers: string[], volumes: string[]): Promise<void> {
  for (const c of containers) await podman('removing a container', ['rm', '-f', '-v', '-t', '0', c]).catch(() => undefined);
  for (const v of volumes) await podman('removing a volume', ['volume', 'rm', '-f', v]).catch(() => undefined);
}

/** Prints `ok  what`, or throws `what: detail`. */
export function check(what: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${what}: ${detail}`);
  console.log(`  ok  ${what}`);
}
