/**
 * Writes a response body chunk by chunk with back-pressure, optional bandwidth throttling and the
 * body-level faults: reset, truncation, a short chunked body, or a trickle.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { BodyFault } from './faults.js';
import { sleep } from './http-util.js';

/** A response to write. */
export interface OutgoingBody {
  status: number;
  headers: Record<string, string | number>;
  chunks: Iterable<Buffer>;
  /** Total bytes of `chunks`: the Content-Length. */
  length: number;
}

/** How to write it. */
export interface WriteOptions {
  fault?: BodyFault | undefined;
  /** 0 or absent: as fast as the socket takes it. */
  bytesPerSecond?: number;
  /** Aborted when the simulator closes. */
  signal: AbortSignal;
  /** Told the size of every piece of the body as it is written. */
  onBytes?: (bytes: number) => void;
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    // The callback runs once the chunk has been handed to the socket (or failed).
    res.write(chunk, () => resolve());
  });
}

async function writeWithBackpressure(res: ServerResponse, chunk: Buffer, flush: boolean): Promise<void> {
  if (flush) return write(res, chunk);
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      // Both listeners go as soon as either fires: a long download waits for 'drain' thousands of times.
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}

/** Sends a TCP reset on the connection carrying `socket` (TLS sockets reset their TCP socket). */
export function resetConnection(socket: Socket | null): void {
  if (!socket) return;
  // A TLS socket cannot be reset itself; `_parent` is the TCP socket it wraps (Node internals).
  const raw = (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
  try {
    raw.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function shortLength(fault: BodyFault, length: number): number {
  if (fault.kind === 'trickle') return length;
  const wanted = fault.afterBytes ?? Math.floor(length / 2);
  // A "short" body must really be short, even when afterBytes asks for all of it.
  return Math.max(0, Math.min(wanted, length - 1));
}

/** Writes `out` to `res` as `options` say; resolves when done or the connection is gone. */
export async function writeResponse(
  res: ServerResponse,
  out: OutgoingBody,
  options: WriteOptions,
): Promise<void> {
  const { fault, signal } = options;
  const limit = fault ? shortLength(fault, out.length) : out.length;
  const headers = { ...out.headers };
  // No Content-Length on a short chunked body (that is the fault) nor on a 204 (RFC 9110).
  if (fault?.kind !== 'shortChunked' && out.status !== 204) headers['Content-Length'] = out.length;
  res.writeHead(out.status, headers);
  // A faulty body may send nothing at all: the status line and headers must still go out.
  if (fault) res.flushHeaders();
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  const started = Date.now();
  const bytesPerSecond = options.bytesPerSecond ?? 0;
  let sent = 0;
  for (const whole of out.chunks) {
    if (sent >= limit || signal.aborted || res.destroyed) break;
    let chunk = whole.length > limit - sent ? whole.subarray(0, limit - sent) : whole;
    while (chunk.length > 0 && !signal.aborted && !res.destroyed) {
      let piece = chunk;
      if (fault?.kind === 'trickle') {
        piece = chunk.subarray(0, Math.max(1, fault.bytesPerChunk ?? 1));
      } else if (bytesPerSecond > 0) {
        // Small pieces keep a throttled stream smooth.
        piece = chunk.subarray(0, Math.max(1024, Math.floor(bytesPerSecond / 20)));
      }
      chunk = chunk.subarray(piece.length);
      sent += piece.length;
      const last = sent >= limit;
      await writeWithBackpressure(res, piece, last && fault !== undefined && fault.kind !== 'trickle');
      options.onBytes?.(piece.length);
      if (fault?.kind === 'trickle' && !last) await sleep(fault.intervalMs ?? 500, signal);
      if (bytesPerSecond > 0) await sleep((sent / bytesPerSecond) * 1000 - (Date.now() - started), signal);
    }
  }
  if (res.destroyed) return;
  if (sent < limit) {
    // Stopped early because the simulator is closing.
    res.destroy();
    return;
  }
  if (fault?.kind === 'reset') {
    // Give the peer a moment to read what was sent, so the reset lands mid-body.
    await sleep(25, signal);
    resetConnection(res.socket);
    return;
  }
  if (fault?.kind === 'truncate') {
    const socket = res.socket;
    socket?.end();
    setTimeout(() => socket?.destroy(), 1000).unref();
    return;
  }
  res.end();
}
