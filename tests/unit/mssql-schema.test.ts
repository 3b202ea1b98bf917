import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { splitSqlBatches } from '../../shared/adapters/db/mssql.sql.ts';
import { REJECT_COLUMNS, STAGING_COLUMNS, stagingDdl } from '../../shared/adapters/db/mssql-bulk.ts';
import { TABLES } from '../../shared/domain/tables.ts';
import { norm } from '../helpers/mssql-fake.ts';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Table name -> column name -> declared type (upper case, without NULL, keys, defaults or collation). */
function tablesOf(sql: string): Map<string, Map<string, string>> {
  const text = sql.replace(/--[^\n]*/g, '');
  const tables = new Map<string, Map<string, string>>();
  for (const m of text.matchAll(/CREATE TABLE\s+\[?([#\w]+)\]?\s*\(/gi)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; depth > 0; i++) depth += text[i] === '(' ? 1 : text[i] === ')' ? -1 : 0;
    const body = text.slice(start, i - 1);
    const parts: string[] = [];
    let level = 0;
    let current = '';
    for (const ch of body) {
      if (ch === ',' && level === 0) {
        parts.push(current);
        current = '';
        continue;
      }
      level += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      current += ch;
    }
    parts.push(current);
    const columns = new Map<string, string>();
    for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
      if (/^(PRIMARY|CONSTRAINT|UNIQUE|CHECK|FOREIGN|INDEX)\b/i.test(part)) continue;
      const [, name, rest] = /^\[?(\w+)\]?\s+(.*)$/s.exec(part)!;
      const type = /^(\w+(?:\s*\([^)]*\))?)/.exec(rest)![1].toUpperCase().replace(/\s+/g, '');
      columns.set(name, type === 'DATETIME2' ? 'DATETIME2(7)' : type);
    }
    tables.set(m[1], columns);
  }
  return tables;
}

describe('sql/mssql/001_init.sql', () => {
  const mssqlText = readFileSync(`${SQL_DIR}mssql/001_init.sql`, 'utf8');
  const sqlite = tablesOf(readFileSync(`${SQL_DIR}sqlite/001_init.sql`, 'utf8'));
  const mssql = tablesOf(mssqlText);

  it('has exactly the SQLite tables, with the same columns in the same order', () => {
    expect(sqlite.size).toBeGreaterThanOrEqual(6);
    for (const [table, columns] of sqlite) {
      expect(mssql.has(table), `table ${table}`).toBe(true);
      expect([...mssql.get(table)!.keys()], `columns of ${table}`).toEqual([...columns.keys()]);
    }
    expect([...mssql.keys()].sort()).toEqual([...sqlite.keys()].sort());
    expect(mssqlText).not.toMatch(/hires_daily/i);
  });

  it('keeps the original Azure SQL types', () => {
    expect(Object.fromEntries(mssql.get('hired_employees')!)).toEqual({
      id: 'INT',
      name: 'NVARCHAR(100)',
      datetime: 'DATETIME2(7)',
      department_id: 'INT',
      job_id: 'INT',
    });
    expect(mssql.get('departments')!.get('department')).toBe('NVARCHAR(100)');
    expect(mssql.get('jobs')!.get('job')).toBe('NVARCHAR(100)');
    const tasks = mssql.get('tasks')!;
    for (const c of ['lease_expires_at', 'created_at', 'started_at', 'finished_at', 'updated_at']) expect(tasks.get(c)).toBe('BIGINT');
    expect(tasks.get('dedupe_key')).toBe('NVARCHAR(450)');
    expect(norm(mssqlText)).toContain('id INT IDENTITY(1, 1) NOT NULL PRIMARY KEY');
    expect(norm(mssqlText)).toMatch(/dedupe_key NVARCHAR\(450\) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE/);
    expect(mssqlText.replace(/--[^\n]*/g, '')).not.toMatch(/FOREIGN\s+KEY|REFERENCES/i);
    expect(mssqlText).toMatch(/^-- No foreign keys: .*checked by the validate-and-insert/m);
  });

  it('is T-SQL batches separated by GO, with none of the SQLite dialect', () => {
    const batches = splitSqlBatches(mssqlText);
    expect(batches.length).toBeGreaterThanOrEqual(8);
    for (const b of batches) {
      expect(b).not.toMatch(/\bAUTOINCREMENT\b|WITHOUT ROWID|\bTEXT\b|\bINTEGER\b|ON CONFLICT/i);
      expect(b).not.toMatch(/^\s*GO\s*$/im);
    }
  });

  it('stages rows in #staging with the columns and types of their table', () => {
    for (const table of TABLES) {
      const staging = tablesOf(stagingDdl(table)).get('#staging')!;
      expect(Object.fromEntries(staging), table).toEqual(Object.fromEntries(mssql.get(table)!));
      expect(STAGING_COLUMNS[table].map((c) => c.name)).toEqual([...mssql.get(table)!.keys()]);
    }
    const rejects = mssql.get('task_rejects')!;
    expect(REJECT_COLUMNS.map((c) => c.name)).toEqual([...rejects.keys()]);
  });
});
