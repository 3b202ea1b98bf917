// The rules, the SQL of each dialect and the encodings all follow the one descriptor of each table's columns.
import { describe, expect, it } from 'vitest';
import { COPY_INTO, EXISTING_IN_RANGE, EXISTING_OF, INSERT_NEW } from '../../shared/adapters/db/postgres.sql.ts';
import { INSERT_FROM_STAGING } from '../../shared/adapters/db/mssql.sql.ts';
import { STAGING_COLUMNS, stagingDdl, stagingRow } from '../../shared/adapters/db/mssql-bulk.ts';
import { decodeCopyLines, encodeLines } from '../../shared/domain/copy-text.ts';
import { INT_COLUMNS, toColumns } from '../../shared/domain/row-columns.ts';
import { checkRecord, describeReject, MAX_ID, REFERENCES } from '../../shared/domain/row-rules.ts';
import { COLUMNS, TABLE_COLUMNS, TABLES, type ColumnSpec, type RowOf, type TableName } from '../../shared/domain/tables.ts';
import { newLoadContext, validateRecord } from '../../shared/service/validate.ts';
import { norm } from '../helpers/mssql-fake.ts';

const columnsOf = (table: TableName) => TABLE_COLUMNS[table] as readonly ColumnSpec[];

/** A valid field of each kind, as written in a CSV file, and the value checkRecord makes of it. */
const VALID: Record<ColumnSpec['kind'], [string, number | string]> = {
  id: ['7', 7],
  ref: ['3', 3],
  text: [' Ann Lee ', 'Ann Lee'],
  datetime: ['2021-07-27T16:02:08-03:00', '2021-07-27T19:02:08Z'],
};
const validFields = (table: TableName) => columnsOf(table).map((c) => VALID[c.kind][0]);
const validRow = (table: TableName) => Object.fromEntries(columnsOf(table).map((c) => [c.name, VALID[c.kind][1]])) as unknown as RowOf[TableName];

/** A field each kind of column rejects, and the reason it is rejected for. */
const broken = (c: ColumnSpec): [string, string] => {
  switch (c.kind) {
    case 'id':
    case 'ref':
      return [String(MAX_ID + 1), `invalid_${c.name}`];
    case 'text':
      return ['x'.repeat(c.maxLength + 1), `too_long_${c.name}`];
    case 'datetime':
      return ['2021-02-29T00:00:00Z', 'invalid_datetime'];
  }
};

