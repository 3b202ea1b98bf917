// The dashboard in a real Chromium against a real `hiredb serve --sample`: the task list, an upload from the
// page, the rejects view and the report charts, each compared with what the API answers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { expectedSample, type Table } from '../helpers/sample.ts';
import { launchBrowser, SCREENS_DIR, screenshot, watchPage } from './browser.ts';

const expected = expectedSample();
let home: TempHome;
let server: RunningServer;
let browser: Browser;
let page: Page;
let watched: { problems: string[] };

beforeAll(async () => {
  browser = await launchBrowser();
  home = await tempHome({ LOAD_CONCURRENCY: '4' });
  server = await startServer(['serve', '--sample'], { env: home.env, cwd: home.dir });
  await waitFor('the three sample tasks to be done', async () => {
    const { tasks } = (await http(`${server.url}/api/v1/tasks`)).body as { tasks: { status: string }[] };
    return tasks.length === 3 && tasks.every((t) => t.status === 'done') ? true : undefined;
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watched = watchPage(page);
});
afterEach(() => {
  const problems = watched.problems.splice(0);
  expect(problems).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await home?.cleanup();
});

it('shows the three sample loads done, with their counts', async () => {
  await page.goto(`${server.url}/`);
  const rows = page.locator('#tasks tbody tr');
  await rows.nth(2).waitFor();
  expect(await rows.count()).toBe(3);
  const shown = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({
      id: Number(tr.getAttribute('data-task-id')),
      table: tr.children[2].textContent,
      status: tr.getAttribute('data-status'),
      counts: Object.fromEntries([...tr.querySelectorAll('dd[data-field]')].map((dd) => [dd.getAttribute('data-field'), Number(dd.textContent!.replaceAll(',', ''))])),
    })),
  );
  expect(shown.map((r) => r.id)).toEqual([3, 2, 1]);
  expect(shown.map((r) => r.table).sort()).toEqual(['departments', 'hired_employees', 'jobs']);
  for (const row of shown) {
    const e = expected.files[row.table as Table];
    expect(row).toEqual({ id: row.id, table: row.table, status: 'done', counts: { processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected } });
  }
  await screenshot(page, 'loads');
});

it('uploads a file picked on the page; its task appears and reaches done on screen', async () => {
  await page.goto(`${server.url}/#/loads`);
  const file = join(home.dir, 'departments_extra.csv');
  writeFileSync(file, '101,Legal\n102,Research\n103,\n');
  await page.setInputFiles('#file-input', file);
  await page.locator('#upload-message.ok').waitFor();
  expect(await page.textContent('#upload-message')).toMatch(/departments_extra\.csv is stored; task \d+ loads it/);
  const row = page.locator('#tasks tbody tr', { hasText: 'departments_extra.csv' });
  await row.and(page.locator('[data-status="done"]')).waitFor({ timeout: 20_000 });
  expect(await row.locator('dd[data-field="inserted"]').textContent()).toBe('2');
  expect(await row.locator('dd[data-field="rejected"]').textContent()).toBe('1');
  await screenshot(page, 'upload');
});

