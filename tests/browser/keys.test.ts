// The page with API keys switched on, in a real Chromium against a real `hiredb serve --sample`. The keys
// themselves are the server's business; here the answers a keyed server gives are played in front of the
// real one: without `Authorization: Bearer <key>` every API call is a 401, and with the read key a write is a 403.
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { launchBrowser, screenshot } from './browser.ts';

const READ_KEY = 'hdb_read_0123456789abcdef0123456789abcdef';
let home: TempHome;
let server: RunningServer;
let browser: Browser;
let page: Page;
const seenAuth: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  home = await tempHome({ LOAD_CONCURRENCY: '4' });
  server = await startServer(['serve', '--sample'], { env: home.env, cwd: home.dir });
  await waitFor('the sample tasks to be done', async () => {
    const { tasks } = (await http(`${server.url}/api/v1/tasks`)).body as { tasks: { status: string }[] };
    return tasks.length === 3 && tasks.every((t) => t.status === 'done') ? true : undefined;
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.route(`${server.url}/api/**`, async (route: Route) => {
    const auth = route.request().headers().authorization ?? '';
    seenAuth.push(auth);
    const error = (status: number, code: string, message: string) =>
      route.fulfill({ status, contentType: 'application/json', body: JSON.stringify({ error: { code, message, request_id: 'r1' } }) });
    if (auth !== `Bearer ${READ_KEY}`) return error(401, 'AUTH_REQUIRED', 'send an API key');
    if (route.request().method() !== 'GET') return error(403, 'FORBIDDEN', 'this key has the read role; this needs ingest');
    return route.continue();
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await home?.cleanup();
});

it('asks for a key on a 401, keeps it in sessionStorage only and sends it as a bearer token', async () => {
  await page.goto(`${server.url}/`);
  await page.locator('#key-form:not([hidden])').waitFor();
  await page.getByLabel('API key').fill(READ_KEY);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.locator('#tasks tbody tr').nth(2).waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem('hiredb.apiKey'))).toBe(READ_KEY);
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect(seenAuth.at(-1)).toBe(`Bearer ${READ_KEY}`);
  expect(await page.locator('#key-form').isHidden()).toBe(true);
});

it('with a read key, an upload says it needs an ingest key instead of failing silently', async () => {
  const file = join(home.dir, 'jobs_more.csv');
  writeFileSync(file, '900,Archivist\n');
  await page.setInputFiles('#file-input', file);
  await page.locator('#upload-message.error').waitFor();
  expect(await page.textContent('#upload-message')).toContain('needs an ingest key');
  await screenshot(page, 'keys-read-upload');
  const { tasks } = (await http(`${server.url}/api/v1/tasks`)).body as { tasks: unknown[] };
  expect(tasks).toHaveLength(3);
});
