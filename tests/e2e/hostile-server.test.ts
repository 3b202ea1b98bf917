// A real `hiredb serve` against hostile clients: huge bodies (memory measured in /proc), slow-loris
// clients, a foreign Host header, and file names meant to forge log lines.
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';

const MB = 1024 * 1024;

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

interface Sent {
  status: number | null;
  body: string;
  bytesSent: number;
}

/**
 * POSTs `totalBytes` of CSV-looking bytes in 1 MiB chunks (declared with Content-Length, or chunked),
 * honouring backpressure, and stops sending once the answer has come.
 */
function sendLargeBody(url: string, path: string, totalBytes: number, declare: boolean): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const headers: Record<string, string | number> = { 'content-type': 'text/csv' };
    if (declare) headers['content-length'] = totalBytes;
    const chunk = Buffer.alloc(MB, '1,Alpha\n');
    let bytesSent = 0;
    let answered: Sent | null = null;
    const req = httpRequest(target, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        answered = { status: res.statusCode ?? null, body, bytesSent };
        req.destroy();
        resolve(answered);
      });
    });
    req.on('error', (e) => (answered ? resolve(answered) : reject(e)));
    const pump = () => {
      while (!answered && bytesSent < totalBytes) {
        bytesSent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** A raw TCP client: what it receives, and whether the server closed the connection. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<number> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  const started = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  return { socket, received: () => text, closed };
}

const logLines = (server: RunningServer) => server.output().stderr.split('\n').filter((l) => l !== '');

describe('a real server against hostile clients', () => {
  let home: TempHome;
  let server: RunningServer;
  beforeAll(async () => {
    home = await tempHome({ HIREDB_HEADERS_TIMEOUT_MS: '500', HIREDB_BODY_MIN_RATE: '1024', HIREDB_BODY_RATE_WINDOW_MS: '1500' });
    server = await startServer(['serve', '--no-loader'], { env: home.env });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    await home?.cleanup();
  });

  it('a 200 MB batch body is refused with 413 and the server memory does not grow with it', async () => {
    const pid = server.child.pid!;
    const before = memoryOf(pid);
    const declared = await sendLargeBody(server.url, '/api/v1/departments/batch', 200 * MB, true);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.code).toBe('BODY_TOO_LARGE');
    const chunked = await sendLargeBody(server.url, '/api/v1/departments/batch', 200 * MB, false);
    expect(chunked.status).toBe(413);
    const after = memoryOf(pid);
    expect(after.peak - before.peak, `peak RSS grew from ${before.peak / MB} to ${after.peak / MB} MiB`).toBeLessThan(50 * MB);
    expect(after.rss - before.rss).toBeLessThan(50 * MB);
    // The server is still fine.
    expect((await http(`${server.url}/health`)).status).toBe(200);
  }, 60_000);

  it('a ~1 GB batch body answers 413, not 500, before the body is sent', async () => {
    const res = await sendLargeBody(server.url, '/api/v1/hired-employees/batch', 1024 * MB, true);
    expect(res.status).toBe(413);
    expect(res.bytesSent).toBeLessThan(256 * MB);
  }, 60_000);

  it('a request naming a foreign Host is answered 421', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/api/v1/tasks`, { headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('a client that sends its headers too slowly is answered 408 and cut off', async () => {
    const client = rawClient(server.port);
    client.socket.write('POST /api/v1/departments/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => client.socket.writable && client.socket.write('X-Drip: 1\r\n'), 100);
    const elapsed = await client.closed;
    clearInterval(drip);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsed).toBeLessThan(5_000);
    await waitFor('the log line', async () => (logLines(server).some((l) => JSON.parse(l).msg.startsWith('request headers too slow')) ? true : undefined));
  });

  it('a client dripping its body is answered 408, logged, and cut off within a few windows', async () => {
    const client = rawClient(server.port);
    client.socket.write(
      'POST /api/v1/departments/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n1,',
    );
    const drip = setInterval(() => client.socket.writable && client.socket.write('A'), 200);
    const elapsed = await client.closed;
    clearInterval(drip);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(client.received()).toContain('"REQUEST_TIMEOUT"');
    expect(elapsed).toBeLessThan(6_000);
    await waitFor('the log line', async () => {
      const line = logLines(server)
        .map((l) => JSON.parse(l))
        .find((l) => l.msg.startsWith('request body too slow'));
      if (!line) return undefined;
      const answered = JSON.parse(client.received().split('\r\n\r\n')[1]);
      expect(line).toMatchObject({ level: 'warn', path: '/api/v1/departments/batch', request_id: answered.error.request_id });
      return true;
    });
  });

  it('an upload on a slow but steady link completes', async () => {
    // ~3 KiB/s for about 4 s, over two windows: slow, but above the minimum rate.
    const row = '1,Alpha\n';
    const chunks = 40;
    const piece = row.repeat(40); // 320 bytes every 100 ms
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/api/v1/files/departments_slow.csv`, { method: 'PUT', headers: { 'content-length': piece.length * chunks } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        req.write(piece);
        if (++sent === chunks) {
          clearInterval(timer);
          req.end();
        }
      }, 100);
    });
    expect(status).toBe(202);
  }, 20_000);

  it('file names with a line break or ESC are refused and never forge a log line', async () => {
    const names = [
      'departments.csv\n{"time":"2026-01-01T00:00:00.000Z","level":"error","msg":"forged"}',
      'departments\u001b[2J\u001b[31m.csv',
      'departments\r\n2026-01-01 error forged.csv',
    ];
    for (const name of names) {
      const res = await http(`${server.url}/api/v1/files/${encodeURIComponent(name)}`, { method: 'PUT', body: '1,Alpha\n' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_NAME');
    }
    // Every line of the log parses as one object.
    const lines = logLines(server);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(Object.keys(entry).slice(0, 3)).toEqual(['time', 'level', 'msg']);
      expect(entry.msg).not.toBe('forged');
    }
    expect(server.output().stderr).not.toContain('\u001b');
    expect(server.output().stderr).not.toContain(home.dir);
  });
});
