// What HTTP clients expect of any API: 405 with Allow, CSV by Accept, downloads named, bad formats refused, empty uploads refused.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from './harness.ts';

describe('HTTP habits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('sqlite');
    await h.copySampleIntoBlob();
    h.startLoader();
    await h.settle(3);
  });
  afterAll(async () => {
    await h.close();
  });

  it('a wrong method on a known path is a 405 that lists the allowed methods; an unknown path stays a 404', async () => {
    const batch = await h.get('/api/v1/departments/batch');
    expect(batch.status).toBe(405);
    expect(batch.headers.get('allow')).toBe('POST');
    expect(batch.body.error.code).toBe('METHOD_NOT_ALLOWED');
    const task = await h.request('/api/v1/tasks/1', { method: 'DELETE' });
    expect(task.status).toBe(405);
    expect(task.headers.get('allow')).toBe('GET, HEAD');
    expect((await h.request('/upload-files')).headers.get('allow')).toBe('POST');
    expect((await h.get('/api/v1/nothing-here')).status).toBe(404);
  });

  it('report CSV is chosen by ?format=csv or Accept: text/csv, and downloads with a file name', async () => {
    for (const res of [await h.get('/api/v1/reports/hired-by-quarter?format=csv'), await h.get('/api/v1/reports/hired-by-quarter', { accept: 'text/csv' })]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/csv');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="hired-by-quarter-2021.csv"');
      expect(res.text.split('\n')[0]).toBe('department,job,Q1,Q2,Q3,Q4');
    }
    const other = await h.get('/report/hiring-above-average?year=2022&format=csv');
    expect(other.headers.get('content-disposition')).toBe('attachment; filename="hiring-above-average-2022.csv"');
  });

  it('an unknown format is a 400 on reports and on rejects alike', async () => {
    expect((await h.get('/api/v1/reports/hired-by-quarter?format=xml')).status).toBe(400);
    const rejects = await h.get('/api/v1/tasks/3/rejects?format=xml');
    expect(rejects.status).toBe(400);
    expect(rejects.body.error.code).toBe('BAD_PARAMETER');
    const csv = await h.get('/api/v1/tasks/3/rejects', { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toContain('text/csv');
  });

  it('PUT /api/v1/files/:name with an empty body is a 400 that stores no file and queues no task', async () => {
    const before = (await h.db.tasks.list({ limit: 1, offset: 0 })).total;
    for (const body of [undefined, '']) {
      const res = await h.request('/api/v1/files/departments_empty.csv', { method: 'PUT', headers: { 'content-type': 'text/csv' }, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('EMPTY_BODY');
    }
    const chunked = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    const res = await h.request('/api/v1/files/departments_empty.csv', { method: 'PUT', body: chunked, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(400);
    expect(readdirSync(h.blobDir).filter((n) => n.includes('empty'))).toEqual([]);
    expect((await h.db.tasks.list({ limit: 1, offset: 0 })).total).toBe(before);
  });
});
