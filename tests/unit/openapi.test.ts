// The OpenAPI document: valid OpenAPI 3.1, and in step with the app: every route the app registers is
// documented and every documented operation exists, so a new route without documentation fails here.
import SwaggerParser from '@apidevtools/swagger-parser';
// Ajv comes with swagger-parser; it checks the API's real answers against the document's schemas.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from '../api/harness.ts';
import { createApp } from '../../worker/app.ts';
import { openApiPath } from '../../worker/openapi/document.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { STATUS_OF } from '../../worker/http-error.ts';
import { accessOf } from '../../worker/auth/access-rules.ts';

let h: Harness;
let doc: any;
beforeAll(async () => {
  h = await openHarness('sqlite');
  const res = await h.get('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  doc = res.body;
});
afterAll(() => h?.close());

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser, $refs resolved)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });

  it('documents every route the app registers, and no route the app lacks', () => {
    const app = createApp({ db: h.db, blob: h.blob, log: silentLogger });
    const registered = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`));
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect([...registered].filter((r) => !documented.has(r)), 'routes without documentation (add them to worker/openapi/routes.ts)').toEqual([]);
    expect([...documented].filter((r) => !registered.has(r)), 'documented routes the app does not have').toEqual([]);
  });

  it('declares the path parameters of each path and a response schema for each JSON answer', () => {
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) {
        expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort(), path).toEqual([...names].sort());
        for (const r of Object.values(op.responses) as any[]) {
          if (r.content?.['application/json'] && path !== '/openapi.json') expect(r.content['application/json'].schema, path).toHaveProperty('$ref');
        }
      }
    }
  });

  it('describes the error body with its codes, the request bodies and both security schemes', () => {
    const error = doc.components.schemas.ErrorBody;
    expect(error.properties.error.required).toEqual(expect.arrayContaining(['code', 'message']));
    expect(Object.keys(error.properties.error.properties)).toEqual(['code', 'message', 'request_id']);
    expect(error.properties.error.properties.code.description).toContain('BAD_PARAMETER');
    const batch = doc.paths['/api/v1/{table}/batch'].post.requestBody.content;
    expect(Object.keys(batch)).toEqual(['application/json', 'text/csv']);
    expect(doc.components.schemas.BatchRows).toMatchObject({ type: 'array', minItems: 1, maxItems: 1000 });
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/tasks'].get.responses['401']).toBeDefined();
  });

  it('lists exactly the error codes the API answers with, each with its status, and request_id as required', () => {
    const error = doc.components.schemas.ErrorBody.properties.error;
    // STATUS_OF is typed Record<ErrorCode, status>: it holds every member of the ErrorCode union.
    expect([...error.properties.code.enum].sort()).toEqual(Object.keys(STATUS_OF).sort());
    for (const [code, status] of Object.entries(STATUS_OF)) expect(error.properties.code.description).toContain(`${code} (${status}):`);
    expect(error.required).toEqual(['code', 'message', 'request_id']);
  });

  it('asks for a key exactly where the access rules do, and names the role', () => {
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const access = accessOf(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1'));
        expect(access, `${method} ${path} has an access rule`).toBeDefined();
        if (access === 'open') expect(op.security, `${method} ${path}`).toEqual([]);
        else {
          expect(op.security, `${method} ${path}`).toBeUndefined();
          expect(op.responses['401'], `${method} ${path}`).toBeDefined();
        }
      }
    }
    expect(doc.paths['/api/v1/keys'].post.description).toContain('role admin');
    expect(doc.paths['/api/v1/files/{name}'].put.description).toContain('role ingest');
  });

  it('matches what the API answers: a task view and a report validate against their schemas', async () => {
    await h.copySampleIntoBlob();
    h.startLoader();
    await h.settle(3);
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    const check = (name: string, value: unknown) => {
      const validate = ajv.getSchema(`#/components/schemas/${name}`)!;
      expect(validate(value), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    };
    check('TaskList', (await h.get('/api/v1/tasks')).body);
    check('RejectPage', (await h.get('/api/v1/tasks/3/rejects')).body);
    check('HiredByQuarter', (await h.get('/api/v1/reports/hired-by-quarter')).body);
    check('HiringAboveAverage', (await h.get('/api/v1/reports/hiring-above-average')).body);
    check('Health', (await h.get('/health')).body);
    check('Home', (await h.get('/')).body);
    check('ErrorBody', (await h.get('/api/v1/tasks/99999')).body);

    const post = (body: unknown) => h.app.request('/api/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await post({ name: 'viewer', role: 'read' });
    expect(created.status).toBe(201);
    check('ApiKeyCreated', await created.json());
    const admin = await post({ name: 'ops', role: 'admin' });
    const { key } = (await admin.json()) as { key: string };
    const auth = { authorization: `Bearer ${key}` };
    check('ApiKeyList', await (await h.app.request('/api/v1/keys', { headers: auth })).json());
    check('ApiKey', await (await h.app.request('/api/v1/keys/viewer', { method: 'DELETE', headers: auth })).json());
    const taken = await h.app.request('/api/v1/keys', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'viewer', role: 'read' }) });
    expect(taken.status).toBe(409);
    check('ErrorBody', await taken.json());
    const refused = await h.app.request('/api/v1/tasks');
    expect(refused.status).toBe(401);
    check('ErrorBody', await refused.json());
  });
});
