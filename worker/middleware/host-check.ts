import type { MiddlewareHandler } from 'hono';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for the addresses and names of this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** `host[:port]` → lower-case host name (brackets kept for IPv6), or null when it is not a host. */
export function hostName(hostHeader: string): string | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(hostHeader.trim());
  return m ? m[1].toLowerCase() : null;
}

/**
 * Closes DNS rebinding: a server bound to loopback serves only requests whose `Host` names loopback
 * (any port) or one of `allowedHosts`; any server with `allowedHosts` serves only those (and loopback
 * names when bound to loopback). Others answer 421. An entry with a port matches only that port.
 */
export function hostCheck(opts: { bindHost?: string; allowedHosts: readonly string[] }): MiddlewareHandler {
  const loopback = opts.bindHost !== undefined && isLoopbackHost(opts.bindHost);
  const allowed = new Set(opts.allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean));
  const enforced = loopback || allowed.size > 0;
  return async (c, next) => {
    if (!enforced) return next();
    const header = c.req.header('host') ?? new URL(c.req.url).host;
    const name = hostName(header);
    const ok = name !== null && ((loopback && (LOOPBACK_NAMES.has(name) || isLoopbackHost(name))) || allowed.has(name) || allowed.has(header.trim().toLowerCase()));
    if (!ok) {
      throw new HireDbError(
        'MISDIRECTED_REQUEST',
        `this server does not answer for host ${quoteInput(header, 100)}; an operator can add it to HIREDB_ALLOWED_HOSTS`,
      );
    }
    return next();
  };
}
