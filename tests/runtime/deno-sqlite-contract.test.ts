// The Database contract on the node:sqlite driver: the same contract files as on Node
// (tests/integration/database.*.test.ts, and the driver's own checks), run by vitest inside the Deno binary,
// where better-sqlite3 cannot load and the SQLite adapter runs on node:sqlite. Each of their cases is
// reported here as a case of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { denoBinary } from '../../worker/entry/serve-deno.ts';
import { REPO_DIR } from '../helpers/processes.ts';

const CONTRACT_FILES = [
  ...readdirSync(join(REPO_DIR, 'tests', 'integration'))
    .filter((f) => /^database\..+\.test\.ts$/.test(f))
    .map((f) => `tests/integration/${f}`),
  'tests/integration/sqlite-driver.test.ts',
];

interface Report {
  numTotalTests: number;
  testResults: { name: string; status: string; message: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

/** vitest, run by Deno over the contract files, with its JSON report. */
function runContractOnDeno(): { report: Report | null; code: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hiredb-deno-contract-'));
  const reportFile = join(dir, 'report.json');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (/^(VITEST|NODE_OPTIONS$|TINYPOOL)/.test(key)) delete env[key];
  try {
    const run = spawnSync(
      denoBinary(),
      // The test runner spawns its own workers and writes its report: it gets every permission; the app's
      // own set is what tests/runtime/deno.test.ts runs with.
      ['run', '--node-modules-dir=manual', '--allow-all', 'node_modules/vitest/vitest.mjs', 'run', '--reporter=json', `--outputFile=${reportFile}`, ...CONTRACT_FILES],
      { cwd: REPO_DIR, env, encoding: 'utf8', timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
    );
    let report: Report | null = null;
    try {
      report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    } catch {
      // no report: the output says why
    }
    return { report, code: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { report, code, output } = runContractOnDeno();
const cases = (report?.testResults ?? []).flatMap((file) =>
  file.assertionResults.map((c) => ({ ...c, file: file.name.slice(REPO_DIR.length) })),
);

describe('the Database contract on node:sqlite (vitest inside Deno)', () => {
  it('ran every contract file, each with cases and none failing to load', () => {
    expect(report, output.slice(-4000)).not.toBeNull();
    const files = new Map(report!.testResults.map((f) => [f.name.slice(REPO_DIR.length), f]));
    expect([...files.keys()].sort()).toEqual([...CONTRACT_FILES].sort());
    for (const [name, file] of files) {
      expect(file.message, name).toBe('');
      expect(file.assertionResults.filter((c) => c.status === 'passed').length, name).toBeGreaterThan(0);
    }
    expect(cases.find((c) => c.fullName.includes('is node:sqlite on Deno'))?.status).toBe('passed');
    if (cases.every((c) => c.status !== 'failed')) expect(code, output.slice(-4000)).toBe(0);
  });

  for (const c of cases) {
    (c.status === 'skipped' || c.status === 'pending' || c.status === 'todo' ? it.skip : it)(`${c.file} > ${c.fullName}`, () => {
      expect(c.status, c.failureMessages.join('\n')).toBe('passed');
    });
  }
});
