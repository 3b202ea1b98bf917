import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** How long requests in flight may take to finish once the server is closing. */
export const CLOSE_GRACE_MS = 10_000;
/** After the connections are cut, how long the handlers they leave get to clean up (an upload's partial file). */
const CLEANUP_MS = 2_000;

/**
 * Serves the app on Node; resolves once listening, with the bound address and a close function that stops
 * accepting connections, lets requests in flight finish for up to `graceMs`, then cuts the connections left
 * (an upload cut off this way stores nothing and queues nothing) and waits for their handlers to end.
 */
export function serveOnNode(app: Hono, opts: { port: number; host: string }) {
  let inFlight = 0;
  let settled: (() => void) | null = null;
  const fetch = async (request: Request, env?: unknown) => {
    inFlight++;
    try {
      return await app.fetch(request, env);
    } finally {
      if (--inFlight === 0) settled?.();
    }
  };
  return new Promise<{ url: string; close(graceMs?: number): Promise<void> }>((resolve, reject) => {
    const server = serve({ fetch, port: opts.port, hostname: opts.host }, (info) => {
      const http = server as Server;
      const handlersDone = (ms: number) =>
        new Promise<void>((done) => {
          if (inFlight === 0) return done();
          settled = done;
          setTimeout(done, ms).unref();
        });
      resolve({
        url: `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
        close: async (graceMs = CLOSE_GRACE_MS) => {
          let cut = false;
          const timer = setTimeout(() => {
            cut = true;
            http.closeAllConnections();
          }, graceMs);
          await new Promise<void>((done) => {
            http.close(() => done());
            http.closeIdleConnections();
          });
          clearTimeout(timer);
          await handlersDone(cut ? CLEANUP_MS : graceMs);
        },
      });
    });
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`cannot listen on ${opts.host}:${opts.port}: the address is in use (EADDRINUSE); set PORT or HOST`) : e),
    );
  });
}
