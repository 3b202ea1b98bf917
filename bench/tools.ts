/**
 * The reference tools come from Debian's packages: when one is missing it is installed with apt-get
 * (as root, as on the project's machines); if that fails the comparison is skipped with a message.
 */
import { spawnSync } from 'node:child_process';

const attempted = new Map<string, boolean>();
let updated = false;

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function aptGet(args: string[], log: (m: string) => void): boolean {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) log(`apt-get ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}`);
  return r.status === 0;
}

/** True when `cmd` exists, installing Debian package `pkg` first if needed (once per run). */
export function ensureCommand(cmd: string, pkg: string, log: (m: string) => void): boolean {
  if (hasCommand(cmd)) return true;
  const known = attempted.get(cmd);
  if (known !== undefined) return known;
  log(`${cmd} is missing: apt-get install -y ${pkg}`);
  let ok = aptGet(['install', '-y', pkg], log);
  if (!ok && !updated) {
    updated = true;
    log('retrying after apt-get update');
    ok = aptGet(['update'], log) && aptGet(['install', '-y', pkg], log);
  }
  ok = ok && hasCommand(cmd);
  attempted.set(cmd, ok);
  return ok;
}

export function commandVersion(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : null;
}
