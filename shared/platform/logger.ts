/** A one-line-per-event logger; tests pass a silent one. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function consoleLogger(stream: { write(s: string): unknown } = process.stderr): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '';
    stream.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
  };
  return { info: (m, f) => write('info ', m, f), error: (m, f) => write('error', m, f) };
}

export const silentLogger: Logger = { info() {}, error() {} };
