/**
 * Everything the benchmark must undo (temporary folders, PostgreSQL schemas, server processes) is
 * registered here and undone in reverse order: by the step that made it when it finishes, or all at
 * once when the run fails or is interrupted (Ctrl-C, SIGTERM).
 */
type Undo = () => void | Promise<void>;

const pending = new Map<number, { label: string; undo: Undo }>();
let nextId = 1;

/** Registers an undo step; the returned function runs it now (once) and forgets it. */
export function onCleanup(label: string, undo: Undo): () => Promise<void> {
  const id = nextId++;
  pending.set(id, { label, undo });
  return async () => {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    await runOne(entry.label, entry.undo);
  };
}

async function runOne(label: string, undo: Undo): Promise<void> {
  try {
    await undo();
  } catch (err) {
    process.stderr.write(`bench: cleanup of ${label} failed: ${(err as Error).message}\n`);
  }
}

/** Runs every pending undo step, newest first. */
export async function cleanupAll(): Promise<void> {
  const entries = [...pending.entries()].reverse();
  pending.clear();
  for (const [, e] of entries) await runOne(e.label, e.undo);
}

/** Runs `fn`, then its cleanups; a signal stops the run and still cleans up. */
export async function withCleanup<T>(fn: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, cleaning up…\n`);
    void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn();
  } finally {
    await cleanupAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
