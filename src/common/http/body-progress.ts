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
 * hold its connection, and the parser waiting on it, for all of them. A window that ends with the request's own
 * buffer full is not held against the client: then this process was not reading (a guard still deciding), and the
 * socket paused itself.
 */
export function enforceBodyProgress(server: Server, windowMs: number, minBytesPerSecond: number): void {
  if (windowMs <= 0) return;
  const minBytes = Math.ceil((minBytesPerSecond * windowMs) / 1000);
  server.on('request', (req: IncomingMessage) => {
    if (req.complete || !expectsBody(req)) return;
    const socket = req.socket;
    let seen = socket.bytesRead;
    const done = () => req.complete || socket.destroyed;
    const progressed = () => socket.bytesRead - seen >= minBytes || req.readableLength >= req.readableHighWaterMark;
    const timer = setInterval(() => {
      if (done()) return clearInterval(timer);
      if (progressed()) {
        seen = socket.bytesRead;
        return;
      }
      // Timers run before the poll phase: after a stall of our own event loop the client's bytes may be waiting
      // unread. setImmediate runs after that phase has read them.
      setImmediate(() => {
        if (done()) return clearInterval(timer);
        if (progressed()) {
          seen = socket.bytesRead;
          return;
        }
        clearInterval(timer);
        logger.warn({
          msg: 'request body too slow: connection closed',
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          bytes_in_window: socket.bytesRead - seen,
          window_ms: windowMs,
        });
        socket.destroy();
      });
    }, windowMs).unref();
    const stop = () => clearInterval(timer);
    req.once('end', stop);
    req.once('close', stop);
  });
}
