import type { Hono } from 'hono';
import type { Logger } from '../../shared/platform/logger.ts';

/** Where and how a runtime's HTTP server serves the app (the settings of `hiredb serve`). */
export interface ListenOptions {
  port: number;
  host: string;
  log?: Logger;
  /** Request headers must arrive within this (default 30 s); then 408 and the connection closes. */
  headersTimeoutMs?: number;
  /** A request body must keep this rate (default 1 KiB/s) averaged over `bodyRateWindowMs`; 0 turns it off. */
  bodyMinBytesPerSecond?: number;
  bodyRateWindowMs?: number;
}

/** A listening server: its bound address, and a close that lets requests in flight finish for up to `graceMs`. */
export interface Listening {
  url: string;
  close(graceMs?: number): Promise<void>;
}

/** Serves the app on one runtime (Node's http server, Deno.serve); resolves once listening. */
export type Listen = (app: Hono, opts: ListenOptions) => Promise<Listening>;

/** How long requests in flight may take to finish once the server is closing. */
export const CLOSE_GRACE_MS = 10_000;
/** After the connections are cut, how long the handlers they leave get to clean up (an upload's partial file). */
export const CLEANUP_MS = 2_000;

export function addressInUse(host: string, port: number): Error {
  return new Error(`cannot listen on ${host}:${port}: the address is in use (EADDRINUSE); set PORT or HOST`);
}
