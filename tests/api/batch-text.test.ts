// The batch endpoint decodes the body bytes itself: invalid UTF-8, a lone surrogate, a NUL or a record
// over MAX_RECORD_BYTES rejects that row only, with the same answer on SQLite and PostgreSQL.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, sums, TEST_DATABASES, type Harness } from './harness.ts';

const url = '/api/v1/departments/batch';
const body = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe.each(TEST_DATABASES)('%s', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
  });
  afterEach(async () => {
    await h.close();
  });

  const post = (type: string, data: Buffer) => h.request(url, { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(data) });

  it('CSV: an invalid byte, a NUL and a 2 MiB record each reject their row; the others are inserted', async () => {
    const res = await post(
      'text/csv',
      body('1,Sales\n2,Bad ', [0xff], '\n3,Nul\u0000\n', `4,${'y'.repeat(2 * 1024 * 1024)}\n5,Caf\u00e9\n`),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ processed: 5, inserted: 2, already_exists: 0, rejected: 3 });
    expect(sums(res.body)).toBe(true);
    expect(res.body.errors.map((e: { index: number; reasons: string[] }) => [e.index, e.reasons])).toEqual([
      [1, ['invalid_encoding']],
      [2, ['invalid_character']],
      [3, ['record_too_long']],
    ]);
    const again = await h.postJson(url, [{ id: 5, department: 'Café' }]);
    expect(again.body).toMatchObject({ already_exists: 1 }); // stored as Café, not with U+FFFD
  });

  it('JSON: a lone surrogate escape or invalid bytes in a string reject that row, never stored as U+FFFD', async () => {
    const res = await post(
      'application/json',
      body('[{"id":1,"department":"ok"},{"id":2,"department":"lone \\ud800"},{"id":3,"department":"bad ', [0xc3, 0x28], '"}]'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ processed: 3, inserted: 1, rejected: 2 });
    expect(res.body.errors.map((e: { index: number; reasons: string[] }) => [e.index, e.reasons])).toEqual([
      [1, ['invalid_encoding']],
      [2, ['invalid_encoding']],
    ]);
  });
});
