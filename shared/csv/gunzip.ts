/**
 * Gzip detected by its magic bytes (1f 8b) and decompressed as it streams (Web-standard
 * DecompressionStream). Each piece of output comes with the input bytes read so far, so progress
 * stays in the file's own (compressed) bytes.
 */
export interface ReadPiece {
  bytes: Uint8Array;
  /** Bytes of the source read so far. */
  bytesRead: number;
}

export async function* gunzipIfGzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<ReadPiece> {
  const input = source[Symbol.asyncIterator]();
  let bytesRead = 0;
  let head: Uint8Array = new Uint8Array(0);
  try {
    while (head.length < 2) {
      const next = await input.next();
      if (next.done) break;
      bytesRead += next.value.byteLength;
      head = head.length === 0 ? next.value : concat(head, next.value);
    }
    if (!(head[0] === 0x1f && head[1] === 0x8b)) {
      if (head.length > 0) yield { bytes: head, bytesRead };
      for (;;) {
        const next = await input.next();
        if (next.done) return;
        bytesRead += next.value.byteLength;
        yield { bytes: next.value, bytesRead };
      }
    }
    const stream = new DecompressionStream('gzip');
    const writer = stream.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array<ArrayBuffer>>;
    const reader = stream.readable.getReader();
    const pump = (async () => {
      try {
        await writer.write(head as Uint8Array<ArrayBuffer>);
        for (;;) {
          const next = await input.next();
          if (next.done) break;
          bytesRead += next.value.byteLength;
          await writer.write(next.value as Uint8Array<ArrayBuffer>);
        }
        await writer.close();
      } catch (e) {
        await writer.abort(e).catch(() => {});
      }
    })();
    try {
      for (;;) {
        let piece: ReadableStreamReadResult<Uint8Array>;
        try {
          piece = await reader.read();
        } catch (e) {
          throw new Error(`the file is not valid gzip: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (piece.done) break;
        yield { bytes: piece.value, bytesRead };
      }
      await pump;
    } finally {
      await reader.cancel().catch(() => {});
    }
  } finally {
    await input.return?.();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
