import type { Task } from '../domain/task.ts';
import type { Database } from '../ports/database.port.ts';

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;

/**
 * Waits until a task is done or failed, reading the status table (whichever loader runs it, in this process
 * or another); null when it has not finished within `timeoutMs`.
 */
export async function waitForTask(db: Database, taskId: number, timeoutMs: number): Promise<Task | null> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
    const task = await db.tasks.get(taskId);
    if (!task) throw new Error(`task ${taskId} disappeared from the status table`);
    if (task.status === 'done' || task.status === 'failed') return task;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
