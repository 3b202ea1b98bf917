// How the Loads view shows a running and a failed task, in a real Chromium. A real `hiredb serve` serves the
// page; the task list it polls is played with one running and one failed task, as the API's task view shows
// them, so the progress bar, pace, error and Retry button can be seen without racing a real load.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, tempHome, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { launchBrowser, screenshot, watchPage } from './browser.ts';

const summary = (processed: number) => ({ processed, inserted: processed, already_exists: 0, rejected: 0 });
const timings = { created_at: '2026-01-01T00:00:00.000Z', started_at: '2026-01-01T00:00:01.000Z', finished_at: null, duration_ms: null };
const base = { version: 'v1', slice: null, attempts: 1 };
const running = {
  ...base,
  id: 2,
  file: 'hired_employees_big.csv',
  table: 'hired_employees',
  status: 'running',
  progress: { line: 40_000, bytes_read: 2_000_000, bytes_total: 5_000_000, percent: 40 },
  rate_rows_per_s: 12_500,
  eta_s: 5,
  summary: summary(40_000),
  timings,
  error: null,
};
const failed = {
  ...base,
  id: 1,
  file: 'jobs_2022.csv',
  table: 'jobs',
  status: 'failed',
  progress: { line: 10, bytes_read: 200, bytes_total: 900, percent: 22.2 },
  rate_rows_per_s: null,
  eta_s: null,
  summary: summary(10),
  timings: { ...timings, finished_at: '2026-01-01T00:00:03.000Z', duration_ms: 2000 },
  error: 'the database connection was lost',
};

let home: TempHome;
let server: RunningServer;
let browser: Browser;
let page: Page;
const retried: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  home = await tempHome();
  server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir });
  page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
  let failedNow: Record<string, unknown> = failed;
  await page.route(`${server.url}/api/v1/tasks?*`, (route) =>
    route.fulfill({ contentType: 'application/json', body: JSON.stringify({ total: 2, limit: 100, offset: 0, tasks: [running, failedNow] }) }),
  );
  await page.route(`${server.url}/api/v1/tasks/1/retry`, (route) => {
    retried.push(route.request().method());
    failedNow = { ...failed, status: 'queued', error: null };
    return route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify(failedNow) });
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await home?.cleanup();
});

it('shows a running task with its progress bar, percent, rows/s and time left', async () => {
  const { problems } = watchPage(page);
  await page.goto(`${server.url}/`);
  const row = page.locator('#tasks tr[data-task-id="2"]');
  await row.waitFor();
  expect(await row.locator('progress').getAttribute('value')).toBe('40');
  expect(await row.textContent()).toContain('40%');
  expect(await row.textContent()).toContain('12,500 rows/s');
  expect(await row.textContent()).toContain('5 s left');
  expect(problems).toEqual([]);
});

it('shows a failed task with its error and a Retry button that posts the retry', async () => {
  const row = page.locator('#tasks tr[data-task-id="1"]');
  expect(await row.getAttribute('data-status')).toBe('failed');
  expect(await row.textContent()).toContain('the database connection was lost');
  await screenshot(page, 'task-states');
  await row.getByRole('button', { name: 'Retry' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#tasks tr[data-task-id="1"][data-status="queued"]').waitFor();
  expect(retried).toEqual(['POST']);
  expect(await page.textContent('#notice')).toContain('Task 1 is queued again');
});
