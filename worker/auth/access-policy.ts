/** How the HTTP API decides whether a request needs a key, and what `serve` allows at start-up. */
export interface AccessPolicy {
  /**
   * true: every request (but `/health`, and public reports) needs a key. false: requests are served
   * without a key while the database holds no key at all; once one exists, keys are needed.
   */
  keysRequired: boolean;
  /** HIREDB_PUBLIC_REPORTS: the two reports (versioned and original) are readable without a key. */
  publicReports: boolean;
  /** How long a looked-up key (or its absence) is trusted before the database is asked again; 5 s. */
  cacheMs?: number;
  /** A key's last_used_at is written at most this often per process; 60 s. */
  touchEveryMs?: number;
  /** The clock of the caches (tests pass a fake one). */
  now?: () => number;
}

/** Loopback names and addresses: 127.0.0.0/8, ::1 and localhost (as a host to bind to). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

export type StartAccess =
  | { ok: true; policy: AccessPolicy; notice: { warning: boolean; message: string } | null }
  | { ok: false; message: string };

/**
 * The access rules a server bound to `host` starts with: with no key in the database, a loopback server
 * is open (the two-command start works) and any other refuses to start, unless `HIREDB_AUTH=off`.
 */
export function accessAtStart(opts: { host: string; auth: 'auto' | 'off'; publicReports: boolean; keysExist: boolean }): StartAccess {
  const loopback = isLoopbackHost(opts.host);
  const policy: AccessPolicy = { keysRequired: !loopback && opts.auth !== 'off', publicReports: opts.publicReports };
  const firstKey = 'hiredb keys create --role admin --name <name>';
  if (opts.keysExist) return { ok: true, policy, notice: null };
  if (loopback) {
    return {
      ok: true,
      policy,
      notice: {
        warning: false,
        message: `no API key exists and HOST=${opts.host} is a loopback address: requests are served without a key until the first one is created (${firstKey})`,
      },
    };
  }
  if (opts.auth === 'off') {
    return {
      ok: true,
      policy,
      notice: {
        warning: true,
        message: `HIREDB_AUTH=off: HOST=${opts.host} is not a loopback address and no API key exists, so anyone who reaches the port can read and write until the first key is created (${firstKey})`,
      },
    };
  }
  return {
    ok: false,
    message:
      `HOST=${opts.host} is not a loopback address and no API key exists: create one first (${firstKey}), ` +
      'or set HIREDB_AUTH=off to serve without keys (e.g. behind a proxy that authenticates)',
  };
}
