import { Hono } from 'hono';
import { VERSION } from '../../shared/version.ts';
import { DASHBOARD_HTML } from '../dashboard/assets.generated.ts';
import { PAGE_CSP } from '../middleware/security-headers.ts';

const LINKS = {
  health: '/health',
  tasks: '/api/v1/tasks',
  hired_by_quarter: '/api/v1/reports/hired-by-quarter',
  hiring_above_average: '/api/v1/reports/hiring-above-average',
  batch: '/api/v1/{departments|jobs|hired-employees}/batch',
  upload: '/api/v1/files/{name}',
  openapi: '/openapi.json',
  docs: '/docs',
};

/** `GET /`: the dashboard for browsers (`Accept: text/html`); for programs, a greeting with the API's entry points. */
export function homeRoutes() {
  const app = new Hono();
  app.get('/', (c) => {
    const message = 'Welcome to HireDB: HR history loaded from CSV into SQL, batch inserts and hiring reports.';
    if ((c.req.header('accept') ?? '').includes('text/html')) return c.html(DASHBOARD_HTML, 200, { 'cache-control': 'no-cache', vary: 'Accept', 'content-security-policy': PAGE_CSP });
    return c.json({ name: 'HireDB', version: VERSION, message, links: LINKS });
  });
  return app;
}
