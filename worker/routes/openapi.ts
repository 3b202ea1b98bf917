import { Hono } from 'hono';
import { buildOpenApi } from '../openapi/document.ts';

/** `GET /openapi.json`: the API's OpenAPI 3.1 description, built once from the route registry. */
export function openApiRoutes() {
  const app = new Hono();
  let document: string | null = null;
  app.get('/openapi.json', (c) => {
    document ??= JSON.stringify(buildOpenApi());
    return c.body(document, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
  });
  return app;
}
