import { Hono } from 'hono';
import { VERSION } from '../../shared/version.ts';

const LINKS = {
  health: '/health',
  tasks: '/api/v1/tasks',
  hired_by_quarter: '/api/v1/reports/hired-by-quarter',
  hiring_above_average: '/api/v1/reports/hiring-above-average',
  batch: '/api/v1/{departments|jobs|hired-employees}/batch',
  upload: '/api/v1/files/{name}',
};

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** `GET /`: a greeting with the API's entry points — JSON for programs, a page of links for browsers. */
export function homeRoutes() {
  const app = new Hono();
  app.get('/', (c) => {
    const message = 'Welcome to HireDB: HR history loaded from CSV into SQL, batch inserts and hiring reports.';
    if ((c.req.header('accept') ?? '').includes('text/html')) {
      const items = Object.entries(LINKS)
        .map(([name, href]) => `<li>${escapeHtml(name.replaceAll('_', ' '))}: <code>${href.includes('{') ? escapeHtml(href) : `<a href="${href}">${href}</a>`}</code></li>`)
        .join('\n');
      return c.html(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>HireDB</title></head>` +
          `<body><h1>HireDB ${VERSION}</h1><p>${escapeHtml(message)}</p><ul>\n${items}\n</ul></body></html>`,
      );
    }
    return c.json({ name: 'HireDB', version: VERSION, message, links: LINKS });
  });
  return app;
}