it('shows the 70 rejects of hired_employees and the counts per reason the API reports', async () => {
  const { tasks } = (await http(`${server.url}/api/v1/tasks`)).body as { tasks: { id: number; table: string; file: string }[] };
  const task = tasks.find((t) => t.file === 'hired_employees.csv')!;
  const api = (await http(`${server.url}/api/v1/tasks/${task.id}/rejects?limit=1000`)).body as { total: number; rejects: { reasons: string[] }[] };
  const apiCounts: Record<string, number> = {};
  for (const r of api.rejects) for (const reason of r.reasons) apiCounts[reason] = (apiCounts[reason] ?? 0) + 1;
  expect(api.total).toBe(70);

  await page.goto(`${server.url}/#/loads`);
  await page.locator(`#tasks tr[data-task-id="${task.id}"] dd[data-field="rejected"] a`).click();
  await page.locator('#reason-chart li').first().waitFor();
  expect(await page.getAttribute('#rejects-summary', 'data-total')).toBe('70');
  const bars = await page.locator('#reason-chart li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-reason'), Number(li.getAttribute('data-count'))]));
  expect(Object.fromEntries(bars)).toEqual(apiCounts);
  // Most frequent first, as a person reads a bar chart.
  expect(bars.map(([, n]) => n)).toEqual([...bars.map(([, n]) => n)].sort((a, b) => Number(b) - Number(a)));
  expect(await page.locator('#rejects tbody tr').count()).toBe(50);
  expect(await page.textContent('#rejects-page')).toContain('70 records');

  const [reason, n] = bars[0] as [string, number];
  await page.selectOption('#reason-filter', reason);
  expect(await page.locator('#rejects tbody tr').count()).toBe(Math.min(50, n));
  expect(await page.textContent('#rejects-page')).toContain(`${n} records`);
  expect(await page.getAttribute('#rejects-csv', 'href')).toBe(`/api/v1/tasks/${task.id}/rejects?format=csv`);
  await page.selectOption('#reason-filter', '');
  await screenshot(page, 'rejects');
});

it('draws the reports from the same data the API answers', async () => {
  await page.goto(`${server.url}/#/reports/2021`);
  await page.locator('#hbq-chart[data-chart] .uplot').waitFor();
  await page.locator('#haa-chart[data-chart] .uplot').waitFor();
  const quarters = (await http(`${server.url}/api/v1/reports/hired-by-quarter?year=2021`)).body as Record<string, string | number>[];
  const above = (await http(`${server.url}/api/v1/reports/hiring-above-average?year=2021`)).body as { department: string; hired: number }[];

  const perDepartment = new Map<string, number[]>();
  for (const r of quarters) {
    const v = perDepartment.get(r.department as string) ?? [0, 0, 0, 0];
    ['Q1', 'Q2', 'Q3', 'Q4'].forEach((q, i) => {
      v[i] += r[q] as number;
    });
    perDepartment.set(r.department as string, v);
  }
  const hbq = JSON.parse((await page.getAttribute('#hbq-chart', 'data-chart'))!);
  expect(hbq).toEqual({ x: ['Q1', 'Q2', 'Q3', 'Q4'], series: [...perDepartment].map(([label, values]) => ({ label, values })) });

  const haa = JSON.parse((await page.getAttribute('#haa-chart', 'data-chart'))!);
  expect(haa.labels).toEqual(above.map((r) => r.department));
  expect(haa.hired).toEqual(above.map((r) => r.hired));
  for (const r of above) expect(r.hired).toBeGreaterThan(haa.mean);

  expect(await page.locator('#hbq tbody tr').count()).toBe(quarters.length);
  const department = quarters[0].department as string;
  await page.selectOption('#hbq-filter', department);
  expect(await page.locator('#hbq tbody tr').count()).toBe(quarters.filter((r) => r.department === department).length);
  await page.selectOption('#hbq-filter', '');
  await page.getByRole('button', { name: 'Q2' }).click();
  await page.getByRole('button', { name: 'Q2' }).click();
  const q2 = await page.locator('#hbq tbody tr td:nth-child(4)').allTextContents();
  expect(q2.map(Number)).toEqual(quarters.map((r) => r.Q2 as number).sort((a, b) => a - b));
  expect(await page.getAttribute('#hbq-csv', 'href')).toBe('/api/v1/reports/hired-by-quarter?year=2021&format=csv');
  await screenshot(page, 'reports');
  // The picture in the README (docs/dashboard.png): the top of the reports view.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENS_DIR, 'dashboard.png') });
});

it('is readable on a phone-sized screen', async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const phoneWatch = watchPage(phone);
  await phone.goto(`${server.url}/#/loads`);
  await phone.locator('#tasks tbody tr').first().waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(phone, 'loads-phone');
  await phone.goto(`${server.url}/#/reports/2021`);
  await phone.locator('#haa-chart .uplot').waitFor();
  await screenshot(phone, 'reports-phone');
  expect(phoneWatch.problems).toEqual([]);
  await phone.close();
});
