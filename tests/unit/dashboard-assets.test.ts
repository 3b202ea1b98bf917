// The dashboard's static files: the generated module is what a fresh build gives, and the worker serves the
// pages and the content-hashed assets from memory with the right types and cache headers, no CDN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderAssets } from '../../worker/dashboard/build-assets.ts';
import { ASSETS, DASHBOARD_HTML, DOCS_HTML } from '../../worker/dashboard/assets.generated.ts';
import { openHarness, type Harness } from '../api/harness.ts';

describe('the generated asset module', () => {
  it('is what `npm run dashboard:build` gives from worker/dashboard/src now', async () => {
    expect(readFileSync('worker/dashboard/assets.generated.ts', 'utf8') === (await renderAssets())).toBe(true);
  });

  it('names every asset by its content hash, and the pages load only those (no CDN, no external fonts)', () => {
    for (const name of Object.keys(ASSETS)) expect(name).toMatch(/^[\w-]+\.[0-9a-f]{12}\.(js|css)$/);
    for (const html of [DASHBOARD_HTML, DOCS_HTML]) {
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      for (const ref of refs.filter((r) => r.startsWith('/assets/'))) expect(ASSETS[ref.slice('/assets/'.length)], ref).toBeDefined();
      expect(refs.filter((r) => /^(https?:)?\/\//.test(r))).toEqual([]);
    }
    const css = Object.entries(ASSETS).filter(([n]) => n.startsWith('dashboard.') && n.endsWith('.css'));
    expect(css).toHaveLength(1);
    expect(css[0][1].body).not.toMatch(/@import|url\(\s*['"]?https?:/);
  });
});

describe('serving them', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('sqlite');
  });
  afterAll(() => h?.close());

  it('GET / answers the dashboard to a browser and the JSON index to others', async () => {
    const page = await h.get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toBe(DASHBOARD_HTML);
    expect(page.headers.get('vary')).toContain('Accept');
    const json = await h.get('/');
    expect(json.body).toMatchObject({ name: 'HireDB', links: { docs: '/docs', openapi: '/openapi.json' } });
  });

  it('GET /assets/:name answers each file with its type and a year of immutable cache; unknown names 404', async () => {
    for (const [name, asset] of Object.entries(ASSETS)) {
      const res = await h.get(`/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe(asset.type);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.text.length).toBe(asset.body.length);
    }
    const missing = await h.get('/assets/dashboard.000000000000.js');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('GET /docs is Swagger UI from local assets, pointed at /openapi.json', async () => {
    const res = await h.get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toBe(DOCS_HTML);
    expect(DOCS_HTML).toMatch(/\/assets\/swagger-ui-bundle\.[0-9a-f]{12}\.js/);
    const init = Object.entries(ASSETS).find(([n]) => n.startsWith('docs.'))![1].body;
    expect(init).toContain('/openapi.json');
  });

  it('gives the two pages a policy that lets them load their own files, and everything else none', async () => {
    const page = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    const api = "default-src 'none'; frame-ancestors 'none'";
    const csp = async (path: string, accept?: string) => (await h.get(path, accept ? { accept } : undefined)).headers.get('content-security-policy');
    expect(await csp('/', 'text/html')).toBe(page);
    expect(await csp('/docs')).toBe(page);
    expect(await csp('/')).toBe(api);
    expect(await csp(`/assets/${Object.keys(ASSETS)[0]}`)).toBe(api);
    for (const path of ['/openapi.json', '/health', '/api/v1/tasks', '/api/v1/reports/hired-by-quarter', '/no/such/route']) expect(await csp(path), path).toBe(api);
    for (const path of ['/', '/docs']) expect((await h.get(path, { accept: 'text/html' })).headers.get('x-frame-options'), path).toBe('DENY');
  });
});
