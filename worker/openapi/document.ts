/** Builds the OpenAPI 3.1 document from the route registry and the valibot schemas. */
import { toJsonSchemaDefs } from '@valibot/to-json-schema';
import { VERSION } from '../../shared/version.ts';
import { ROUTE_TAGS, ROUTES, type ResponseDoc, type RouteDoc } from './routes.ts';
import { SCHEMAS } from './schemas.ts';
import { accessOf, type Access } from '../auth/access-rules.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `/tasks/:id` → `/tasks/{id}`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, '{$1}');

function response(doc: ResponseDoc) {
  const content: Record<string, unknown> = {};
  if (doc.json) content['application/json'] = { schema: ref(doc.json) };
  if (doc.csv) content['text/csv'] = { schema: { type: 'string' } };
  if (doc.html) content['text/html'] = { schema: { type: 'string' } };
  if (doc.media) content[doc.media] = { schema: { type: doc.media === 'application/json' ? 'object' : 'string' } };
  return {
    description: doc.description,
    ...(Object.keys(content).length > 0 && { content }),
    ...(doc.headers && { headers: Object.fromEntries(Object.entries(doc.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }),
  };
}

/** What the access rules say about a route, for a reader of the document. */
function accessNote(access: Access | undefined): string {
  if (access === 'open') return 'Needs no API key.';
  if (access === 'report') return 'Needs a key with role read or above once keys exist, unless HIREDB_PUBLIC_REPORTS=true.';
  if (access === undefined) return 'Refused to every key (no access rule).';
  return `Needs a key with role ${access} or above once keys exist.`;
}

function operation(route: RouteDoc) {
  const access = accessOf(route.method, route.path);
  const secured = access !== 'open';
  const responses: Record<string, unknown> = Object.fromEntries(Object.entries(route.responses).map(([status, doc]) => [status, response(doc)]));
  if (secured) {
    responses['401'] ??= { $ref: '#/components/responses/AuthRequired' };
    responses['403'] ??= { $ref: '#/components/responses/Forbidden' };
  }
  responses.default ??= { $ref: '#/components/responses/Error' };
  const body = route.body && {
    required: true,
    description: route.body.description,
    content: {
      ...(route.body.json && { 'application/json': { schema: ref(route.body.json) } }),
      ...(route.body.csv && { 'text/csv': { schema: { type: 'string' } } }),
      ...(route.body.binary && { 'application/gzip': { schema: { type: 'string', contentMediaType: 'application/gzip' } } }),
    },
  };
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? '').toUpperCase()) || 'Root'}`,
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, accessNote(access)].filter(Boolean).join(' '),
    ...(route.params && { parameters: route.params.map((p) => ({ name: p.name, in: p.in, required: p.in === 'path' || !!p.required, description: p.description, schema: p.schema })) }),
    ...(body && { requestBody: body }),
    responses,
    ...(!secured && { security: [] }),
  };
}

export function buildOpenApi(routes: RouteDoc[] = ROUTES) {
  const schemas = JSON.parse(JSON.stringify(toJsonSchemaDefs(SCHEMAS, { target: 'draft-2020-12' })).replaceAll('#/$defs/', '#/components/schemas/'));
  for (const schema of Object.values(schemas) as Record<string, unknown>[]) delete schema.$schema;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation(route);
  const error = (description: string) => ({ description, content: { 'application/json': { schema: ref('ErrorBody') } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'HireDB',
      version: VERSION,
      description:
        'Loads HR CSV files (departments, jobs, hired_employees) into SQL, accepts batch inserts and serves hiring reports. ' +
        'Errors are `{"error": {"code", "message", "request_id"}}`; every load and batch answers processed = inserted + already_exists + rejected.',
    },
    tags: ROUTE_TAGS.map((name) => ({ name })),
    // A loopback server with no key yet is open, hence the empty alternative.
    security: [{ bearer: [] }, { apiKey: [] }, {}],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key as `Authorization: Bearer <key>`' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'an API key in the X-API-Key header' },
      },
      responses: {
        AuthRequired: error('no API key, or an unknown one (AUTH_REQUIRED); answered with WWW-Authenticate'),
        Forbidden: error("the key's role does not allow this (FORBIDDEN)"),
        Error: error('an error: METHOD_NOT_ALLOWED (405, with Allow), INTERNAL (500), or another code of ErrorBody'),
      },
    },
  };
}
