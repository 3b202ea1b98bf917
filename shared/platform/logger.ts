/**
 * Structured logs: one JSON object a line, `{"time","level","msg",...fields}`. JSON escapes every control
 * character, so no value (a file name, a header) can break a line or forge another one.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Level = 'info' | 'warn' | 'error';

/** One log line (with its newline); `time`, `level` and `msg` always come first and cannot be overridden. */
export function logLine(level: Level, message: string, fields?: Record<string, unknown>, now = new Date()): string {
  const head = { time: now.toISOString(), level, msg: message };
  return JSON.stringify(Object.assign({ ...head }, fields, head), jsonSafe) + '\n';
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

export function consoleLogger(stream: { write(s: string): unknown } = process.stderr): Logger {
  const write = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    stream.write(logLine(level, message, fields));
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
