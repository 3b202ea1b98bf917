import type { Role } from '../../shared/domain/roles.ts';

/**
 * What each route needs, by the method and path it is registered with: a role, `open` (no key ever), or
 * `report` (role read, or no key when HIREDB_PUBLIC_REPORTS=true). A registered route missing here is
 * refused to everyone (and the access test fails), so a new route cannot be open by accident.
 */
export type Access = Role | 'open' | 'report';

export const ACCESS_RULES: Readonly<Record<string, Access>> = {
  'GET /health': 'open',
  // The dashboard, its files and the API's description hold no data: the page asks for a key itself
  'GET /': 'open',
  'GET /assets/:name': 'open',
  'GET /docs': 'open',
  'GET /openapi.json': 'open',
  // The original API
  'POST /upload-files': 'ingest',
  'POST /departments': 'ingest',
  'POST /jobs': 'ingest',
  'POST /upload-hired-employees': 'ingest',
  'GET /task-list': 'read',
  'GET /task-status/:id': 'read',
  'GET /report/:name': 'report',
  // The versioned API
  'POST /api/v1/:table/batch': 'ingest',
  'PUT /api/v1/files/:name': 'ingest',
  'GET /api/v1/tasks': 'read',
  'GET /api/v1/tasks/:id': 'read',
  'GET /api/v1/tasks/:id/rejects': 'read',
  'POST /api/v1/tasks/:id/retry': 'ingest',
  'GET /api/v1/reports/:name': 'report',
  'GET /api/v1/keys': 'admin',
  'POST /api/v1/keys': 'admin',
  'DELETE /api/v1/keys/:name': 'admin',
};

export const accessOf = (method: string, path: string): Access | undefined => ACCESS_RULES[`${method} ${path}`];
