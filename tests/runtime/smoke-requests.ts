/**
 * The one list of requests every runtime (Node, Deno, workerd) is smoke-tested with, against any base
 * URL serving HireDB on a fixture from setup.ts. Each round sends the whole list in sequence; several
 * rounds make a per-request resource bug (a connection kept from an earlier request) show up.
 */
import type { SmokeFixture } from './setup.ts';
import { DEFAULT_ROUNDS } from './setup.ts';

export interface SmokeStep {
  round: number;
  name: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Sends the smoke list `rounds` times (default DEFAULT_ROUNDS, at most one per failed task of the fixture)
 * and throws, naming the runtime, round and step, at the first answer that is not the expected one.
 * Resolves with every request sent, in order.
 */
export async function runSmoke(
  baseUrl: string,
  fixture: Pick<SmokeFixture, 'keys' | 'failedTaskIds'>,
  opts: { runtime?: string; rounds?: number } = {},
): Promise<SmokeStep[]> {
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  if (rounds > fixture.failedTaskIds.length) {
    throw new RangeError(`runSmoke: ${rounds} rounds need ${rounds} failed tasks, the fixture has ${fixture.failedTaskIds.length}`);
  }
  const steps: SmokeStep[] = [];
  const { keys } = fixture;
  const base = baseUrl.replace(/\/$/, '');

  for (let round = 1; round <= rounds; round++) {
    const step = async (name: string, method: string, path: string, init: { key?: string; headers?: Record<string, string>; body?: string }, expect: (a: Answer) => string | null) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key) headers.authorization = `Bearer ${init.key}`;
      const started = performance.now();
      let answer: Answer;
      try {
        const res = await fetch(`${base}${path}`, { method, headers, body: init.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const text = await res.text();
        let json: unknown;
        if ((res.headers.get('content-type') ?? '').includes('application/json')) json = JSON.parse(text);
        answer = { status: res.status, headers: res.headers, text, json };
      } catch (err) {
        throw new Error(`${opts.runtime ?? base} round ${round}, ${name}: ${method} ${path} failed: ${(err as Error).message}`, { cause: err });
      }
      const ms = performance.now() - started;
      steps.push({ round, name, method, path, status: answer.status, ms });
      const problem = expect(answer);
      if (problem) {
        throw new Error(`${opts.runtime ?? base} round ${round}, ${name}: ${method} ${path} answered ${answer.status}: ${problem}\n${answer.text.slice(0, 500)}`);
      }
      return answer;
    };
    const status = (want: number) => (a: Answer) => (a.status === want ? null : `expected ${want}`);

    await step('health', 'GET', '/health', {}, (a) => status(200)(a) ?? (a.json?.status === 'ok' ? null : 'status is not ok'));
    await step('task list', 'GET', '/api/v1/tasks', { key: keys.read }, (a) =>
      status(200)(a) ?? (Array.isArray(a.json?.tasks) && a.json.total >= fixture.failedTaskIds.length ? null : 'no task list with the fixture tasks'),
    );
    await step('no key', 'GET', '/api/v1/tasks', {}, (a) => status(401)(a) ?? (a.json?.error?.code ? null : 'no error body'));

    const departmentId = 9000 + round;
    const rows = [{ id: departmentId, department: `Smoke ${round}` }];
    await step('batch insert', 'POST', '/api/v1/departments/batch', { key: keys.ingest, headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows) }, (a) =>
      status(200)(a) ?? (a.json?.inserted === 1 && a.json?.processed === 1 ? null : 'expected 1 row processed and inserted'),
    );

    const report = '/api/v1/reports/hired-by-quarter?year=2021';
    const first = await step('report', 'GET', report, { key: keys.read }, (a) => status(200)(a) ?? (Array.isArray(a.json) ? null : 'not a JSON array'));
    await step('report again, from the cache', 'GET', report, { key: keys.read }, (a) => {
      if (a.status !== 200) return 'expected 200';
      if (a.headers.get('x-report-cache') !== 'hit') return `x-report-cache is ${a.headers.get('x-report-cache')}, expected hit`;
      if (a.headers.get('etag') !== first.headers.get('etag')) return `etag ${a.headers.get('etag')} differs from ${first.headers.get('etag')}`;
      return a.text === first.text ? null : 'body differs from the first answer';
    });

    // The uploaded file holds the row the batch inserted, so loading it (where a loader runs) changes no data.
    const file = `departments-smoke-${round}.csv`;
    const upload = await step('upload', 'PUT', `/api/v1/files/${file}`, { key: keys.ingest, headers: { 'content-type': 'text/csv' }, body: `${departmentId},Smoke ${round}\n` }, (a) =>
      status(202)(a) ?? (a.json?.task?.id > 0 && a.json?.file?.name === file ? null : 'no task for the uploaded file'),
    );
    await step('task view', 'GET', `/api/v1/tasks/${upload.json.task.id}`, { key: keys.read }, (a) =>
      status(200)(a) ?? (a.json?.file === file && a.json?.id === upload.json.task.id ? null : 'not the uploaded file\'s task'),
    );

    const failed = fixture.failedTaskIds[round - 1];
    await step('retry', 'POST', `/api/v1/tasks/${failed}/retry`, { key: keys.ingest }, (a) =>
      status(202)(a) ?? (a.json?.id === failed && a.json?.status === 'queued' ? null : 'the task is not queued again'),
    );

    const page = await step('dashboard', 'GET', '/', { headers: { accept: 'text/html' } }, (a) =>
      status(200)(a) ?? ((a.headers.get('content-type') ?? '').startsWith('text/html') && /\/assets\/[\w.-]+\.js/.test(a.text) ? null : 'not the dashboard page'),
    );
    const asset = /\/assets\/[\w.-]+\.js/.exec(page.text)![0];
    await step('dashboard asset', 'GET', asset, {}, (a) =>
      status(200)(a) ?? ((a.headers.get('content-type') ?? '').includes('javascript') && a.text.length > 0 ? null : 'not a script'),
    );
  }
  return steps;
}
