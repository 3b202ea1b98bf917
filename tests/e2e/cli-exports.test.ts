// The CLI's CSV exports (`report --format csv`, `rejects --format csv`) neutralise formula cells; --raw keeps them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome, type TempHome } from '../helpers/processes.ts';

describe('CLI CSV exports', () => {
  let home: TempHome;
  let rejectsTask: number;
  const cli = (args: string[]) => runCli(args, { env: home.env, cwd: home.dir });

  beforeAll(async () => {
    home = await tempHome();
    const departments = join(home.dir, 'departments.csv');
    writeFileSync(departments, "1,\"=cmd|' /C calc'!A0\"\n2,@SUM(1+1)\n=1+2,Sales\n-5,Legal\n");
    const jobs = join(home.dir, 'jobs.csv');
    writeFileSync(jobs, '1,+Analyst\n');
    const hires = join(home.dir, 'hired_employees.csv');
    writeFileSync(hires, '1,A,2021-01-05T00:00:00Z,1,1\n2,B,2021-04-05T00:00:00Z,1,1\n3,C,2021-04-05T00:00:00Z,2,1\n');
    const res = await cli(['load', departments, jobs, hires, '--json']);
    expect(res.code, res.stderr).toBe(0);
    rejectsTask = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((r) => r.table === 'departments').task_id;
  }, 60_000);
  afterAll(async () => {
    await home?.cleanup();
  });

  it('report --format csv prefixes formula cells with a quote; --raw keeps them', async () => {
    const safe = await cli(['report', 'hired-by-quarter', '--format', 'csv']);
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stdout).toBe("department,job,Q1,Q2,Q3,Q4\n'=cmd|' /C calc'!A0,'+Analyst,1,1,0,0\n'@SUM(1+1),'+Analyst,0,1,0,0\n");
    const raw = await cli(['report', 'hired-by-quarter', '--format', 'csv', '--raw']);
    expect(raw.stdout).toBe("department,job,Q1,Q2,Q3,Q4\n=cmd|' /C calc'!A0,+Analyst,1,1,0,0\n@SUM(1+1),+Analyst,0,1,0,0\n");
    const above = await cli(['report', 'hiring-above-average', '--format', 'csv']);
    expect(above.stdout).toBe("id,department,hired\n1,'=cmd|' /C calc'!A0,2\n");
  });

  it('rejects --format csv prefixes formula ids and raw text; --raw keeps them', async () => {
    const safe = await cli(['rejects', String(rejectsTask), '--format', 'csv']);
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stdout).toBe('line,id,reasons,raw\n3,\'=1+2,invalid_id,"\'=1+2,Sales"\n4,\'-5,invalid_id,"\'-5,Legal"\n');
    const raw = await cli(['rejects', String(rejectsTask), '--format', 'csv', '--raw']);
    expect(raw.stdout).toBe('line,id,reasons,raw\n3,=1+2,invalid_id,"=1+2,Sales"\n4,-5,invalid_id,"-5,Legal"\n');
  });
});
