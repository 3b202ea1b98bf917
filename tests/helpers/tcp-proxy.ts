// A TCP proxy in front of PostgreSQL that can be cut and restored, black-hole its live connections, or
// lose the answer to a COMMIT.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Proxy {
  url: string;
  /** Destroys every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /**
   * The next COMMIT reaches the server, which commits, but its answer never comes back: the connection
   * is destroyed first (the client cannot tell whether its transaction committed).
   */
  loseNextCommitAnswer(): void;
  /**
   * A half-open network (a failover, a partition): every open connection stays open but silently drops all
   * bytes both ways, forever; new connections are refused until restore().
   */
  blackHole(): void;
  stats: { cut: number; refused: number; lostCommitAnswers: number; blackHoled: number; droppedBytes: number };
  close(): Promise<void>;
}

const COMMIT_QUERY = Buffer.from('COMMIT\0');

export async function startProxy(target: URL): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const stats = { cut: 0, refused: 0, lostCommitAnswers: 0, blackHoled: 0, droppedBytes: 0 };
  const silencers = new Set<() => void>();
  let refusing = false;
  let armed = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      stats.refused++;
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
    sockets.add(client);
    sockets.add(upstream);
    let commitSent = false;
    let silent = false;
    const silence = () => {
      silent = true;
      stats.blackHoled++;
    };
    silencers.add(silence);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      silencers.delete(silence);
    };
    client.on('data', (data: Buffer) => {
      if (silent) {
        stats.droppedBytes += data.length;
        return;
      }
      // A simple-protocol query message: 'Q', int32 length, text, NUL.
      const at = data.indexOf(COMMIT_QUERY);
      if (armed && at >= 5 && data[at - 5] === 0x51) {
        armed = false;
        commitSent = true;
      }
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (silent) {
        stats.droppedBytes += data.length;
        return;
      }
      if (commitSent) {
        stats.lostCommitAnswers++;
        drop();
        return;
      }
      client.write(data);
    });
    for (const s of [client, upstream]) {
      s.on('error', () => drop());
      s.on('close', () => drop());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target.href);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    stats,
    cut() {
      refusing = true;
      stats.cut += sockets.size;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      refusing = false;
    },
    loseNextCommitAnswer() {
      armed = true;
    },
    blackHole() {
      refusing = true;
      for (const silence of silencers) silence();
      silencers.clear();
    },

    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
