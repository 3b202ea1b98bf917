// The README's transcripts — fenced sh blocks whose commands start with `$ ` — run against a real
// `hiredb serve --sample`, in the README's order, with their output checked against the lines shown.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIREDB_BIN, REPO_DIR, http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';

interface Example {
  command: string;
  expected: string[];
  /** 1-based line of the command in README.md. */
  line: number;
}

/** The transcripts of a Markdown text: each `$ ` command (with its `\` continuation lines) and the output lines after it. */
function transcripts(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    const block = lines.slice(i + 1, end);
    if (!block[0]?.startsWith('$ ')) {
      i = end;
      continue;
    }
    for (let j = 0; j < block.length; j++) {
      if (!block[j].startsWith('$ ')) continue;
      const line = i + 2 + j;
      let command = block[j].slice(2);
      while (command.endsWith('\\')) command = `${command}\n${block[++j]}`;
      const expected: string[] = [];
      while (j + 1 < block.length && !block[j + 1].startsWith('$ ')) expected.push(block[++j]);
      examples.push({ command, expected, line });
    }
    i = end;
  }
  return examples;
}

/** Whether `actual` matches `expected` line by line: `…` in a line stands for any text, a line of only `…` for any lines. */
function matches(expected: string[], actual: string[]): boolean {
  const pattern = (l: string) => new RegExp(`^${l.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const memo = new Map<string, boolean>();
  const at = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    if (memo.has(key)) return memo.get(key)!;
    let ok: boolean;
    if (e === expected.length) ok = a === actual.length;
    else if (expected[e] === '…') ok = at(e + 1, a) || (a < actual.length && at(e, a + 1));
    else ok = a < actual.length && pattern(expected[e]).test(actual[a]) && at(e + 1, a + 1);
    memo.set(key, ok);
    return ok;
  };
  return at(0, 0);
}

function sh(command: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: REPO_DIR, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the transcript matcher', () => {
  it('takes … as a wildcard in a line and, alone, for any lines, and fails on a line that differs', () => {
    expect(matches(['a…c', '…', 'z'], ['abbc', 'x', 'y', 'z'])).toBe(true);
    expect(matches(['a…c', '…', 'z'], ['abbc', 'z'])).toBe(true);
    expect(matches(['200'], ['201'])).toBe(false);
    expect(matches(['a', 'b'], ['a'])).toBe(false);
    expect(matches(['a'], ['a', 'b'])).toBe(false);
    expect(matches(['{"x":1.5}'], ['{"x":135}'])).toBe(false);
  });

  it('finds the README transcripts, with their continuation lines', () => {
    const examples = transcripts(readFileSync(join(REPO_DIR, 'README.md'), 'utf8'));
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples.some((e) => e.command.includes('\n') && e.command.startsWith('curl'))).toBe(true);
    expect(examples.some((e) => e.command.startsWith('npx hiredb load'))).toBe(true);
  });
});

describe('the README examples', () => {
  let home: TempHome;
  let server: RunningServer;

  beforeAll(async () => {
    home = await tempHome();
    server = await startServer(['serve', '--sample'], { env: home.env, cwd: home.dir });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await home?.cleanup();
  });

  it('show the output they give, run in order against a fresh `hiredb serve --sample`', async () => {
    const examples = transcripts(readFileSync(join(REPO_DIR, 'README.md'), 'utf8'));
    // As after `npm start`: the sample's three tasks are done before the first example.
    await waitFor('the sample loaded', async () => {
      const res = await http(`${server.url}/api/v1/tasks`);
      return res.body.tasks.length >= 3 ? true : undefined;
    });
    for (const example of examples) {
      // Like a reader who waits a moment: no example runs while a task is queued or running.
      await waitFor('the loader idle', async () => {
        const res = await http(`${server.url}/api/v1/tasks`);
        return res.body.tasks.every((t: { status: string }) => t.status === 'done' || t.status === 'failed') ? true : undefined;
      });
      const command = example.command
        .replaceAll('localhost:8787', `127.0.0.1:${server.port}`)
        .replace(/^npx hiredb\b/, `'${process.execPath}' '${HIREDB_BIN}'`);
      const res = await sh(command, { DATABASE_URL: home.env.DATABASE_URL, BLOB_DIR: home.blobDir, NO_COLOR: '1' });
      const actual = res.stdout.replace(/\n$/, '').split('\n').map((l) => l.trimEnd());
      const expected = example.expected.map((l) => l.trimEnd());
      expect(
        matches(expected, actual),
        `README.md line ${example.line}: $ ${example.command}\n--- shown ---\n${expected.join('\n')}\n--- printed (exit ${res.code}) ---\n${actual.join('\n')}\n${res.stderr}`,
      ).toBe(true);
    }
  }, 120_000);
});
