import { Logger } from '@nestjs/common';
import type { IncomingMessage, Server } from 'node:http';

const logger = new Logger('Http');

/** A body is coming: a length above zero, or a chunked one (the test type-is and body-parser use). */
function expectsBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Cuts the connection of a request whose body trickles in: in every window of `windowMs` until the body is
 * complete, the client must send at least `minBytesPerSecond` (on average over the window). Node's timeouts bound
 * the headers (headersTimeout) and the whole request (requestTimeout), but the whole request must be allowed
 * minutes so that a large upload over a slow link finishes, and a client sending one byte every few seconds would
 * hold its connection, and the parser waiting on it, for all of them. A window in which the request's own buffer
 * stayed full is not held against the client: then this process was not reading (a guard still deciding), and the
 * socket paused itself.
 */
export function enforceBodyProgress(server: Server, windowMs: number, minBytesPerSecond: number): void {
  if (windowMs <= 0) return;
  const minBytes = Math.ceil((minBytesPerSecond * windowMs) / 1000);
  server.on('request', (req: IncomingMessage) => {
    if (req.complete || !expectsBody(req)) return;
    const socket = req.socket;
    let seen = socket.bytesRead;
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) return clearInterval(timer);
      const read = socket.bytesRead;
      const ours = req.readableLength >= req.readableHighWaterMark;
      if (!ours && read - seen < minBytes) {
        clearInterval(timer);
        logger.warn({
          msg: 'request body too slow: connection closed',
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          bytes_in_window: read - seen,
          window_ms: windowMs,
        });
        socket.destroy();
        return;
      }
      seen = read;
    }, windowMs).unref();
    const stop = () => clearInterval(timer);
    req.once('end', stop);
    req.once('close', stop);
  });
}
