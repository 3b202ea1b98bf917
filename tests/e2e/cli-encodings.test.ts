// `hiredb load` as a real process: a .csv.gz file, --encoding latin1, a Latin-1 file read as UTF-8
// (fails naming the setting), and the settings validated.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempHome, type TempHome } from '../helpers/processes.ts';

describe('hiredb load: encodings and gzip', () => {
  let home: TempHome;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { ...home.env, ...env }, cwd: home.dir });
  beforeEach(async () => {
    home = await tempHome();
  });
  afterEach(async () => {
    await home?.cleanup();
  });

  it('loads a .csv.gz file, decompressing it as it streams', async () => {
    const path = join(home.dir, 'departments_2022.csv.gz');
    await writeFile(path, gzipSync(Buffer.from('id,department\n1,Z\u00fcrich\n2,Legal\n2,Again\n')));
    const res = await cli(['load', path, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ table: 'departments', processed: 3, inserted: 2, rejected: 1 });
    const rejects = await cli(['rejects', String(JSON.parse(res.stdout).task_id), '--json']);
    expect(rejects.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ line: 4, id: '2', raw: '2,Again', reasons: ['duplicate_id'] }]);
  });

  it('--encoding latin1 stores accented names; without it the load fails saying how to name the encoding', async () => {
    const path = join(home.dir, 'jobs_latin1.csv');
    await writeFile(path, Buffer.from('1,Ing\u00e9nieur\n2,Se\u00f1or\n', 'latin1'));
    const wrong = await cli(['load', path, '--json']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/not in utf-8: 2 of its first 2 records.*--encoding.*LOAD_ENCODING/);

    const ok = await cli(['load', path, '--json', '--encoding', 'latin1']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ processed: 2, inserted: 2, rejected: 0 });
    const viaSetting = await cli(['load', path, '--json', '--restart'], { LOAD_ENCODING: 'windows-1252' });
    expect(JSON.parse(viaSetting.stdout)).toMatchObject({ processed: 2, already_exists: 2, rejected: 0 });
  });

  it('a bad --encoding, LOAD_ENCODING or MAX_RECORD_BYTES stops with a message naming it', async () => {
    const path = join(home.dir, 'jobs.csv');
    await writeFile(path, '1,Clerk\n');
    const flag = await cli(['load', path, '--encoding', 'ebcdic']);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/unknown encoding "ebcdic"; expected utf-8, windows-1252, latin1, utf-16le, utf-16be/);
    const setting = await cli(['load', path], { LOAD_ENCODING: 'utf-32' });
    expect(setting.stderr).toMatch(/LOAD_ENCODING="utf-32"/);
    const limit = await cli(['load', path], { MAX_RECORD_BYTES: 'big' });
    expect(limit.stderr).toMatch(/MAX_RECORD_BYTES="big"/);
  });
});
