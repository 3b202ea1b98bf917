// `hiredb load`'s summary and progress line: the rendering as units on fake streams, and real processes
// on a pipe and on a terminal (util-linux `script` gives the process a pseudo-terminal of 60 columns).
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { printLoadSummary, progressBar, renderProgress, type LoadSummaryRow } from '../../loader/cli/output.ts';
import { HIREDB_BIN, REPO_DIR, runCli, tempHome } from '../helpers/processes.ts';
import { SAMPLE_FILES } from '../helpers/sample.ts';

function fakeStream(tty: boolean, columns = 80) {
  const writes: string[] = [];
  const stream = { isTTY: tty, columns, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('the progress line', () => {
  const p = { bytesRead: 420, bytesTotal: 1000, records: 12345, rejected: 3, elapsedMs: 2000 };

  it('shows percent, rows/s, ETA and rejects so far', () => {
    const line = renderProgress('hired_employees.csv', p, 200);
    expect(line).toMatch(/^hired_employees\.csv \[#+\.+\]\s+42% {2}6,173 rows\/s {2}ETA 0:03 {2}3 rejected$/);
  });

  it('fits any width, keeping the numbers before the name and the bar', () => {
    for (let width = 1; width <= 120; width++) expect(renderProgress('hired_employees_2021.csv', p, width).length).toBeLessThanOrEqual(width);
    expect(renderProgress('jobs.csv', p, 59)).toMatch(/^jobs\.csv \[#+\.*\] +42%.* {2}3 rejected$/);
    expect(renderProgress('a_very_long_file_name_of_hired_employees_2021.csv', p, 59)).toMatch(/^a_very_long\w*….* {2}3 rejected$/);
  });

  it('on a terminal redraws in place, one column short of its width', () => {
    let t = 0;
    const { stream, writes } = fakeStream(true, 60);
    const bar = progressBar('hired_employees.csv', stream, { now: () => t });
    for (let i = 1; i <= 10; i++) {
      t += 150;
      bar.update({ bytesRead: i * 100, bytesTotal: 1000, records: 100, rejected: 1 });
    }
    bar.done();
    expect(writes.length).toBe(11);
    for (const w of writes.slice(0, -1)) {
      expect(w.startsWith('\r') && w.endsWith('\x1b[K')).toBe(true);
      expect(w.slice(1, -3).length).toBeLessThanOrEqual(59);
    }
    expect(writes.at(-2)).toContain('10 rejected');
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('elsewhere writes a plain line every interval, and nothing for a quick file', () => {
    let t = 0;
    const { stream, writes } = fakeStream(false);
    const bar = progressBar('jobs.csv', stream, { now: () => t, plainEveryMs: 5000 });
    for (let i = 1; i <= 12; i++) {
      t += 1000;
      bar.update({ bytesRead: i, bytesTotal: 12, records: 10, rejected: 0 });
    }
    bar.done();
    expect(writes).toEqual([expect.stringMatching(/^jobs\.csv .* 42% {2}10 rows\/s {2}ETA 0:07 {2}0 rejected\n$/), expect.stringMatching(/ 83% .*\n$/)]);

    const quick = fakeStream(false);
    const once = progressBar('jobs.csv', quick.stream, { now: () => 10, plainEveryMs: 5000 });
    once.update({ bytesRead: 12, bytesTotal: 12, records: 10, rejected: 0 });
    once.done();
    expect(quick.writes).toEqual([]);
  });
});

describe('the load summary', () => {
  it('has a row per file and a total, numbers right-aligned, and a hint for each file with rejects', () => {
    const row = (file: string, task_id: number, processed: number, rejected: number): LoadSummaryRow => ({
      file,
      table: 'hired_employees',
      task_id,
      bytes: 1536 * processed,
      elapsedMs: 500,
      recordsThisRun: processed,
      processed,
      inserted: processed - rejected,
      already_exists: 0,
      rejected,
    });
    let text = '';
    printLoadSummary([row('a.csv', 1, 12, 0), row('hired_employees.csv', 12, 1999, 70)], { write: (s: string) => ((text += s), true) } as never);
    const lines = text.trimEnd().split('\n');
    expect(lines).toEqual([
      'file                 table            task  elapsed  rows/s     bytes  processed  inserted  already_exists  rejected',
      '-------------------  ---------------  ----  -------  ------  --------  ---------  --------  --------------  --------',
      'a.csv                hired_employees     1   0.50 s      24  18.0 KiB         12        12               0         0',
      'hired_employees.csv  hired_employees    12   0.50 s   3,998   2.9 MiB      1,999     1,929               0        70',
      '-------------------  ---------------  ----  -------  ------  --------  ---------  --------  --------------  --------',
      'total                                        1.00 s   2,011   2.9 MiB      2,011     1,941               0        70',
      '70 rejected in hired_employees.csv: hiredb rejects 12',
    ]);
  });
});

describe('hiredb load, as a process', () => {
  it('prints the summary on stdout and, on a pipe, plain progress lines on stderr at the set interval', async () => {
    const home = await tempHome({ BATCH_SIZE: '100', LOAD_COMMIT_ROWS: '100', HIREDB_PROGRESS_INTERVAL_MS: '1' });
    try {
      const res = await runCli(['load', SAMPLE_FILES.departments, SAMPLE_FILES.jobs, SAMPLE_FILES.hired_employees], { env: home.env, cwd: home.dir });
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^file +table +task +elapsed +rows\/s +bytes +processed +inserted +already_exists +rejected$/);
      expect(lines.at(-2)).toMatch(/^total +\d+\.\d+ s +[\d,]+ +93\.3 KiB +2,194 +2,124 +0 +70$/);
      expect(lines.at(-1)).toBe(`70 rejected in ${SAMPLE_FILES.hired_employees}: hiredb rejects 3`);
      const progress = res.stderr.split('\n').filter((l) => l.startsWith('hired_employees.csv'));
      expect(progress.length).toBeGreaterThan(1);
      for (const l of progress) expect(l).toMatch(/\d+% {2}[\d,]+ rows\/s {2}ETA \d+:\d\d {2}[\d,]+ rejected$/);
      expect(res.stderr).not.toContain('\r');
    } finally {
      await home.cleanup();
    }
  });

  it('--json prints exactly one object per file with the same keys, and no summary', async () => {
    const home = await tempHome();
    try {
      const res = await runCli(['load', SAMPLE_FILES.departments, SAMPLE_FILES.hired_employees, '--json'], { env: home.env, cwd: home.dir });
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      for (const l of lines) expect(Object.keys(JSON.parse(l))).toEqual(['file', 'table', 'task_id', 'processed', 'inserted', 'already_exists', 'rejected']);
    } finally {
      await home.cleanup();
    }
  });

  it('on a 60-column terminal the progress line never wraps', async () => {
    const home = await tempHome({ BATCH_SIZE: '50' });
    try {
      const env = Object.entries({ ...home.env, NO_COLOR: '1' })
        .map(([k, v]) => `${k}='${v}'`)
        .join(' ');
      const command = `stty cols 60 rows 20; env ${env} '${process.execPath}' '${HIREDB_BIN}' load '${SAMPLE_FILES.departments}' '${SAMPLE_FILES.jobs}' '${SAMPLE_FILES.hired_employees}'`;
      const output = await new Promise<string>((resolve, reject) =>
        execFile('script', ['-qec', command, '/dev/null'], { cwd: REPO_DIR, timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      const redraws = output.split(/\r\n|\n/).flatMap((l) => l.split('\r')).map((l) => l.replaceAll('\x1b[K', ''));
      const progress = redraws.filter((l) => /rows\/s {2}ETA/.test(l));
      expect(progress.length).toBeGreaterThan(0);
      for (const l of progress) expect(l.length).toBeLessThanOrEqual(59);
      expect(output).toMatch(/total +\d+\.\d+ s/);
    } finally {
      await home.cleanup();
    }
  });
});
