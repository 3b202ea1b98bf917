/**
 * Who may do what over HTTP. Each role includes the ones before it: `read` sees tasks, rejects and
 * reports; `ingest` also writes (batches, uploads, load triggers, retries); `admin` also manages keys.
 */
export const ROLES = ['read', 'ingest', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Whether a key of role `has` may do what needs role `needs`. */
export const roleGrants = (has: Role, needs: Role): boolean => ROLES.indexOf(has) >= ROLES.indexOf(needs);
