import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../shared/platform/logger.ts';
import { BodyRateMeter } from './body-rate.ts';
import { addressInUse, CLEANUP_MS, CLOSE_GRACE_MS, type Listening, type ListenOptions } from './listener.ts';

export type NodeServeOptions = ListenOptions;
export { CLOSE_GRACE_MS };

/**
 * Serves the app on Node; resolves once listening, with the bound address and a close function that stops
 * accepting connections, lets requests in flight finish for up to `graceMs`, then cuts the connections left
 * (an upload cut off this way stores nothing and queues nothing) and waits for their handlers to end.
 */
export function serveOnNode(app: Hono, opts: NodeServeOptions): Promise<Listening> {
  const headersTimeoutMs = opts.headersTimeoutMs ?? 30_000;
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
  return new Promise<Listening>((resolve, reject) => {
    const server = serve(
      {
        fetch,
        port: opts.port,
        hostname: opts.host,
        serverOptions: {
          headersTimeout: headersTimeoutMs,
          // No limit on a whole request: a large upload on a slow link may take hours; the body-rate guard
          // cuts off the clients that stall.
          requestTimeout: 0,
          connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(headersTimeoutMs / 4))),
        },
      },
      (info) => {
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
              server.closeAllConnections();
            }, graceMs);
            await new Promise<void>((done) => {
              server.close(() => done());
              server.closeIdleConnections();
            });
            clearTimeout(timer);
            await handlersDone(cut ? CLEANUP_MS : graceMs);
          },
        });
      },
    ) as Server;
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? addressInUse(opts.host, opts.port) : e),
    );
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket, opts.log, headersTimeoutMs));
    const minRate = opts.bodyMinBytesPerSecond ?? 1024;
    const windowMs = opts.bodyRateWindowMs ?? 30_000;
    if (minRate > 0) server.on('request', (req: IncomingMessage, res: ServerResponse) => guardBodyRate(req, res, minRate, windowMs, opts.log));
  });
}

function errorJson(code: string, message: string, requestId: string = crypto.randomUUID()): string {
  return JSON.stringify({ error: { code, message, request_id: requestId } });
}

/** Malformed requests and headers that came too slowly: answered here, since they never reach the app. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, log: Logger | undefined, headersTimeoutMs: number) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const [status, code, message] = timeout
    ? ['408 Request Timeout', 'REQUEST_TIMEOUT', `request headers did not arrive within ${headersTimeoutMs} ms`]
    : ['400 Bad Request', 'BAD_PARAMETER', 'malformed HTTP request'];
  const body = errorJson(code, message);
  if (timeout) log?.warn('request headers too slow: connection closed', { remote: socket.remoteAddress, headers_timeout_ms: headersTimeoutMs });
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Cuts off a request whose body arrives slower than the minimum rate: 408, a log line, connection closed. */
function guardBodyRate(req: IncomingMessage, res: ServerResponse, minRate: number, windowMs: number, log: Logger | undefined) {
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || req.complete) return;
  const socket = req.socket;
  const startBytes = socket.bytesRead;
  const meter = new BodyRateMeter(minRate, windowMs);
  const timer = setInterval(() => {
    const received = socket.bytesRead - startBytes;
    // A paused request is the server's own backpressure, not a slow client.
    if (!meter.tooSlow(Date.now(), received, !req.isPaused())) return;
    stop();
    const requestId = crypto.randomUUID();
    log?.warn('request body too slow: cut off', {
      request_id: requestId,
      method: req.method,
      path: req.url,
      received_bytes: received,
      min_bytes_per_second: minRate,
      window_ms: windowMs,
    });
    if (!res.headersSent) {
      const body = errorJson('REQUEST_TIMEOUT', `the request body arrived slower than ${minRate} bytes/s over ${windowMs} ms`, requestId);
      res.writeHead(408, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body, () => socket.destroy());
    } else {
      socket.destroy();
    }
  }, Math.max(10, Math.floor(windowMs / 10)));
  timer.unref();
  const stop = () => clearInterval(timer);
  req.once('end', stop);
  res.once('finish', stop);
  res.once('close', stop);
}
