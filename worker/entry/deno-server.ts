import type { Hono } from 'hono';
import type { Logger } from '../../shared/platform/logger.ts';
import { BodyRateMeter } from './body-rate.ts';
import { addressInUse, CLEANUP_MS, CLOSE_GRACE_MS, type Listening, type ListenOptions } from './listener.ts';

/** The part of Deno's API used here (the project's types are Node's). */
interface DenoHttpServer {
  readonly addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
}
interface DenoApi {
  serve(
    options: { hostname: string; port: number; onListen(addr: { hostname: string; port: number }): void; onError(error: unknown): Response },
    handler: (request: Request) => Promise<Response>,
  ): DenoHttpServer;
  errors: { AddrInUse: new (...args: never[]) => Error };
}

function deno(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (!api) throw new Error('serveOnDeno needs the Deno runtime; on Node, hiredb serve serves the app');
  return api;
}

function errorResponse(status: number, code: string, message: string, requestId: string = crypto.randomUUID()): Response {
  return new Response(JSON.stringify({ error: { code, message, request_id: requestId } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' },
  });
}

/** Resolves after `ms` unless cancelled first (so a finished wait leaves no timer keeping the process up). */
function wait(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}

interface Handling {
  /** Cuts the request off: its body ends in an error and its signal aborts (an upload stores nothing). */
  cut: AbortController;
  settled: Promise<void>;
}

/**
 * Serves the app with `Deno.serve`; resolves once listening. The same rules as on Node where Deno lets
 * them be kept: a request body slower than the minimum rate is answered 408 and cut off; closing stops
 * accepting connections, lets requests in flight finish for up to `graceMs`, then cuts those left and
 * gives their handlers CLEANUP_MS to clean up. Request headers are timed by Deno itself.
 */
export function serveOnDeno(app: Hono, opts: ListenOptions): Promise<Listening> {
  const api = deno();
  const minRate = opts.bodyMinBytesPerSecond ?? 1024;
  const windowMs = opts.bodyRateWindowMs ?? 30_000;
  const handling = new Set<Handling>();

  const handler = (request: Request): Promise<Response> => {
    const cut = new AbortController();
    const guard = request.body ? guardBody(request, cut, minRate, windowMs, opts.log) : null;
    const answer = Promise.resolve().then(() => app.fetch(guard?.request ?? request));
    const entry: Handling = { cut, settled: answer.then(noop, noop) };
    handling.add(entry);
    void entry.settled.then(() => {
      handling.delete(entry);
      guard?.stop();
    });
    return guard ? Promise.race([answer, guard.tooSlow]) : answer;
  };

  return new Promise<Listening>((resolve, reject) => {
    let server: DenoHttpServer;
    const onListen = (addr: { hostname: string; port: number }) => {
      const host = addr.hostname.includes(':') ? `[${addr.hostname}]` : addr.hostname;
      resolve({
        url: `http://${host}:${addr.port}`,
        close: async (graceMs = CLOSE_GRACE_MS) => {
          const grace = wait(graceMs);
          const inTime = await Promise.race([server.shutdown().then(() => true), grace.done.then(() => false)]);
          grace.cancel();
          if (inTime) return;
          for (const h of handling) h.cut.abort(new Error('the server is stopping: request aborted'));
          const cleanup = wait(CLEANUP_MS);
          await Promise.race([Promise.all([...handling].map((h) => h.settled)), cleanup.done]);
          cleanup.cancel();
        },
      });
    };
    const onError = (error: unknown) => {
      opts.log?.error('request failed outside the app', { error: String(error) });
      return errorResponse(500, 'INTERNAL', 'internal error');
    };
    try {
      server = api.serve({ hostname: opts.host, port: opts.port, onListen, onError }, handler);
    } catch (e) {
      reject(e instanceof api.errors.AddrInUse ? addressInUse(opts.host, opts.port) : e);
    }
  });
}

const noop = () => {};

/**
 * The request with its body read through a meter: while the app waits for bytes, they must come at
 * `minRate` over `windowMs` (see BodyRateMeter), or `tooSlow` resolves with a 408 and the request is cut
 * off. `cut` aborting ends the body in an error, never in a clean end that would pass for the whole body.
 */
function guardBody(request: Request, cut: AbortController, minRate: number, windowMs: number, log: Logger | undefined) {
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  let received = 0;
  let waiting = false;
  let finished = false;
  let controller: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: async (c) => {
        waiting = true;
        try {
          const next = await reader.read();
          if (cut.signal.aborted) return;
          if (next.done) {
            finished = true;
            c.close();
          } else {
            received += next.value.byteLength;
            c.enqueue(next.value);
          }
        } catch (e) {
          if (!cut.signal.aborted) c.error(e);
        } finally {
          waiting = false;
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  cut.signal.addEventListener('abort', () => {
    if (finished) return;
    controller.error(cut.signal.reason);
    reader.cancel(cut.signal.reason).catch(noop);
  });

  let answerSlow: (r: Response) => void = noop;
  const tooSlow = new Promise<Response>((resolve) => {
    answerSlow = resolve;
  });
  const meter = minRate > 0 ? new BodyRateMeter(minRate, windowMs) : null;
  const timer = meter
    ? setInterval(() => {
        if (finished || !meter.tooSlow(Date.now(), received, waiting)) return;
        stop();
        const requestId = crypto.randomUUID();
        const url = new URL(request.url);
        log?.warn('request body too slow: cut off', {
          request_id: requestId,
          method: request.method,
          path: url.pathname + url.search,
          received_bytes: received,
          min_bytes_per_second: minRate,
          window_ms: windowMs,
        });
        answerSlow(errorResponse(408, 'REQUEST_TIMEOUT', `the request body arrived slower than ${minRate} bytes/s over ${windowMs} ms`, requestId));
        cut.abort(new Error('request body too slow: aborted'));
      }, Math.max(10, Math.floor(windowMs / 10)))
    : undefined;
  const stop = () => clearInterval(timer);
  const guarded = new Request(request, { body, signal: AbortSignal.any([request.signal, cut.signal]), duplex: 'half' } as RequestInit);
  return { request: guarded, tooSlow, stop };
}
