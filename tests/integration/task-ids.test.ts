// Task ids shown to users stay dense: enqueueing a file version that already has a task burns no id.
import { describe, expect, it } from 'vitest';
import { TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';

describe.each(TEST_DATABASES)('%s', (kind) => {
  let t: TestDatabase;
  useFreshDatabase(kind, (opened) => (t = opened));

  it('a duplicate enqueue answers the existing task and the next new task takes the next id', async () => {
    const entry = (name: string) => ({ file_name: name, file_version: 'v1', table_name: 'departments' as const, bytes_total: 10 });
    const first = await t.db.tasks.enqueue(entry('departments.csv'), 1);
    for (let i = 0; i < 3; i++) {
      const again = await t.db.tasks.enqueue(entry('departments.csv'), 2);
      expect(again).toMatchObject({ created: false, task: { id: first.task.id } });
    }
    const next = await t.db.tasks.enqueue(entry('departments_2.csv'), 3);
    expect(next.created).toBe(true);
    expect(next.task.id).toBe(first.task.id + 1);
  });
});
