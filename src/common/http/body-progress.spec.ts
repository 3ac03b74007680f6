import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { enforceBodyProgress } from './body-progress.js';

const WINDOW_MS = 100;
const MIN_BYTES_PER_SECOND = 10_240; // 1 KiB per window

/** A server whose handler starts reading the body after `readAfterMs`, then answers with the byte count. */
async function serve(readAfterMs: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    setTimeout(() => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(String(bytes)));
    }, readAfterMs);
  });
  enforceBodyProgress(server, WINDOW_MS, MIN_BYTES_PER_SECOND);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Sends a POST of `length` bytes in `chunk`-byte pieces every `everyMs`; resolves with the reply, or 'cut'. */
async function post(port: number, length: number, chunk: number, everyMs: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let reply = '';
  socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
  const closed = new Promise<string>((resolve) => {
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(reply === '' ? 'cut' : reply.split('\r\n\r\n')[1]));
  });
  socket.write(`POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n`);
  for (let sent = 0; sent < length && !socket.destroyed; sent += chunk) {
    socket.write('x'.repeat(Math.min(chunk, length - sent)));
    if (everyMs > 0) await sleep(everyMs);
  }
  return closed;
}

describe('enforceBodyProgress', () => {
  let server: Server | undefined;
  afterEach(() => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))));

  it('cuts a body that brings less than the rate over a window', async () => {
    const s = await serve(0);
    server = s.server;
    expect(await post(s.port, 10_000, 10, 20)).toBe('cut');
  });

  it('lets a body at the rate finish, however long it takes in all', async () => {
    const s = await serve(0);
    server = s.server;
    expect(await post(s.port, 8_192, 512, 25)).toBe('8192');
  });

  it('does not hold it against a client that this process is not reading yet', async () => {
    // Far more than the request and socket buffers hold, sent at once, read only after several windows.
    const s = await serve(WINDOW_MS * 5);
    server = s.server;
    expect(await post(s.port, 4 * 1024 * 1024, 64 * 1024, 0)).toBe(String(4 * 1024 * 1024));
  });
});