describe.each(TABLES)('the columns of %s', (table) => {
  const columns = columnsOf(table);
  const names = columns.map((c) => c.name);

  it('start with the id, and are the names of COLUMNS', () => {
    expect(columns[0]).toEqual({ name: 'id', kind: 'id' });
    expect([...COLUMNS[table]]).toEqual(names);
  });

  it('make the rows checkRecord returns: plain objects with the columns as keys, in order', () => {
    const { row, reasons } = checkRecord(table, validFields(table));
    expect(reasons).toBeNull();
    expect(Object.keys(row!)).toEqual(names);
    expect(row).toStrictEqual(validRow(table));
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  it('decide the reasons of checkRecord, in column order', () => {
    const empty = names.map(() => '');
    expect(checkRecord(table, empty).reasons).toEqual(names.map((n) => `missing_${n}`));
    expect(checkRecord(table, columns.map((c) => broken(c)[0])).reasons).toEqual(columns.map((c) => broken(c)[1]));
    expect(checkRecord(table, [...validFields(table), '1']).reasons).toEqual(['field_count']);
    for (const c of columns) {
      if (c.kind !== 'text') continue;
      const fields = validFields(table);
      fields[names.indexOf(c.name)] = 'y'.repeat(c.maxLength);
      expect(checkRecord(table, fields).reasons, c.name).toBeNull();
    }
    for (const c of columns) expect(describeReject(table, 'line 1', [broken(c)[1] as never]), c.name).not.toMatch(/^line 1: \w+ \[/);
  });

  it('decide the unknown_<ref> reasons of validateRecord, one per ref column', () => {
    const refs = columns.filter((c): c is Extract<ColumnSpec, { kind: 'ref' }> => c.kind === 'ref');
    expect(REFERENCES[table].map((r) => [r.column, r.table])).toEqual(refs.map((c) => [c.name, c.references]));
    const ctx = newLoadContext(table, { departmentIds: new Set(), jobIds: new Set() });
    const result = validateRecord(ctx, 1, '', validFields(table));
    if (refs.length === 0) expect(result.reject).toBeNull();
    else expect(result.reject?.reasons).toEqual(refs.map((c) => `unknown_${c.name.replace(/_id$/, '')}`));
    // Without the ids of a referenced table, its column is not checked.
    expect(validateRecord(newLoadContext(table), 1, '', validFields(table)).reject).toBeNull();
  });

  it('decide which columns cross the thread boundary as Int32Arrays, and the COPY text order', () => {
    const ints = columns.filter((c) => c.kind === 'id' || c.kind === 'ref').map((c) => c.name);
    expect([...INT_COLUMNS[table]]).toEqual(ints);
    const row = validRow(table);
    const packed = toColumns(table, [row]);
    expect(Object.keys(packed)).toEqual(names);
    for (const n of names) expect(packed[n] instanceof Int32Array, n).toBe(ints.includes(n));
    const [line] = encodeLines(table, { count: 1, columns: packed });
    expect(line).toBe(`${names.map((n) => (row as unknown as Record<string, unknown>)[n]).join('\t')}\n`);
    const copy = { bytes: new TextEncoder().encode(line), ends: new Int32Array([new TextEncoder().encode(line).length]) };
    expect(decodeCopyLines(table, copy, 1)).toEqual(packed);
  });

  it('make the PostgreSQL statements: column lists, and unnest casts by kind', () => {
    const list = names.join(', ');
    expect(COPY_INTO[table]).toBe(`COPY ${table} (${list}) FROM STDIN`);
    const pgType = { id: 'int', ref: 'int', text: 'text', datetime: 'timestamptz' };
    const casts = columns.map((c, i) => `$${i + 1}::${pgType[c.kind]}[]`).join(', ');
    expect(norm(INSERT_NEW[table])).toBe(
      `INSERT INTO ${table} (${list}) SELECT * FROM unnest(${casts}) ORDER BY 1 ON CONFLICT (id) DO NOTHING RETURNING id`,
    );
    expect(EXISTING_IN_RANGE[table]).toBe(`SELECT id FROM ${table} WHERE id BETWEEN $1 AND $2`);
    expect(EXISTING_OF[table]).toBe(`SELECT id FROM ${table} WHERE id = ANY($1::int[])`);
  });

  it('make the SQL Server #staging columns, their rows and the copy out of #staging', () => {
    const bulk = columns.map((c) =>
      c.kind === 'text'
        ? { name: c.name, type: 'NVarChar', length: c.maxLength, nullable: false }
        : c.kind === 'datetime'
          ? { name: c.name, type: 'DateTime2', scale: 7, nullable: false }
          : { name: c.name, type: 'Int', nullable: false },
    );
    expect(STAGING_COLUMNS[table]).toEqual(bulk);
    expect(norm(stagingDdl(table))).toContain(`CREATE TABLE #staging (id INT NOT NULL PRIMARY KEY, `);
    const staged = stagingRow(table, validRow(table));
    expect(staged.map((v) => (v instanceof Date ? v.toISOString() : v))).toEqual(
      columns.map((c) => (c.kind === 'datetime' ? '2021-07-27T19:02:08.000Z' : VALID[c.kind][1])),
    );
    expect(norm(INSERT_FROM_STAGING[table])).toMatch(
      new RegExp(`INSERT INTO ${table} \\(${names.join(', ')}\\)( OUTPUT inserted\\.id INTO @fresh)? SELECT ${names.map((n) => `s\\.${n}`).join(', ')} FROM #staging s `),
    );
  });
});
