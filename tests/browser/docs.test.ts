// GET /docs in a real Chromium: Swagger UI from the worker's own assets renders every documented operation.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { http, startServer, tempHome, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { launchBrowser, screenshot, watchPage } from './browser.ts';

let home: TempHome;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  home = await tempHome();
  server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await home?.cleanup();
});

it('shows every operation of /openapi.json, loading nothing from another origin', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const { problems } = watchPage(page);
  const origins = new Set<string>();
  page.on('request', (r) => origins.add(new URL(r.url()).origin));
  await page.goto(`${server.url}/docs`);
  await page.locator('.opblock').first().waitFor();
  const answer = await page.request.get(`${server.url}/docs`);
  expect(answer.headers()['content-security-policy']).toBe(
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  const doc = (await http(`${server.url}/openapi.json`)).body as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  expect(await page.locator('.opblock').count()).toBe(operations);
  expect(await page.locator('.opblock-summary-path', { hasText: '/api/v1/tasks/{id}/rejects' }).count()).toBe(1);
  expect([...origins]).toEqual([server.url]);
  // An operation opened shows its parameters and response schemas, within the page's policy.
  await page.locator('.opblock-summary-path', { hasText: '/api/v1/tasks/{id}/rejects' }).click();
  await page.locator('.opblock.is-open .parameters').waitFor();
  await page.locator('.opblock.is-open .responses-table').waitFor();
  await screenshot(page, 'docs');
  expect(problems).toEqual([]);
});
