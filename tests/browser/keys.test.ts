// The page with API keys on, in a real Chromium against a real `hiredb serve --sample` whose keys the real
// CLI made before it started: a read key sees the loads and the reports and is told an upload needs an
// ingest key (and nothing is stored); an ingest key uploads.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { http, runCli, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { expectedSample } from '../helpers/sample.ts';
import { launchBrowser, screenshot, watchPage } from './browser.ts';

let home: TempHome;
let server: RunningServer;
let browser: Browser;
let page: Page;
let watched: { problems: string[] };
let readKey: string;
let ingestKey: string;
const sentAuth: string[] = [];

async function createKey(role: string, name: string): Promise<string> {
  const made = await runCli(['keys', 'create', '--role', role, '--name', name], { env: home.env, cwd: home.dir });
  expect(made.code, made.stderr).toBe(0);
  return made.stdout.trim();
}

const tasksWith = async (key: string) => ((await http(`${server.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${key}` } })).body as { tasks: { file: string; status: string }[] }).tasks;
const blobFiles = () => (existsSync(home.blobDir) ? readdirSync(home.blobDir, { recursive: true }).map(String) : []);

beforeAll(async () => {
  browser = await launchBrowser();
  home = await tempHome({ LOAD_CONCURRENCY: '4' });
  readKey = await createKey('read', 'viewer');
  ingestKey = await createKey('ingest', 'uploader');
  server = await startServer(['serve', '--sample'], { env: home.env, cwd: home.dir });
  await waitFor('the sample tasks to be done', async () => {
    const tasks = await tasksWith(readKey);
    return tasks.length === 3 && tasks.every((t) => t.status === 'done') ? true : undefined;
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watched = watchPage(page);
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) sentAuth.push(r.headers().authorization ?? '');
  });
});
afterEach(() => {
  // The browser logs each 401 and 403 it is answered; anything else (a page error, a CSP block) is a problem.
  const problems = watched.problems.splice(0).filter((p) => !/Failed to load resource: the server responded with a status of 40[13]/.test(p));
  expect(problems).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await home?.cleanup();
});

it('without a key the page shows the API\'s refusal and asks for one; with a read key it shows the loads and reports', async () => {
  await page.goto(`${server.url}/`);
  await page.locator('#key-form:not([hidden])').waitFor();
  // The API's own message, from its error body.
  await page.locator('#notice.error').waitFor();
  expect(await page.textContent('#notice')).toContain('this request needs an API key');
  expect(await page.textContent('#key-why')).toContain('asks for an API key');
  await screenshot(page, 'keys-asked');

  await page.getByLabel('API key').fill(readKey);
  await page.getByRole('button', { name: 'Use this key' }).click();
  const rows = page.locator('#tasks tbody tr[data-status="done"]');
  await rows.nth(2).waitFor();
  expect(await page.locator('#tasks tbody tr').count()).toBe(3);
  const sample = expectedSample();
  const inserted = await page.locator('#tasks tbody tr dd[data-field="inserted"]').allTextContents();
  expect(inserted.map((t) => Number(t.replaceAll(',', ''))).sort((a, b) => a - b)).toEqual(Object.values(sample.files).map((f) => f.inserted).sort((a, b) => a - b));
  expect(await page.evaluate(() => sessionStorage.getItem('hiredb.apiKey'))).toBe(readKey);
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect(sentAuth.at(-1)).toBe(`Bearer ${readKey}`);
  expect(await page.locator('#key-form').isHidden()).toBe(true);
  await screenshot(page, 'keys-read-loads');

  await page.goto(`${server.url}/#/reports/2021`);
  await page.locator('#hbq-chart[data-chart] .uplot').waitFor();
  await page.locator('#haa-chart[data-chart] .uplot').waitFor();
  const api = (await http(`${server.url}/api/v1/reports/hiring-above-average?year=2021`, { headers: { authorization: `Bearer ${readKey}` } })).body as { hired: number }[];
  expect(JSON.parse((await page.getAttribute('#haa-chart', 'data-chart'))!).hired).toEqual(api.map((r) => r.hired));
  expect(await page.locator('#haa tbody tr').count()).toBe(api.length);
  await screenshot(page, 'keys-read-reports');
});

it('with a read key, an upload says it needs an ingest key, and no file or task is made', async () => {
  await page.goto(`${server.url}/#/loads`);
  await page.locator('#tasks tbody tr').nth(2).waitFor();
  const before = blobFiles();
  const file = join(home.dir, 'jobs_more.csv');
  writeFileSync(file, '900,Archivist\n');
  await page.setInputFiles('#file-input', file);
  await page.locator('#upload-message.error').waitFor();
  const message = await page.textContent('#upload-message');
  expect(message).toContain('Uploading jobs_more.csv needs an ingest key');
  // The server's reason, as its error body gives it.
  expect(message).toContain('key "viewer" has role read; PUT /api/v1/files/:name needs ingest');
  // The key form opens, saying why, for someone who has an ingest key.
  await page.locator('#key-form:not([hidden])').waitFor();
  expect(await page.textContent('#key-why')).toContain('need a key with the ingest role');
  await screenshot(page, 'keys-read-upload');
  expect(blobFiles()).toEqual(before);
  expect(blobFiles().some((f) => f.includes('jobs_more'))).toBe(false);
  expect((await tasksWith(readKey)).map((t) => t.file)).not.toContain('jobs_more.csv');
  expect(await tasksWith(readKey)).toHaveLength(3);
});

it('with an ingest key entered on the page, the same upload is stored and its task reaches done', async () => {
  await page.getByLabel('API key').fill(ingestKey);
  await page.getByRole('button', { name: 'Use this key' }).click();
  expect(await page.evaluate(() => sessionStorage.getItem('hiredb.apiKey'))).toBe(ingestKey);
  await page.setInputFiles('#file-input', join(home.dir, 'jobs_more.csv'));
  await page.locator('#upload-message.ok').waitFor();
  expect(await page.textContent('#upload-message')).toMatch(/jobs_more\.csv is stored; task \d+ loads it/);
  const row = page.locator('#tasks tbody tr', { hasText: 'jobs_more.csv' });
  await row.and(page.locator('[data-status="done"]')).waitFor({ timeout: 20_000 });
  expect(await row.locator('dd[data-field="inserted"]').textContent()).toBe('1');
  expect(sentAuth.at(-1)).toBe(`Bearer ${ingestKey}`);
  await screenshot(page, 'keys-ingest-upload');
  expect((await tasksWith(readKey)).map((t) => t.file)).toContain('jobs_more.csv');
});
