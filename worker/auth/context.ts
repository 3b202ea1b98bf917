import type { Context } from 'hono';
import type { Role } from '../../shared/domain/roles.ts';

/** The key a request was authenticated with. */
export interface AuthenticatedKey {
  name: string;
  role: Role;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by the access-control middleware: the request's key, or null (no key needed, or none given). */
    apiKey: AuthenticatedKey | null;
    /** Facts a route adds to the write log line of its request (e.g. `task_ids`), see noteWrite. */
    writeFacts: Record<string, unknown>;
  }
}

/** Who made the request, as logs name it: the key's name, or "anonymous". */
export const keyNameOf = (c: Context): string => c.get('apiKey')?.name ?? 'anonymous';

/** Adds facts about what a write did (its task ids, the key it made) to its log line. */
export function noteWrite(c: Context, facts: Record<string, unknown>): void {
  c.set('writeFacts', { ...c.get('writeFacts'), ...facts });
}
