import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** Serves the app on Node; resolves once listening, with the bound address and a close function. */
export function serveOnNode(app: Hono, opts: { port: number; host: string }) {
  return new Promise<{ url: string; close(): Promise<void> }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, (info) => {
      resolve({
        url: `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`cannot listen on ${opts.host}:${opts.port}: the address is in use (set PORT or HOST)`) : e),
    );
  });
}
