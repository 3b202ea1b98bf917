import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** How long requests in flight may take to finish once the server is closing. */
export const CLOSE_GRACE_MS = 10_000;

/**
 * Serves the app on Node; resolves once listening, with the bound address and a close function that stops
 * accepting connections, lets requests in flight finish for up to `graceMs`, then cuts the connections left
 * (an upload cut off this way stores nothing and queues nothing).
 */
export function serveOnNode(app: Hono, opts: { port: number; host: string }) {
  return new Promise<{ url: string; close(graceMs?: number): Promise<void> }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, (info) => {
      resolve({
        url: `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
        close: (graceMs = CLOSE_GRACE_MS) =>
          new Promise((done) => {
            const http = server as Server;
            const cut = setTimeout(() => http.closeAllConnections(), graceMs);
            http.close(() => {
              clearTimeout(cut);
              done();
            });
            http.closeIdleConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}
